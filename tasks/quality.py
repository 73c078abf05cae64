"""Data quality: validate a year's submission versions with the GE suites, store findings, write receipts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pandas as pd
from prefect import task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.logging import get_run_logger

from chanjiao.common.exports import findings_csv
from chanjiao.common.fileio import write_atomic, write_if_changed
from chanjiao.operations import progress
from chanjiao.quality import checks as q
from chanjiao.quality.timeliness import latest_versions, live_versions, versions_frame
from chanjiao.reference.catalogue import PERSONAL_FIELDS, load_catalogue
from chanjiao.reference.registry import ReferenceData
from chanjiao.reporting.jobs import (
    PlannedReport,
    ReceiptDraft,
    plan_receipts,
    published_records,
    receipt_inputs_digest,
    unchanged_receipts,
)
from chanjiao.reporting.receipts import receipt_context, receipt_name
from tasks.retry import io_retries
from tasks.templates import code_version, templates_version
from warehouse import Warehouse


@dataclass
class YearQuality:
    """One year's validated versions and their annotated findings (``chanjiao.quality.checks.annotate``)."""

    year: int
    versions: pd.DataFrame  # live versions (chanjiao.quality.timeliness.versions_frame)
    findings: pd.DataFrame
    contacts: dict[int, str]  # masked "王**（138****5678）" per version, for receipts
    redone: int = 0  # versions validated in this run (the others' findings stood)

    def latest_findings(self, as_of: date, consortium_ids: set[str] | None = None) -> pd.DataFrame:
        """The findings of each consortium × kind's latest version as of ``as_of`` (the one scored)."""
        versions = self.versions[self.versions["submitted_on"] <= as_of]
        if consortium_ids is not None:
            versions = versions[versions["consortium_id"].isin(consortium_ids)]
        latest = latest_versions(versions)
        rows = self.findings[self.findings["version_id"].isin(set(latest["version_id"]))]
        return rows.merge(latest[["version_id", "version"]], on="version_id", how="left")


@task(name="years-to-validate", cache_policy=NO_CACHE, **io_retries())
def years_to_validate(
    database_url: str, year: int, consortium_ids: list[str], new_years: list[int], upto: int | None = None
) -> list[int]:
    """The requested year, every earlier year with versions (scoring reads last year's plan and earlier
    summaries, and only usable values score: after a rules or registry change their findings must be
    redone), and the years that received files (their receipts). Validation itself skips what is current."""
    warehouse = Warehouse.open(database_url)
    try:
        earlier = [y for y in warehouse.version_years(consortium_ids, upto=upto) if y < year]
    finally:
        warehouse.close()
    return sorted({year, *new_years, *earlier})


def rules_version() -> str:
    """The data-quality rules' version: the field catalogue, the rule code and everything they use."""
    return code_version()


@task(name="validate", task_run_name="validate-{year}", cache_policy=NO_CACHE, **io_retries())
def validate_year(
    reference: ReferenceData,
    database_url: str,
    year: int,
    consortium_ids: list[str],
    force: bool = False,
    upto: int | None = None,
) -> YearQuality:
    """Validate the year's live versions of the consortia as one batch and store the findings — only the
    versions whose inputs changed since their last validation (all with ``force``): a run with nothing new
    does not even load the GE suite."""
    logger = get_run_logger()
    catalogue = load_catalogue()
    warehouse = Warehouse.open(database_url)
    try:
        versions = live_versions(
            versions_frame(warehouse.versions(year=year, consortium_ids=consortium_ids, upto=upto))
        )
        earlier = versions_frame(warehouse.versions(year=year - 1, consortium_ids=consortium_ids, upto=upto))
        last_summaries = latest_versions(earlier[earlier["kind"] == "summary"])
        digests = q.validation_digests(versions, reference.registry, reference.layout, last_summaries, rules_version())
        stored_digests = versions.get("validated_digest", pd.Series([None] * len(versions), index=versions.index))
        stale = (
            versions
            if force
            else versions[[digests[int(v)] != stored for v, stored in zip(versions["version_id"], stored_digests)]]
        )
        progress.start("validate", len(versions))
        progress.advance("validate", len(versions) - len(stale))
        # Only the contact of every version (receipts, masking); all fields only of the versions validated now.
        values = warehouse.values_for(versions["version_id"], fields=PERSONAL_FIELDS)
        if len(stale):
            from expectations.suite import validator_for  # GE costs seconds to import: only when needed

            stored_previous = warehouse.values_for(last_summaries["version_id"])
            previous = {
                row.consortium_id: q.usable_previous(catalogue, stored_previous[row.version_id])
                for row in last_summaries.itertuples()
            }
            context = q.QualityContext(registry=reference.registry, layout=reference.layout, previous=previous)
            stale_values = warehouse.values_for(stale["version_id"])
            frame = q.derive_columns(q.submission_frame(stale, stale_values, catalogue), catalogue, context)
            found = validator_for(catalogue).validate(frame)
            notes = q.masked_notes(stale_values)
            found["explanation"] = [notes.get((row.version_id, row.field)) for row in found.itertuples()]
            warehouse.save_findings(
                stale["version_id"],
                found.astype(object).where(found.notna(), None).to_dict("records"),
                digests={int(v): digests[int(v)] for v in stale["version_id"]},
            )
        progress.advance("validate", len(stale))
        stored = q.findings_frame(warehouse.findings(versions["version_id"]))
        annotated = q.mask_override_reasons(
            q.annotate(stored, versions, overrides=warehouse.overrides(year=year)), values
        )
    finally:
        warehouse.close()
    counts = annotated["severity"].value_counts()
    logger.info(
        "%d: validated %d of %d versions (%d unchanged): %d fatal, %d warning, %d info findings",
        year,
        len(stale),
        len(versions),
        len(versions) - len(stale),
        counts.get("fatal", 0),
        counts.get("warning", 0),
        counts.get("info", 0),
    )
    return YearQuality(
        year=year, versions=versions, findings=annotated, contacts=q.masked_contacts(values), redone=len(stale)
    )


