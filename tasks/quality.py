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
from tasks.run import RunContext, open_warehouse
from tasks.templates import code_version, templates_version


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
def years_to_validate(run: RunContext) -> list[int]:
    """The run's year, every earlier year with versions of its provinces' consortia (scoring reads last year's
    plan and earlier summaries, and only usable values score: after a rules or registry change their findings
    must be redone), and the years that received files (their receipts). Validation itself skips what is
    current."""
    consortia = run.reference.consortia_in(run.provinces)
    with open_warehouse(run) as warehouse:
        earlier = [y for y in warehouse.version_years(consortia, upto=run.upto) if y < run.year]
    return sorted({run.year, *run.ingest.new_years, *earlier})


def rules_version() -> str:
    """The data-quality rules' version: the field catalogue, the rule code and everything they use."""
    return code_version()


@task(name="validate", task_run_name="validate-{year}", cache_policy=NO_CACHE, **io_retries())
def validate_year(run: RunContext, year: int) -> YearQuality:
    """Validate ``year``'s live versions of the run's provinces' consortia as one batch and store the findings —
    only the versions whose inputs changed since their last validation (all with ``force``): a run with
    nothing new does not even load the GE suite."""
    logger = get_run_logger()
    catalogue = load_catalogue()
    reference, upto = run.reference, run.upto
    consortium_ids = reference.consortia_in(run.provinces)
    with open_warehouse(run) as warehouse:
        versions = live_versions(
            versions_frame(warehouse.versions(year=year, consortium_ids=consortium_ids, upto=upto))
        )
        earlier = versions_frame(warehouse.versions(year=year - 1, consortium_ids=consortium_ids, upto=upto))
        last_summaries = latest_versions(earlier[earlier["kind"] == "summary"])
        digests = q.validation_digests(versions, reference.registry, reference.layout, last_summaries, rules_version())
        stored_digests = versions.get("validated_digest", pd.Series([None] * len(versions), index=versions.index))
        stale = (
            versions
            if run.force
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
                stale["version_id"], found, digests={int(v): digests[int(v)] for v in stale["version_id"]}
            )
        progress.advance("validate", len(stale))
        stored = q.findings_frame(warehouse.findings(versions["version_id"]))
        annotated = q.mask_override_reasons(
            q.annotate(stored, versions, overrides=warehouse.overrides(year=year)), values
        )
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
    task_run_name="export-findings-{run.year}-{province_code}",
    cache_policy=NO_CACHE,
    **io_retries(),
)
def export_findings(run: RunContext, province_code: str, quality: YearQuality) -> Path:
    """``reports/<year>/<province>/findings.csv``: the findings of each consortium's latest versions."""
    registry = run.reference.registry
    rows = quality.latest_findings(run.as_of, set(registry.index[registry["province_code"] == province_code]))
    path = write_if_changed(run.paths.export(run.year, province_code, "findings.csv"), findings_csv(rows))
    get_run_logger().info("wrote %s (%d findings)", path, len(rows))
    return path


def receipts_due(run: RunContext, quality: YearQuality) -> bool:
    """Whether a validated year's receipts are written in this run: the run's year, a year that received
    files, and a year whose findings were redone."""
    return quality.year == run.year or quality.year in run.ingest.new_years or bool(quality.redone)


@task(name="write-receipts", task_run_name="write-receipts-{quality.year}", cache_policy=NO_CACHE, **io_retries())
def write_receipts(run: RunContext, quality: YearQuality) -> list[PlannedReport]:
    """A receipt (回执) per accepted version of ``quality``'s year: its findings and what to fix, before the
    deadline. A receipt is written again only when what it says changed (or its file is missing): its HTML
    here, its one-page PDF as a job for the run's render stage. Without PDFs the HTML receipts are recorded
    here."""
    catalogue = load_catalogue()
    now = datetime.now().astimezone()
    reference, year, pdf, force = run.reference, quality.year, run.pdf, run.force
    departments, registry = reference.provinces["department"], reference.registry
    folder = run.paths.receipts_of(year)
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
    with open_warehouse(run) as warehouse:
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
                    root=run.paths.receipts,
                    html_only=True,
                )
            )
            warehouse.save_stage_digests("receipt", year, {r.decision.subject: r.inputs for r in planned})
        planned += list(standing.values())
    written = sum(1 for r in planned if r.job is not None)
    get_run_logger().info(
        "receipts %d: %d written, %d unchanged, under %s", year, written, len(planned) - written, folder
    )
    return planned


@task(name="publish-quality-summary", task_run_name="publish-quality-summary-{run.year}", cache_policy=NO_CACHE)
def publish_quality_summary(run: RunContext, quality: YearQuality) -> list[dict]:
    """A table artifact: the latest versions' findings by rule and severity (counts only, nothing personal)."""
    year = run.year
    table = q.severity_counts(quality.latest_findings(run.as_of)).to_dict("records")
    create_table_artifact(
        table, key=f"findings-{year}", description=f"Data-quality findings {year} by rule and severity"
    )
    return table
