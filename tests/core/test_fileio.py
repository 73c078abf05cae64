"""Outputs appear whole or not at all, with ordinary permissions."""

import os
import stat

import pytest

from chanjiao import fileio
from chanjiao.fileio import write_atomic


def test_write_atomic_creates_folders_and_ordinary_permissions(tmp_path):
    path = write_atomic(tmp_path / "a" / "b.csv", b"x")
    assert path.read_bytes() == b"x"
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask
    assert [p.name for p in path.parent.iterdir()] == ["b.csv"]


def test_a_failed_write_leaves_the_old_file_and_no_temp(tmp_path, monkeypatch):
    path = write_atomic(tmp_path / "b.csv", b"old")

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(fileio.os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        write_atomic(path, b"new")
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["b.csv"]