@task(
    name="export-findings",
    task_run_name="export-findings-{year}-{province_code}",
    cache_policy=NO_CACHE,
    **io_retries(),
)
def export_findings(
    quality: YearQuality, reference: ReferenceData, reports_dir: Path, year: int, province_code: str, as_of: date
) -> Path:
    """``reports/<year>/<province>/findings.csv``: the findings of each consortium's latest versions."""
    in_province = set(reference.registry.index[reference.registry["province_code"] == province_code])
    rows = quality.latest_findings(as_of, in_province)
    path = write_if_changed(Path(reports_dir) / str(year) / province_code / "findings.csv", findings_csv(rows))
    get_run_logger().info("wrote %s (%d findings)", path, len(rows))
    return path


@task(name="write-receipts", task_run_name="write-receipts-{year}", cache_policy=NO_CACHE, **io_retries())
def write_receipts(
    quality: YearQuality,
    reference: ReferenceData,
    receipts_dir: Path,
    year: int,
    database_url: str,
    *,
    pdf: bool = True,
    force: bool = False,
) -> list[PlannedReport]:
    """A receipt (回执) per accepted version: its findings and what to fix, before the deadline. A receipt is
    written again only when what it says changed (or its file is missing): its HTML here, its one-page PDF
    as a job for the run's render stage. Without PDFs the HTML receipts are recorded here."""
    catalogue = load_catalogue()
    now = datetime.now().astimezone()
    departments, registry = reference.provinces["department"], reference.registry
    folder = Path(receipts_dir) / str(year)
    template = templates_version()
    by_version = dict(tuple(quality.findings.groupby("version_id"))) if len(quality.findings) else {}
    versions = quality.versions.to_dict("records")
    candidates = []
    for version in versions:
        cid = version["consortium_id"]
        province = registry.loc[cid, "province_code"] if cid in registry.index else ""
        findings = by_version.get(version["version_id"], quality.findings.iloc[0:0])
        candidates.append(
            (
                receipt_name(version),
                province or "",
                receipt_inputs_digest(
                    version,
                    findings,
                    contact=quality.contacts.get(version["version_id"]),
                    registry_row=registry.loc[cid].to_dict() if cid in registry.index else {},
                    department=departments.get(province, "") if province else "",
                    template=template,
                ),
            )
        )
    warehouse = Warehouse.open(database_url)
    try:
        published = warehouse.report_versions(year, kind="receipt")
        standing = (
            {}
            if force
            else unchanged_receipts(
                candidates, published, warehouse.stage_digests("receipt", year), folder=folder, pdf=pdf
            )
        )
        drafts = []
        for version, (name, province, inputs) in zip(versions, candidates):
            if Path(name).stem in standing:
                continue
            findings = by_version.get(version["version_id"], quality.findings.iloc[0:0])
            context = receipt_context(
                version,
                findings,
                reference,
                catalogue,
                generated_at=now,
                contact=quality.contacts.get(version["version_id"]),
            )
            drafts.append(
                ReceiptDraft(
                    name=name,
                    province_code=province,
                    context=context,
                    inputs=inputs,
                    title=f"{context['title']} · {context['consortium']['name']} · {year}年"
                    f"{context['document']['kind']} 第{context['document']['version']}版",
                    author=departments.get(province, "") if province else "",
                )
            )
        planned = plan_receipts(
            drafts, published, year=year, template=template, folder=folder, now=now, pdf=pdf, force=force
        )
        for report in planned:
            if report.job is not None:
                write_atomic(report.job.html_target, report.job.html.encode("utf-8"))
        if not pdf:
            warehouse.record_report_versions(
                published_records(
                    planned,
                    {r.job.target: 0 for r in planned if r.job is not None},
                    now,
                    root=Path(receipts_dir),
                    html_only=True,
                )
            )
            warehouse.save_stage_digests("receipt", year, {r.decision.subject: r.inputs for r in planned})
        planned += list(standing.values())
    finally:
        warehouse.close()
    written = sum(1 for r in planned if r.job is not None)
    get_run_logger().info(
        "receipts %d: %d written, %d unchanged, under %s", year, written, len(planned) - written, folder
    )
    return planned


@task(name="publish-quality-summary", task_run_name="publish-quality-summary-{year}", cache_policy=NO_CACHE)
def publish_quality_summary(quality: YearQuality, year: int, as_of: date) -> list[dict]:
    """A table artifact: the latest versions' findings by rule and severity (counts only, nothing personal)."""
    table = q.severity_counts(quality.latest_findings(as_of)).to_dict("records")
    create_table_artifact(
        table, key=f"findings-{year}", description=f"Data-quality findings {year} by rule and severity"
    )
    return table
