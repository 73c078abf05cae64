#!/usr/bin/env bash
# Debian packages the pipeline needs outside Python: CJK fonts and HarfBuzz subsetting for the PDFs,
# PostgreSQL server binaries for the test suite, poppler-utils to look at rendered pages.
# Installs what is missing when running as root with apt; otherwise says exactly what to install.
set -uo pipefail
packages=(fonts-noto-cjk libharfbuzz-subset0 poppler-utils postgresql)
missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
# PostgreSQL server binaries may come from another install (any /usr/lib/postgresql/*/bin/initdb will do).
if [[ " ${missing[*]} " == *" postgresql "* ]] && compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then
  missing=("${missing[@]/postgresql}")
fi
missing=($(printf '%s\n' "${missing[@]}" | grep -v '^$' || true))
[ ${#missing[@]} -eq 0 ] && { echo "system packages present: ${packages[*]}"; exit 0; }

if ! command -v apt-get >/dev/null 2>&1; then
  echo "warning: not a Debian-like system; please install the equivalents of: ${missing[*]}" >&2
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO=sudo; else
    echo "warning: missing system packages: ${missing[*]}" >&2
    echo "         run: sudo apt-get install -y ${missing[*]}" >&2
    echo "         (without fonts-noto-cjk the pipeline refuses to write PDFs; without postgresql the tests cannot start their database)" >&2
    exit 0
  fi
else SUDO=""; fi
echo "installing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
  || { echo "error: apt-get could not install: ${missing[*]}" >&2; exit 1; }
# The Debian postgresql package starts a cluster service; the tests start their own, so stop it again.
if [[ " ${missing[*]} " == *" postgresql "* ]] && command -v service >/dev/null 2>&1; then
  $SUDO service postgresql stop >/dev/null 2>&1 || true
fi
echo "system packages installed"
