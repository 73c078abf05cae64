#!/usr/bin/env bash
# Print the path of a usable `uv`, installing it from PyPI for this user when it is missing.
set -euo pipefail
if command -v uv >/dev/null 2>&1; then command -v uv; exit 0; fi
for candidate in "$HOME/.local/bin/uv"; do
  if [ -x "$candidate" ]; then echo "$candidate"; exit 0; fi
done
if ! python3 -m pip --version >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing python3-pip and python3-venv with apt-get" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-pip python3-venv >&2 \
      || { apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-pip python3-venv >&2; }
  else
    echo "error: neither uv nor pip is available; install uv (https://docs.astral.sh/uv/) or python3-pip" >&2
    exit 1
  fi
fi
echo "installing uv for $(id -un) with pip" >&2
python3 -m pip install --quiet --user uv >&2 2>/dev/null \
  || python3 -m pip install --quiet --user --break-system-packages uv >&2
if command -v uv >/dev/null 2>&1; then command -v uv; exit 0; fi
user_base=$(python3 -m site --user-base)
[ -x "$user_base/bin/uv" ] && { echo "$user_base/bin/uv"; exit 0; }
echo "error: uv was installed but cannot be found on PATH or in $user_base/bin" >&2
exit 1
