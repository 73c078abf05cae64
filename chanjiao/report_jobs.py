"""From a province's year to this run's PDF jobs: fingerprint every report, decide against its published
versions (chanjiao.publication), and build the HTML of only the reports that must be rendered.

No database and no writing here: the caller passes the published versions it read, and a predicate saying
whether a PDF is in place; the render stage writes, and the publish stage records what was written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from chanjiao.catalogue import Catalogue
from chanjiao.publication import (REASONS_ZH, Decision, Published, day_text, decide, fingerprint, revision_note,
                                  versioned_name)
from chanjiao.render import Attachment, PdfJob, render_html
from chanjiao.reports import (ProvinceYear, consortium_attachment, consortium_context, province_attachments,
                              province_context, with_revision)

VERSIONS_FOLDER = "versions"     # reports/<year>/<province>/versions/<subject>-v<N>.pdf: every published version


@dataclass(frozen=True)
class PlannedReport:
    """One report of this run: the decision, and the job when it is to be rendered."""

    decision: Decision
    province_code: str
    job: PdfJob | None = None

    @property
    def published_path(self) -> Path | None:
        """The archived copy of this version (what the warehouse records)."""
        return self.job.copies[0] if self.job is not None and self.job.copies else (
            self.job.target if self.job is not None else None)


def _history(published: Iterable[Published]) -> dict[tuple[str, str], list[Published]]:
    grouped: dict[tuple[str, str], list[Published]] = {}
    for record in published:
        grouped.setdefault((record.kind, record.subject), []).append(record)
    return grouped


def revisions_listing(data: ProvinceYear, decisions: list[Decision], history: dict[tuple[str, str], list[Published]],
                      now: datetime) -> list[dict]:
    """Every consortium report of the province now at a version after the first, for 报告修订记录: this run's
    decisions where it made one, the warehouse's latest version otherwise."""
    names = {row["consortium_id"]: row["name"] for row in data.scores}
    decided = {d.subject: d for d in decisions}
    rows = []
    for cid in sorted(names):
        versions = sorted(history.get(("consortium", cid), []), key=lambda p: p.version)
        decision = decided.get(cid)
        if decision is not None and decision.action == "revised":
            version, published, reasons = decision.version, now, decision.reasons
        elif versions:
            version, published, reasons = versions[-1].version, versions[-1].published_at, versions[-1].reasons
        else:
            continue
        if version > 1:
            rows.append({"id": cid, "name": names[cid], "version": version,
                         "first_published": day_text(versions[0].published_at if versions else now),
                         "published": day_text(published), "reasons": list(reasons)})
    return rows


