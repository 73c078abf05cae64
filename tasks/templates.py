"""Versions of what the pipeline's outputs are made with, as digests read once per process: the code (the
core, the rules, the reference data), and the report templates with that code. They decide which stages
recompute; whether a report is re-issued is decided by what it shows (chanjiao.reporting.versions)."""

from __future__ import annotations

import hashlib
from functools import lru_cache

from chanjiao.common.project import PROJECT_ROOT, TEMPLATES_DIR
from chanjiao.reporting.versions import template_digest

ROOT = PROJECT_ROOT  # where the digested folders are (a test points it at a changed copy)


@lru_cache(maxsize=1)
def code_version() -> str:
    """Every file of the core (``chanjiao/``, its data) and of the rules (``expectations/``): ``__version__``
    alone would not move when a fix changes a finding, a score or a report, and stored results must."""
    hasher = hashlib.sha256()
    for folder in (ROOT / "chanjiao", ROOT / "expectations"):
        for path in sorted(
            p
            for p in folder.rglob("*")
            if p.is_file() and p.suffix in (".py", ".csv", ".yaml") and "__pycache__" not in p.parts
        ):
            hasher.update(path.relative_to(ROOT).as_posix().encode("utf-8") + b"\0")
            hasher.update(hashlib.sha256(path.read_bytes()).digest())
    return hasher.hexdigest()


@lru_cache(maxsize=1)
def templates_version() -> str:
    """The report templates (every file under report_templates/ but its README) and the code that builds
    the reports' contexts: in the reports' inputs digest (a change makes them be built and compared again —
    re-issued only if what they show changed) and the ``template`` part that names 报告模板或程序版本更新."""
    return hashlib.sha256(f"{template_digest(TEMPLATES_DIR)}:{code_version()}".encode()).hexdigest()
