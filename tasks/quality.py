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

from chanjiao import quality as q
from chanjiao.catalogue import load_catalogue
from chanjiao.exports import findings_csv
from chanjiao.fileio import write_atomic
from chanjiao.render import PdfJob
from chanjiao.receipts import receipt_context, receipt_name
from chanjiao.reference import ReferenceData
from chanjiao.render import render_html
from chanjiao.timeliness import latest_versions, live_versions, versions_frame
from warehouse import Warehouse


@dataclass
class YearQuality:
    """One year's validated versions and their annotated findings (``chanjiao.quality.annotate``)."""

    year: int
    versions: pd.DataFrame          # live versions (chanjiao.timeliness.versions_frame)
    findings: pd.DataFrame
    contacts: dict[int, str]        # masked "王**（138****5678）" per version, for receipts

    def latest_findings(self, as_of: date, consortium_ids: set[str] | None = None) -> pd.DataFrame:
        """The findings of each consortium × kind's latest version as of ``as_of`` (the one scored)."""
        versions = self.versions[self.versions["submitted_on"] <= as_of]
        if consortium_ids is not None:
            versions = versions[versions["consortium_id"].isin(consortium_ids)]
        latest = latest_versions(versions)
        rows = self.findings[self.findings["version_id"].isin(set(latest["version_id"]))]
        return rows.merge(latest[["version_id", "version"]], on="version_id", how="left")


@task(name="years-to-validate", cache_policy=NO_CACHE)
def years_to_validate(database_url: str, year: int, consortium_ids: list[str], new_years: list[int]) -> list[int]:
    """The requested year, the years that received files, and any year whose versions were never validated
    (scoring reads last year's plan and earlier summaries, and only usable values score)."""
    warehouse = Warehouse.open(database_url)
    try:
        pending = warehouse.unvalidated_years(consortium_ids)
    finally:
        warehouse.close()
    return sorted({year, *new_years, *pending})


@task(name="validate", task_run_name="validate-{year}", cache_policy=NO_CACHE)
def validate_year(reference: ReferenceData, database_url: str, year: int, consortium_ids: list[str]) -> YearQuality:
    """Validate every live version of ``year`` for the consortia as one batch and store the findings."""
    from expectations.suite import validator_for   # GE costs seconds to import: only where it is used

    logger = get_run_logger()
    catalogue = load_catalogue()
    warehouse = Warehouse.open(database_url)
    try:
        versions = live_versions(versions_frame(warehouse.versions(year=year, consortium_ids=consortium_ids)))
        values = warehouse.values_for(versions["version_id"])
        earlier = versions_frame(warehouse.versions(year=year - 1, consortium_ids=consortium_ids))
        last_summaries = latest_versions(earlier[earlier["kind"] == "summary"])
        stored_previous = warehouse.values_for(last_summaries["version_id"])
        previous = {row.consortium_id: q.usable_previous(catalogue, stored_previous[row.version_id])
                    for row in last_summaries.itertuples()}
        context = q.QualityContext(registry=reference.registry, layout=reference.layout, previous=previous)
        frame = q.derive_columns(q.submission_frame(versions, values, catalogue), catalogue, context)
        found = validator_for(catalogue).validate(frame)
        notes = q.masked_notes(values)
        found["explanation"] = [notes.get((row.version_id, row.field)) for row in found.itertuples()]
        warehouse.save_findings(versions["version_id"], found.astype(object).where(found.notna(), None)
                                .to_dict("records"))
        stored = q.findings_frame(warehouse.findings(versions["version_id"]))
        annotated = q.mask_override_reasons(q.annotate(stored, versions, overrides=warehouse.overrides(year=year)),
                                            values)
    finally:
        warehouse.close()
    counts = annotated["severity"].value_counts()
    logger.info("%d: validated %d versions: %d fatal, %d warning, %d info findings", year, len(versions),
                counts.get("fatal", 0), counts.get("warning", 0), counts.get("info", 0))
    return YearQuality(year=year, versions=versions, findings=annotated, contacts=q.masked_contacts(values))


@task(name="export-findings", task_run_name="export-findings-{year}-{province_code}", cache_policy=NO_CACHE,
      retries=2, retry_delay_seconds=1)
def export_findings(quality: YearQuality, reference: ReferenceData, reports_dir: Path, year: int,
                    province_code: str, as_of: date) -> Path:
    """``reports/<year>/<province>/findings.csv``: the findings of each consortium's latest versions."""
    in_province = set(reference.registry.index[reference.registry["province_code"] == province_code])
    rows = quality.latest_findings(as_of, in_province)
    path = write_atomic(Path(reports_dir) / str(year) / province_code / "findings.csv", findings_csv(rows))
    get_run_logger().info("wrote %s (%d findings)", path, len(rows))
    return path


@task(name="write-receipts", task_run_name="write-receipts-{year}", cache_policy=NO_CACHE, retries=2,
      retry_delay_seconds=1)
def write_receipts(quality: YearQuality, reference: ReferenceData, receipts_dir: Path, year: int) -> list[PdfJob]:
    """A receipt (回执) per accepted version: its findings and what to fix, before the deadline. The HTML is
    written here; the one-page PDFs beside it are returned as jobs for the run's render stage."""
    catalogue, jobs = load_catalogue(), []
    generated = datetime.now().astimezone()
    departments = reference.provinces["department"]
    for version in quality.versions.to_dict("records"):
        findings = quality.findings[quality.findings["version_id"] == version["version_id"]]
        context = receipt_context(version, findings, reference, catalogue, generated_at=generated,
                                  contact=quality.contacts.get(version["version_id"]))
        html = render_html("receipt.html.j2", context)
        path = write_atomic(Path(receipts_dir) / str(year) / receipt_name(version), html.encode("utf-8"))
        registry = reference.registry
        province = registry.loc[version["consortium_id"], "province_code"] if version["consortium_id"] in registry.index else None
        jobs.append(PdfJob(html=html, target=path.with_suffix(".pdf"), keep_html=False,
                           title=f"{context['title']} · {context['consortium']['name']} · {year}年"
                                 f"{context['document']['kind']} 第{context['document']['version']}版",
                           author=departments.get(province, "") if province else ""))
    get_run_logger().info("wrote %d receipts under %s", len(jobs), Path(receipts_dir) / str(year))
    return jobs


@task(name="publish-quality-summary", task_run_name="publish-quality-summary-{year}", cache_policy=NO_CACHE)
def publish_quality_summary(quality: YearQuality, year: int, as_of: date) -> list[dict]:
    """A table artifact: the latest versions' findings by rule and severity (counts only, nothing personal)."""
    table = q.severity_counts(quality.latest_findings(as_of)).to_dict("records")
    create_table_artifact(table, key=f"findings-{year}",
                          description=f"Data-quality findings {year} by rule and severity")
    return table