def plan_province_reports(data: ProvinceYear, catalogue: Catalogue, published: Iterable[Published], *,
                          template: str, folder: Path, now: datetime, force: bool = False,
                          exists: Callable[[Path], bool] = Path.exists) -> list[PlannedReport]:
    """The province's consortium reports and its provincial report: decided, and built where to render."""
    history = _history(published)
    year, planned = data.year, []
    for row in data.scores:
        cid = row["consortium_id"]
        context = consortium_context(data, cid, catalogue)
        mark = fingerprint(context, template=template, framework=row["framework_digest"],
                           data={key: context[key] for key in ("appendix", "findings", "timeliness", "cases")},
                           history=context["trend"])
        target = Path(folder) / f"{cid}.pdf"
        decision = decide("consortium", year, cid, mark, history.get(("consortium", cid), []),
                          file_exists=exists(target), force=force)
        job = None
        if decision.render:
            context = with_revision(context, revision_note(decision, now))
            job = PdfJob(html=render_html("consortium.html.j2", context), target=target,
                         title=context["document"]["title"], author=data.department,
                         copies=(Path(folder) / VERSIONS_FOLDER / versioned_name(target.name, decision.version),),
                         attachments=(Attachment(name=f"{cid}-{year}-scores.json",
                                                 data=consortium_attachment(data, cid),
                                                 description="总分、指标、评分点与数据质量问题（机器可读）",
                                                 mime_type="application/json"),))
        planned.append(PlannedReport(decision=decision, province_code=data.province_code, job=job))

    consortium_decisions = [p.decision for p in planned]
    revisions = revisions_listing(data, consortium_decisions, history, now)
    # The consortia whose own data made them revise (a template change revises every report, and says so).
    revised_now = [d.subject for d in consortium_decisions if d.action == "revised" and REASONS_ZH["data"] in d.reasons]
    context = province_context(data, catalogue, revisions=revisions)
    mark = fingerprint(context, template=template, framework=data.framework.digest)
    target = Path(folder) / "province.pdf"
    decision = decide("province", year, data.province_code, mark, history.get(("province", data.province_code), []),
                      file_exists=exists(target), force=force,
                      extra_reasons=(f"{REASONS_ZH['consortia']}：{'、'.join(revised_now)}",) if revised_now else ())
    job = None
    if decision.render:
        context = with_revision(context, revision_note(decision, now))
        job = PdfJob(html=render_html("province.html.j2", context), target=target,
                     title=context["document"]["title"], author=data.department,
                     copies=(Path(folder) / VERSIONS_FOLDER / versioned_name(target.name, decision.version),),
                     attachments=tuple(Attachment(name=name, data=content, description=description,
                                                  mime_type="text/csv")
                                       for name, content, description in province_attachments(data)))
    planned.append(PlannedReport(decision=decision, province_code=data.province_code, job=job))
    return planned


def published_records(planned: Iterable[PlannedReport], pages: dict[Path, int], now: datetime,
                      root: Path | None = None, html_only: bool = False) -> list[tuple[Published, str]]:
    """What the warehouse records for the reports that were rendered (``pages`` by PDF target): each with
    its province code. Reports not rendered in this run (unchanged, or failed) are not recorded.
    ``html_only``: a run without PDFs, which wrote only the HTML (receipts)."""
    records = []
    for report in planned:
        if report.job is None or report.job.target not in pages:
            continue
        decision = report.decision
        path = report.job.html_target if html_only else report.published_path
        shown = path.relative_to(root).as_posix() if root is not None and path.is_relative_to(root) else str(path)
        records.append((Published(kind=decision.kind, year=decision.year, subject=decision.subject,
                                  version=decision.version, fingerprint=decision.fingerprint.total,
                                  parts=decision.fingerprint.parts, reasons=decision.reasons, published_at=now,
                                  path=shown, pages=pages[report.job.target]), report.province_code))
    return records


@dataclass(frozen=True)
class ReceiptDraft:
    """A receipt (回执) as built by chanjiao.receipts, before deciding whether to write it again."""

    name: str                   # file name of its HTML, e.g. HN-2024-01-plan-v1.html
    province_code: str
    context: dict
    title: str
    author: str


def plan_receipts(drafts: Iterable[ReceiptDraft], published: Iterable[Published], *, year: int, template: str,
                  folder: Path, now: datetime, pdf: bool = True, force: bool = False,
                  exists: Callable[[Path], bool] = Path.exists) -> list[PlannedReport]:
    """One decision per receipt: a receipt is rewritten only when what it says changed (a finding, an override,
    the template), or when its file is missing. Receipts are replaced in place: the version number counts
    how often a receipt was re-issued, the consortium always reads the current one."""
    history = _history(published)
    planned = []
    for draft in drafts:
        html_target = Path(folder) / draft.name
        target = html_target.with_suffix(".pdf")
        subject = html_target.stem
        mark = fingerprint(draft.context, template=template, framework="")
        decision = decide("receipt", year, subject, mark, history.get(("receipt", subject), []),
                          file_exists=exists(target if pdf else html_target), force=force)
        job = None
        if decision.render:
            job = PdfJob(html=render_html("receipt.html.j2", draft.context), target=target, keep_html=False,
                         title=draft.title, author=draft.author or "—")
        planned.append(PlannedReport(decision=decision, province_code=draft.province_code, job=job))
    return planned
