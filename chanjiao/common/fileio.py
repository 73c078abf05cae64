"""Writing outputs so that a reader never sees half a file: write a temporary file, then rename."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def _default_mode() -> int:
    """The mode an ordinary new file gets (0666 less the umask); mkstemp would give 0600."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def write_atomic(path: Path, content: bytes) -> Path:
    """Write ``content`` to ``path`` atomically (same-directory temp file, fsync, rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, _default_mode())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_if_changed(path: Path, content: bytes) -> Path:
    """Write ``content`` atomically unless ``path`` already holds exactly these bytes (then the file and its
    modification time are left alone, so a re-run with nothing new changes nothing)."""
    path = Path(path)
    try:
        if path.stat().st_size == len(content) and path.read_bytes() == content:
            return path
    except FileNotFoundError:
        pass
    return write_atomic(path, content)


def link_atomic(source: Path, target: Path) -> Path:
    """``target`` becomes another name for ``source``'s bytes (a hard link; a copy across file systems),
    appearing at once and whole, like ``write_atomic``."""
    source, target = Path(source), Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / f".{target.name}.{os.getpid()}.link.tmp"
    tmp.unlink(missing_ok=True)
    try:
        os.link(source, tmp)
    except OSError:
        write_atomic(target, source.read_bytes())
        return target
    os.replace(tmp, target)
    return target


def remove_stale_temporaries(root: Path, prefixes: tuple[str, ...] = ("",)) -> list[Path]:
    """Delete the temporary files (``.<name>.*.tmp``) a killed run left under ``root`` for outputs whose name
    starts with one of ``prefixes``. Call it only while holding the run lock for those outputs: then no
    live writer owns them."""
    root = Path(root)
    if not root.is_dir():
        return []
    stale = [
        p for p in root.rglob(".*.tmp") if p.is_file() and any(p.name[1:].startswith(prefix) for prefix in prefixes)
    ]
    for path in stale:
        path.unlink(missing_ok=True)
    return stale
