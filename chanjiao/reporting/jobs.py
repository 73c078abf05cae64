"""From a province's year to this run's PDF jobs: fingerprint every report, decide against its published
versions (chanjiao.reporting.versions), and build the HTML of only the reports that must be rendered.

No database and no writing here: the caller passes the published versions it read, and a predicate saying
whether a PDF is in place; the render stage writes, and the publish stage records what was written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path

from chanjiao.reference.catalogue import Catalogue
from chanjiao.reporting.context import (
    ProvinceYear,
    consortium_attachment,
    consortium_context,
    province_attachments,
    province_context,
    with_revision,
)
from chanjiao.reporting.html import Attachment, PdfJob, render_html
from chanjiao.reporting.versions import (
    REASONS_ZH,
    Decision,
    Published,
    day_text,
    decide,
    digest,
    fingerprint,
    is_content_fingerprint,
    latest_note,
    report_parts,
    revision_note,
    same_shown_content,
    unchanged,
    versioned_name,
)

VERSIONS_FOLDER = "versions"  # reports/<year>/<province>/versions/<subject>-v<N>.pdf: every published version


@dataclass(frozen=True)
class PlannedReport:
    """One report of this run: the decision, and the job when it is to be rendered."""

    decision: Decision
    province_code: str
    job: PdfJob | None = None
    inputs: str = ""  # digest of what the province's reports read (reports_inputs_digest)
    decided_at: datetime | None = None  # the moment printed on a 修订版 cover: the version's publication

    @property
    def published_path(self) -> Path | None:
        """The archived copy of this version (what the warehouse records)."""
        return (
            self.job.copies[0]
            if self.job is not None and self.job.copies
            else (self.job.target if self.job is not None else None)
        )


def _history(published: Iterable[Published]) -> dict[tuple[str, str], list[Published]]:
    grouped: dict[tuple[str, str], list[Published]] = {}
    for record in published:
        grouped.setdefault((record.kind, record.subject), []).append(record)
    return grouped


def revisions_listing(
    data: ProvinceYear, decisions: list[Decision], history: dict[tuple[str, str], list[Published]], now: datetime
) -> list[dict]:
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
            rows.append(
                {
                    "id": cid,
                    "name": names[cid],
                    "version": version,
                    "first_published": day_text(versions[0].published_at if versions else now),
                    "published": day_text(published),
                    "reasons": list(reasons),
                }
            )
    return rows


def reports_inputs_digest(data: ProvinceYear, *, score_inputs: str, template: str) -> str:
    """A digest of everything a province's reports read, short of building them: what its scoring read
    (which fixes its scores), its earlier years' scores, the findings with their explanations and
    overrides, the timeliness, the registry and layout, the template version, and the as-of date as far
    as the reports judge by it (milestones not yet due, until the year ends)."""
    return digest(
        {
            "score": score_inputs,
            "template": template,
            "history": data.history,
            "findings": _records(data.findings),
            "timeliness": _records(data.timeliness),
            "registry": {
                "ids": [str(i) for i in data.registry.sort_index().index],
                "rows": _records(data.registry.sort_index()),
            },
            "layout": _records(data.layout),
            "province": [data.province_code, data.province_name, data.department],
            "judged_on": min(data.as_of, date(data.year, 12, 31)).isoformat(),
        }
    )


def _records(frame) -> list[dict]:
    return frame.astype(object).where(frame.notna(), None).to_dict("records") if len(frame) else []


def unchanged_reports(
    data: ProvinceYear, published: Iterable[Published], *, folder: Path, exists: Callable[[Path], bool] = Path.exists
) -> list[PlannedReport] | None:
    """When a province's reports read nothing new: their latest published versions, as unchanged decisions —
    or None if any report has no published version or its PDF is missing (then plan them in full)."""
    latest: dict[tuple[str, str], Published] = {}
    for record in published:
        key = (record.kind, record.subject)
        if key not in latest or record.version > latest[key].version:
            latest[key] = record
    wanted = [("consortium", row["consortium_id"], f"{row['consortium_id']}.pdf") for row in data.scores]
    wanted.append(("province", data.province_code, "province.pdf"))
    if any((kind, subject) not in latest or not exists(Path(folder) / name) for kind, subject, name in wanted):
        return None
    return [
        PlannedReport(decision=unchanged(latest[(kind, subject)]), province_code=data.province_code)
        for kind, subject, _ in wanted
    ]


def _records_of(frame, column: str, value: object, drop: tuple[str, ...] = ()) -> list[dict]:
    """The rows of ``frame`` whose ``column`` is ``value``, without ``drop`` columns nor timestamps (``*_at``)."""
    if frame is None or not len(frame) or column not in frame.columns:
        return []
    rows = frame[frame[column] == value]
    keep = [c for c in rows.columns if c not in drop and not str(c).endswith("_at")]
    return _records(rows[keep])


def consortium_inputs(data: ProvinceYear, cid: str) -> dict:
    """What a consortium report shows of its own, as data and free of labels: its registry row, its versions
    (file, dates, approval), their submitted values, its findings (rule, severity, value, override, 说明 —
    not the rule's message wording) and its timeliness. A change here revises with "本联合体报送数据…"."""
    versions = _records_of(data.versions, "consortium_id", cid, drop=("validated_digest",))
    version_ids = {row["version_id"] for row in versions}
    return {
        "registry": _records(data.registry.loc[[cid]]) if cid in data.registry.index else [],
        "versions": versions,
        "values": {str(v): data.values.get(v) for v in sorted(version_ids)} if data.values else {},
        "findings": _records_of(data.findings, "consortium_id", cid, drop=("id", "message", "fix")),
        "timeliness": _records_of(data.timeliness, "consortium_id", cid),
    }


def consortium_parts(context: dict, data: ProvinceYear, cid: str) -> dict:
    """The parts of a consortium report that name why it was revised: its own inputs (consortium_inputs), the
    province's comparison figures (rank, medians) and its earlier years (the trend without this year)."""
    year = max((row["year"] for row in (context["trend"] or {}).get("rows", [])), default=None)
    return {
        "data": consortium_inputs(data, cid),
        "peers": {
            "rank": context["headline"]["rank"],
            "of": context["headline"]["of"],
            "median": context["headline"]["median"],
            "medians": [row["median"] for row in context["indicators"]["rows"]],
        },
        "history": [row for row in (context["trend"] or {}).get("rows", []) if row["year"] != year],
    }


def _read_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return None


@dataclass(frozen=True)
class _Report:
    """One report as this run would render it: its context, template, HTML without the 修订版 box, target."""

    kind: str
    subject: str
    context: dict
    template_name: str
    target: Path
    attachments: tuple[Attachment, ...]
    html: str = ""

    @classmethod
    def build(cls, kind, subject, context, template_name, target, attachments) -> _Report:
        return cls(
            kind,
            subject,
            context,
            template_name,
            Path(target),
            tuple(attachments),
            render_html(template_name, with_revision(context, None)),
        )

    def decide(
        self,
        year: int,
        parts: dict,
        history: list[Published],
        *,
        exists: Callable[[Path], bool],
        read: Callable[[Path], str | None],
        force: bool,
        extra_reasons: tuple[str, ...] = (),
    ) -> Decision:
        """Fingerprint what the report shows and decide against its versions; a version recorded before
        content fingerprints is compared through the HTML published beside its PDF."""
        mark = fingerprint(self.html, parts=parts, attachments=tuple(a.data for a in self.attachments))
        latest = max(history, key=lambda p: p.version) if history else None
        shows_same = False
        if latest is not None and not is_content_fingerprint(latest.fingerprint):
            published = read(self.target.with_suffix(".html"))
            if published is not None:
                note = latest_note(history)
                rendered = (
                    self.html if note is None else render_html(self.template_name, with_revision(self.context, note))
                )
                shows_same = same_shown_content(rendered, published)
        return decide(
            self.kind,
            year,
            self.subject,
            mark,
            history,
            file_exists=exists(self.target),
            force=force,
            extra_reasons=extra_reasons,
            shows_same=shows_same,
        )

    def job(self, decision: Decision, author: str, exists: Callable[[Path], bool], now: datetime) -> PdfJob | None:
        """The PDF job when the report is to be rendered (with its 修订版 note from version 2 on), else None."""
        if not decision.render:
            return None
        note = revision_note(decision, now)
        context = with_revision(self.context, note)
        return PdfJob(
            html=self.html if note is None else render_html(self.template_name, context),
            target=self.target,
            title=context["document"]["title"],
            author=author,
            copies=_archive(decision, self.target.parent, self.target.name, exists),
            attachments=self.attachments,
        )


def plan_province_reports(
    data: ProvinceYear,
    catalogue: Catalogue,
    published: Iterable[Published],
    *,
    template: str,
    folder: Path,
    now: datetime,
    force: bool = False,
    exists: Callable[[Path], bool] = Path.exists,
    read: Callable[[Path], str | None] = _read_text,
) -> list[PlannedReport]:
    """The province's consortium reports and its provincial report: each rendered to HTML and fingerprinted by
    what it shows, decided against its published versions, and made a PDF job where it must be rendered.
    ``template``: the templates' and program's version (a part that names a revision's reason only)."""
    history = _history(published)
    year, planned = data.year, []
    for row in data.scores:
        cid = row["consortium_id"]
        context = consortium_context(data, cid, catalogue)
        attachment = Attachment(
            name=f"{cid}-{year}-scores.json",
            data=consortium_attachment(data, cid),
            mime_type="application/json",
            description="总分、指标、评分点与数据质量问题（机器可读）",
        )
        report = _Report.build(
            "consortium", cid, context, "consortium.html.j2", Path(folder) / f"{cid}.pdf", (attachment,)
        )
        parts = report_parts(
            template=template, framework=row["framework_digest"], **consortium_parts(context, data, cid)
        )
        decision = report.decide(
            year, parts, history.get(("consortium", cid), []), exists=exists, read=read, force=force
        )
        planned.append(
            PlannedReport(
                decision=decision,
                province_code=data.province_code,
                job=report.job(decision, data.department, exists, now),
                decided_at=now,
            )
        )

    consortium_decisions = [p.decision for p in planned]
    revisions = revisions_listing(data, consortium_decisions, history, now)
    # The consortia whose own data made them revise (a template change revises every report, and says so).
    revised_now = [d.subject for d in consortium_decisions if d.action == "revised" and REASONS_ZH["data"] in d.reasons]
    files = tuple(
        Attachment(name=name, data=content, description=description, mime_type="text/csv")
        for name, content, description in province_attachments(data)
    )
    report = _Report.build(
        "province",
        data.province_code,
        province_context(data, catalogue, revisions=revisions),
        "province.html.j2",
        Path(folder) / "province.pdf",
        files,
    )
    parts = report_parts(template=template, framework=data.framework.digest, consortia=province_inputs(data))
    decision = report.decide(
        year,
        parts,
        history.get(("province", data.province_code), []),
        exists=exists,
        read=read,
        force=force,
        extra_reasons=(f"{REASONS_ZH['consortia']}：{'、'.join(revised_now)}",) if revised_now else (),
    )
    planned.append(
        PlannedReport(
            decision=decision,
            province_code=data.province_code,
            job=report.job(decision, data.department, exists, now),
            decided_at=now,
        )
    )
    return planned


def province_inputs(data: ProvinceYear) -> dict:
    """What the provincial report shows as data, free of labels: every expected filer's registry row, findings
    and timeliness (its scores follow from these, the framework and the program)."""
    findings = data.findings
    if len(findings):
        findings = findings[
            [c for c in findings.columns if c not in ("id", "message", "fix") and not str(c).endswith("_at")]
        ]
    return {
        "registry": _records(data.registry.sort_index()),
        "findings": _records(findings),
        "timeliness": _records(data.timeliness),
        "layout": _records(data.layout),
    }


def _archive(decision: Decision, folder: Path, name: str, exists: Callable[[Path], bool]) -> tuple[Path, ...]:
    """Where a version's PDF is archived: written when the version is first published; a forced or restored
    re-render of it leaves the archived copy (the version as published) alone."""
    archive = folder / VERSIONS_FOLDER / versioned_name(name, decision.version)
    return (archive,) if decision.action in ("new", "revised") or not exists(archive) else ()


def published_records(
    planned: Iterable[PlannedReport],
    pages: dict[Path, int],
    now: datetime,
    root: Path | None = None,
    html_only: bool = False,
) -> list[tuple[Published, str]]:
    """What the warehouse records for the reports that were rendered (``pages`` by PDF target): each with
    its province code. Reports not rendered in this run (unchanged, or failed) are not recorded.
    ``html_only``: a run without PDFs, which wrote only the HTML (receipts)."""
    records = []
    for report in planned:
        decision = report.decision
        if decision.adopts is not None and (report.job is None or report.job.target in pages):
            # A version recorded before content fingerprints that shows the same: it keeps its number, date,
            # file and pages, and takes this run's fingerprint (so later runs compare content).
            records.append((_adopted(decision), report.province_code))
            continue
        if report.job is None or report.job.target not in pages:
            continue
        path = report.job.html_target if html_only else report.published_path
        shown = path.relative_to(root).as_posix() if root is not None and path.is_relative_to(root) else str(path)
        records.append(
            (
                Published(
                    kind=decision.kind,
                    year=decision.year,
                    subject=decision.subject,
                    version=decision.version,
                    fingerprint=decision.fingerprint.total,
                    parts=decision.fingerprint.parts,
                    reasons=decision.reasons,
                    published_at=report.decided_at or now,
                    path=shown,
                    pages=pages[report.job.target],
                ),
                report.province_code,
            )
        )
    return records


def _adopted(decision: Decision) -> Published:
    """The earlier version as it stands (number, date, file, pages), under this run's content fingerprint."""
    return replace(decision.adopts, fingerprint=decision.fingerprint.total, parts=decision.fingerprint.parts)


@dataclass(frozen=True)
class ReceiptDraft:
    """A receipt (回执) as built by chanjiao.reporting.receipts, before deciding whether to write it again."""

    name: str  # file name of its HTML, e.g. HN-2024-01-plan-v1.html
    province_code: str
    context: dict
    title: str
    author: str
    inputs: str = ""  # digest of what the receipt reads (receipt_inputs_digest)


def receipt_inputs_digest(
    version: dict, findings, *, contact: str | None, registry_row: dict, department: str, template: str
) -> str:
    """What a receipt reads, short of building it: the version (file, dates, approval), its findings with
    explanations and overrides, the masked contact, the consortium's registry row, the department and
    the template version."""
    return digest(
        {
            "version": {k: v for k, v in version.items() if k not in ("validated_at", "ingested_at")},
            "findings": _records(findings),
            "contact": contact,
            "registry": registry_row,
            "department": department,
            "template": template,
        }
    )


def unchanged_receipts(
    candidates: Iterable[tuple[str, str, str]],
    published: Iterable[Published],
    stored: dict[str, str],
    *,
    folder: Path,
    pdf: bool = True,
    exists: Callable[[Path], bool] = Path.exists,
) -> dict[str, PlannedReport]:
    """Receipts whose inputs are as when they were last written, with their file in place: subject →
    unchanged decision. ``candidates`` are (file name, province code, inputs digest)."""
    latest: dict[str, Published] = {}
    for record in published:
        if record.kind == "receipt" and (
            record.subject not in latest or record.version > latest[record.subject].version
        ):
            latest[record.subject] = record
    found = {}
    for name, province_code, inputs in candidates:
        html_target = Path(folder) / name
        subject = html_target.stem
        if (
            subject in latest
            and stored.get(subject) == inputs
            and exists(html_target.with_suffix(".pdf") if pdf else html_target)
        ):
            found[subject] = PlannedReport(
                decision=unchanged(latest[subject]), province_code=province_code, inputs=inputs
            )
    return found


def plan_receipts(
    drafts: Iterable[ReceiptDraft],
    published: Iterable[Published],
    *,
    year: int,
    template: str,
    folder: Path,
    now: datetime,
    pdf: bool = True,
    force: bool = False,
    exists: Callable[[Path], bool] = Path.exists,
    read: Callable[[Path], str | None] = _read_text,
) -> list[PlannedReport]:
    """One decision per receipt: a receipt is rewritten only when what it says changed (a finding, an override,
    the template), or when its file is missing. Receipts are replaced in place: the version number counts
    how often a receipt was re-issued, the consortium always reads the current one."""
    history = _history(published)
    planned = []
    for draft in drafts:
        html_target = Path(folder) / draft.name
        target = html_target.with_suffix(".pdf")
        subject = html_target.stem
        html = render_html("receipt.html.j2", draft.context)
        versions = history.get(("receipt", subject), [])
        latest = max(versions, key=lambda p: p.version) if versions else None
        shows_same = False
        if latest is not None and not is_content_fingerprint(latest.fingerprint):
            published_html = read(html_target)
            shows_same = published_html is not None and same_shown_content(html, published_html)
        decision = decide(
            "receipt",
            year,
            subject,
            fingerprint(html, parts=report_parts(template=template, framework="", data=draft.context)),
            versions,
            file_exists=exists(target if pdf else html_target),
            force=force,
            shows_same=shows_same,
        )
        job = None
        if decision.render:
            job = PdfJob(html=html, target=target, keep_html=False, title=draft.title, author=draft.author or "—")
        planned.append(
            PlannedReport(
                decision=decision, province_code=draft.province_code, job=job, inputs=draft.inputs, decided_at=now
            )
        )
    return planned
