"""The report templates' version (a digest of report_templates/), read once per process."""

from __future__ import annotations

from functools import lru_cache

from chanjiao.publication import template_digest
from chanjiao.render import TEMPLATES_DIR


@lru_cache(maxsize=1)
def templates_version() -> str:
    """The digest of every file under report_templates/ and the pipeline version: part of each report's
    fingerprint, so a template change re-renders (and revises) every report."""
    return template_digest(TEMPLATES_DIR)
