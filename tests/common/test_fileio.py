"""Outputs appear whole or not at all, with ordinary permissions."""

import os
import stat

import pytest

from chanjiao.common import fileio
from chanjiao.common.fileio import link_atomic, remove_stale_temporaries, write_atomic, write_if_changed


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


# --- incremental runs: leave unchanged files alone, archive copies, clean up after a killed run ---------------


def _touch_old(path):
    """Backdate a file so that any rewrite shows in its modification time, however coarse the clock."""
    os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    return path.stat()


def test_write_if_changed_leaves_an_identical_file_untouched(tmp_path):
    path = write_atomic(tmp_path / "report.html", "报告".encode())
    before = _touch_old(path)
    assert write_if_changed(path, "报告".encode()) == path
    after = path.stat()
    assert (after.st_mtime_ns, after.st_ino) == (before.st_mtime_ns, before.st_ino)
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


@pytest.mark.parametrize("new", [b"other", b"longer content", b"abcdef"])
def test_write_if_changed_replaces_a_changed_file(tmp_path, new):
    path = write_atomic(tmp_path / "report.html", b"abcdeg")  # b"abcdef": same size, other bytes
    before = _touch_old(path)
    write_if_changed(path, new)
    after = path.stat()
    assert path.read_bytes() == new
    assert after.st_mtime_ns != before.st_mtime_ns
    assert after.st_ino != before.st_ino  # replaced by rename, never rewritten in place
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_write_if_changed_creates_a_missing_file_and_its_folders(tmp_path):
    path = write_if_changed(tmp_path / "a" / "b.csv", b"x")
    assert path.read_bytes() == b"x"


def test_link_atomic_makes_another_name_for_the_same_bytes(tmp_path):
    source = write_atomic(tmp_path / "SX-2024-01.pdf", b"%PDF-1.7 v1")
    target = tmp_path / "versions" / "SX-2024-01-v1.pdf"
    assert link_atomic(source, target) == target
    assert target.read_bytes() == source.read_bytes()
    assert target.stat().st_ino == source.stat().st_ino
    # A second link replaces what was there, at once; no temporary is left behind.
    other = write_atomic(tmp_path / "other.pdf", b"%PDF-1.7 v2")
    link_atomic(other, target)
    assert target.read_bytes() == b"%PDF-1.7 v2" and target.stat().st_ino == other.stat().st_ino
    assert source.read_bytes() == b"%PDF-1.7 v1"
    assert sorted(p.name for p in (tmp_path / "versions").iterdir()) == ["SX-2024-01-v1.pdf"]


def test_link_atomic_copies_when_it_cannot_link(tmp_path, monkeypatch):
    source = write_atomic(tmp_path / "a.pdf", b"%PDF")

    def no_link(src, dst):
        raise OSError("Invalid cross-device link")

    monkeypatch.setattr(fileio.os, "link", no_link)
    target = link_atomic(source, tmp_path / "versions" / "a-v1.pdf")
    assert target.read_bytes() == b"%PDF"
    assert target.stat().st_ino != source.stat().st_ino
    assert [p.name for p in target.parent.iterdir()] == ["a-v1.pdf"]


def _tree(root, names):
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")


def _names(root):
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def test_remove_stale_temporaries_removes_only_temporaries(tmp_path):
    _tree(
        tmp_path,
        [
            ".x.pdf.abc.tmp",
            "2025/14/.SX-2024-01.pdf.k3j_9.tmp",
            "2025/14/versions/.a-v1.pdf.77.link.tmp",
            "x.pdf",
            "notes.tmp",
            ".hidden",
            "2025/14/SX-2024-01.pdf",
            ".x.pdf.abc.tmp.bak",
        ],
    )
    removed = remove_stale_temporaries(tmp_path)
    assert sorted(p.relative_to(tmp_path).as_posix() for p in removed) == [
        ".x.pdf.abc.tmp",
        "2025/14/.SX-2024-01.pdf.k3j_9.tmp",
        "2025/14/versions/.a-v1.pdf.77.link.tmp",
    ]
    assert _names(tmp_path) == [".hidden", ".x.pdf.abc.tmp.bak", "2025/14/SX-2024-01.pdf", "notes.tmp", "x.pdf"]
    assert remove_stale_temporaries(tmp_path) == []


def test_remove_stale_temporaries_honours_prefixes(tmp_path):
    _tree(
        tmp_path,
        [
            ".SX-2024-01.pdf.a.tmp",
            ".SX-2024-02.html.b.tmp",
            ".HN-2024-01.pdf.c.tmp",
            "versions/.SX-2024-01-v2.pdf.1.link.tmp",
            ".province.pdf.d.tmp",
        ],
    )
    removed = remove_stale_temporaries(tmp_path, prefixes=("SX-", "province."))
    assert sorted(p.name for p in removed) == [
        ".SX-2024-01-v2.pdf.1.link.tmp",
        ".SX-2024-01.pdf.a.tmp",
        ".SX-2024-02.html.b.tmp",
        ".province.pdf.d.tmp",
    ]
    assert _names(tmp_path) == [".HN-2024-01.pdf.c.tmp"]
    assert remove_stale_temporaries(tmp_path, prefixes=()) == []
    assert _names(tmp_path) == [".HN-2024-01.pdf.c.tmp"]


def test_remove_stale_temporaries_of_a_missing_folder_is_nothing(tmp_path):
    assert remove_stale_temporaries(tmp_path / "absent") == []


def test_a_temporary_of_an_interrupted_write_atomic_is_recognised(tmp_path, monkeypatch):
    """What write_atomic leaves when killed between writing and renaming is what the clean-up removes."""

    def killed(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(fileio.os, "replace", killed)
    monkeypatch.setattr(fileio.Path, "unlink", lambda self, missing_ok=False: None)  # as if killed: no clean-up
    with pytest.raises(KeyboardInterrupt):
        write_atomic(tmp_path / "SX-2024-01.pdf", b"%PDF")
    monkeypatch.undo()
    [left] = list(tmp_path.iterdir())
    assert left.name.startswith(".SX-2024-01.pdf.") and left.name.endswith(".tmp")
    assert remove_stale_temporaries(tmp_path, prefixes=("SX-2024-01",)) == [left]
    assert list(tmp_path.iterdir()) == []
