"""Rendering: the Jinja2 environment over ``report_templates/`` (and, for the PDF stage, WeasyPrint).

Templates never compute: every figure and sentence arrives ready in the context built by the core.
Autoescaping is on, so text from a submission can never inject markup into a receipt or report.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "report_templates"


@lru_cache(maxsize=2)
def environment(templates_dir: str = str(TEMPLATES_DIR)) -> Environment:
    return Environment(loader=FileSystemLoader(templates_dir), undefined=StrictUndefined,
                       autoescape=select_autoescape(enabled_extensions=("html", "j2"), default=True),
                       trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)


def render_html(template: str, context: dict) -> str:
    """A template rendered with ``context`` (a missing key is an error, never a blank)."""
    return environment().get_template(template).render(**context)
