"""Reports as HTML: the Jinja2 environment over ``report_templates/`` and the jobs that say what to render.

Templates never compute: every figure and sentence arrives ready in the context built by the core.
Autoescaping is on, so text from a submission can never inject markup into a receipt or report.
This module imports no WeasyPrint (chanjiao.reporting.pdf does, alone): deciding which reports changed
needs their HTML, not a PDF engine.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from chanjiao.common.errors import ChanjiaoError
from chanjiao.common.project import TEMPLATES_DIR

#: ISO 32000-2, 7.11.3 (PDF/A-3 requires one of these on every embedded file).
AF_RELATIONSHIPS = frozenset({"Source", "Data", "Alternative", "Supplement", "Unspecified"})


@lru_cache(maxsize=2)
def environment(templates_dir: str = str(TEMPLATES_DIR)) -> Environment:
    return Environment(
        loader=FileSystemLoader(templates_dir),
        undefined=StrictUndefined,
        autoescape=select_autoescape(enabled_extensions=("html", "j2"), default=True),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_html(template: str, context: dict) -> str:
    """A template rendered with ``context`` (a missing key is an error, never a blank)."""
    return environment().get_template(template).render(**context)


class ReportError(ChanjiaoError):
    """A report could not be rendered or written; ``file`` is the PDF it was meant to become."""

    def __reduce__(self):
        # Exceptions pickle as ``cls(*args)``, which would drop the keyword-only context on the way
        # back from a worker process.
        return (_rebuild_report_error, (self.reason, self.file))


def _rebuild_report_error(reason: str, file: str | None) -> ReportError:
    return ReportError(reason, file=file)


# ---------------------------------------------------------------------------------------------
# Fetching: only files under report_templates/


@dataclass(frozen=True)
class Attachment:
    """A file embedded in the PDF (PDF/A-3 associated file), e.g. the JSON the report was built from."""

    name: str
    data: bytes
    description: str
    mime_type: str
    relationship: str = "Data"

    def __post_init__(self) -> None:
        if not self.name or "/" in self.name or "\\" in self.name:
            raise ValueError(f"attachment name must be a plain file name, got {self.name!r}")
        if self.relationship not in AF_RELATIONSHIPS:
            raise ValueError(
                f"attachment relationship must be one of {sorted(AF_RELATIONSHIPS)}, got {self.relationship!r}"
            )


@dataclass(frozen=True)
class PdfJob:
    """One report to render: ready HTML, where the PDF goes, and the metadata it must carry."""

    html: str
    target: Path
    title: str
    author: str
    lang: str = "zh-CN"
    attachments: tuple[Attachment, ...] = ()
    keep_html: bool = True
    copies: tuple[Path, ...] = ()  # further names for the written PDF (a published version's archive copy)

    def __post_init__(self) -> None:
        object.__setattr__(self, "target", Path(self.target))
        object.__setattr__(self, "attachments", tuple(self.attachments))
        object.__setattr__(self, "copies", tuple(Path(p) for p in self.copies))
        if self.target.suffix.lower() != ".pdf":
            raise ReportError("a PDF target must end in .pdf", file=str(self.target))
        for name in ("title", "author", "lang"):
            if not getattr(self, name).strip():
                raise ReportError(f"a PDF needs a {name}", file=str(self.target))

    @property
    def html_target(self) -> Path:
        return self.target.with_suffix(".html")


@dataclass(frozen=True)
class RenderResult:
    """A PDF written: where, its pages, render seconds, refused URLs, its size in bytes, and who rendered it."""

    target: Path
    pages: int
    seconds: float
    refused: tuple[str, ...] = field(default_factory=tuple)
    size: int | None = None  # bytes of the PDF as written (checked on disk before it is published)
    rendered_by: str = ""  # the Dask worker that rendered it; "" when rendered on the flow's machine


@dataclass(frozen=True)
class RenderedPdf:
    """A PDF rendered to memory (on a Dask worker): its bytes, for the flow's machine to write. The HTML is not
    sent back: the flow built it and still holds it in the job."""

    target: Path
    pdf: bytes
    pages: int
    seconds: float
    refused: tuple[str, ...] = ()
