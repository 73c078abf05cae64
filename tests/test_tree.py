"""The tree keeps its own rules: ruff (lint and format) is clean, the rooms import only what they may
(.importlinter, docs/ARCHITECTURE.md), and nothing points outside the repository."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _run(*command: str) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)


def _tracked() -> list[Path]:
    listed = _run("git", "ls-files", "-z")
    assert listed.returncode == 0, listed.stderr
    return [ROOT / name for name in listed.stdout.split("\0") if name]


def test_ruff_lint_is_clean():
    done = _run(str(BIN / "ruff"), "check", "--no-cache", ".")
    assert done.returncode == 0, done.stdout + done.stderr


def test_ruff_format_is_clean():
    done = _run(str(BIN / "ruff"), "format", "--check", "--no-cache", ".")
    assert done.returncode == 0, done.stdout + done.stderr


def test_import_boundaries_hold():
    done = _run(str(BIN / "lint-imports"), "--no-cache")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout and "7 kept" in done.stdout, done.stdout


def test_the_boundaries_catch_a_broken_rule(tmp_path):
    """The contracts are live: a scoring module that imports WeasyPrint breaks them (checked on a copy)."""
    copy = tmp_path / "tree"
    for name in ("chanjiao", "tasks", "flows", "warehouse", "expectations"):
        shutil.copytree(ROOT / name, copy / name, ignore=shutil.ignore_patterns("__pycache__"))
    (copy / ".importlinter").write_text((ROOT / ".importlinter").read_text(encoding="utf-8"), encoding="utf-8")
    scores = copy / "chanjiao" / "scoring" / "scores.py"
    scores.write_text(scores.read_text(encoding="utf-8") + "\nimport weasyprint  # noqa\n", encoding="utf-8")
    done = subprocess.run(
        [str(BIN / "lint-imports"), "--no-cache"],
        cwd=copy,
        capture_output=True,
        text=True,
        timeout=300,
        env={"PYTHONPATH": str(copy), "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode != 0
    assert "chanjiao.scoring.scores -> weasyprint" in done.stdout


# Files whose bytes are data with a digest that reports print: an edit would re-issue reports.
_FROZEN = ("chanjiao/data/frameworks/",)


def test_nothing_points_outside_the_repository():
    outside = re.compile(r"\.\./shared|/work/|(?<![/\w])(?:DOMAIN|ARCHITECTURE)\.md")
    offenders = []
    for path in _tracked():
        relative = path.relative_to(ROOT).as_posix()
        if relative.startswith(_FROZEN) or relative in ("requirements.lock", "tests/test_tree.py"):
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, FileNotFoundError):
            continue
        for number, line in enumerate(text.splitlines(), 1):
            if outside.search(line) and not (relative.startswith("docs/") and "](" in line):
                offenders.append(f"{relative}:{number}: {line.strip()[:100]}")
    assert not offenders, "\n".join(offenders[:20])


def test_the_docs_the_code_cites_are_in_the_repository():
    assert (ROOT / "docs" / "DOMAIN.md").is_file() and (ROOT / "docs" / "ARCHITECTURE.md").is_file()
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "docs/DOMAIN.md" in readme and "docs/ARCHITECTURE.md" in readme
