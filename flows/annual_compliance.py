"""The parent flow: ingest the inbox; then, for each year and its provinces (a subflow per year), timeliness,
data quality (findings, receipts), scoring (ranking, plan completion, adjustment, shortlist), the exports, the
PDF reports (only those whose inputs changed) and their publication as versions.

Stages are tasks batched per province (or per year), never per row. Locks keep two runs on the same
province (or two ingests of the inbox) from interleaving.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from prefect import flow

from flows.render import render
from tasks.exports import export_rejections, export_submissions, publish_rankings, publish_run_summary
from tasks.intake import ingest_inbox
from tasks.operations import INBOX_LOCK, clean_partial_outputs, province_locks, run_locks
from tasks.quality import (
    export_findings,
    publish_quality_summary,
    receipts_due,
    validate_year,
    write_receipts,
    years_to_validate,
)
from tasks.reference import load_reference_data
from tasks.reporting import build_reports, check_rendered, publish_reports
from tasks.run import ProvinceCode, RunContext, stage
from tasks.scoring import export_scores, publish_ranking, score_province
from tasks.timeliness import province_timeliness, reporting_years, today_in_china

# A run that hangs (a stuck NFS mount, a lock that is never released, a renderer in a loop) ends TimedOut, which
# notifies. Sized from the national benchmark (31 provinces × 50 consortia, 2 cores): the worst full year took
# 1,485 s (every report re-issued after a code change), so a January nightly, which does two years, needs
# ~3,000 s; each run may also wait up to lock_wait_seconds (600 s) for the inbox and again for its provinces.
# 7,200 s leaves ~1.7× headroom over that worst case and still ends a hung night before the 08:00 reminder.
ANNUAL_COMPLIANCE_TIMEOUT_S = 7_200


def _run_name() -> str:
    from prefect.runtime import flow_run

    parameters = flow_run.parameters
    as_of = parameters.get("as_of")
    as_of = date.fromisoformat(as_of) if isinstance(as_of, str) else as_of
    year = parameters.get("year") or "-".join(map(str, reporting_years(as_of or today_in_china())))
    provinces = parameters.get("provinces")
    return f"annual-compliance-{year}-" + ("-".join(provinces) if provinces else "all")


@flow(
    name="annual-compliance",
    flow_run_name=_run_name,
    validate_parameters=True,
    timeout_seconds=ANNUAL_COMPLIANCE_TIMEOUT_S,
)
def annual_compliance(
    year: int | None = None,
    provinces: list[ProvinceCode] | None = None,
    as_of: date | None = None,
    force: bool = False,
    pdf: bool = True,
    task_runner: Literal["process", "dask"] = "process",
    dask_address: str | None = None,
    inbox_dir: str | None = None,
    registry_file: str | None = None,
    extensions_file: str | None = None,
    warehouse_dir: str | None = None,
    wait: bool = True,
) -> dict:
    """Ingest every new file under INBOX/<year>/, then process the year for the provinces: timeliness, data
    quality, scores, exports and the PDF reports whose inputs changed.

    The warehouse database is never a parameter (parameters are shown in the UI and sent in notifications):
    it comes from the worker's settings (``CHANJIAO_DATABASE_URL``) or a Prefect Secret block
    (``CHANJIAO_DATABASE_SECRET``).

    Args:
        year: The year to process (报送年度). Default: the current year in Beijing, and the previous one
            too until 31 January. A year later than the as-of date's, or one in which no consortium is
            expected to report, is refused.
        provinces: Province codes (GB/T 2260, e.g. 14 山西, 43 湖南) to process. Default: every province
            with consortia.
        as_of: Judge deadlines and milestones as of this date (YYYY-MM-DD). Default: today in Beijing.
        force: Render every report again, even those whose inputs did not change (same version numbers).
        pdf: False for a data-only run: timeliness, findings and scores, no PDFs.
        task_runner: Where PDFs are rendered: "process" (a process pool on the worker) or "dask".
        dask_address: Scheduler of an existing Dask cluster (tcp://host:8786 or tls://…); default: a
            local cluster. Only with task_runner "dask".
        inbox_dir: Inbox folder holding <year>/ subfolders. Default: the worker's CHANJIAO_INBOX_DIR.
        registry_file: Consortium registry CSV. Default: the worker's CHANJIAO_REGISTRY_FILE.
        extensions_file: Deadline extensions CSV. Default: extensions.csv beside the registry.
        warehouse_dir: Folder of the reports, receipts and (SQLite) database. Default: the worker's
            CHANJIAO_WAREHOUSE_DIR.
        wait: If another run holds the inbox or a province, wait up to the worker's CHANJIAO_LOCK_WAIT_SECONDS
            for it (default); False: stop at once, naming it.
    """
    timings: dict[str, float] = {}
    with stage("total", timings):
        run = RunContext.build(
            year=year,
            provinces=provinces,
            as_of=as_of,
            force=force,
            pdf=pdf,
            task_runner=task_runner,
            dask_address=dask_address,
            wait=wait,
            inbox_dir=inbox_dir,
            registry_file=registry_file,
            extensions_file=extensions_file,
            warehouse_dir=warehouse_dir,
        )
        run = run.with_reference(load_reference_data(run))  # refuses a year nothing can be reported for
        with run_locks(run, [INBOX_LOCK]), stage("ingest", timings):
            run = run.with_ingest(ingest_inbox(run))
            rejections = export_rejections(run, sorted(set(run.ingest.years) | set(run.years)))
        with run_locks(run, province_locks(run)):
            clean_partial_outputs(run)
            years = [annual_compliance_year(run.for_year(y), outputs=rejections, timings=timings) for y in run.years]
    for result in years:
        result["timings"]["total"] = round(timings["total"], 2)
    if len(years) == 1:
        return years[0]
    return {"years": years, "as_of": run.as_of.isoformat(), "timings": {"total": round(timings["total"], 2)}}


@flow(name="annual-compliance-year", flow_run_name="annual-compliance-{run.year}", validate_parameters=False)
def annual_compliance_year(run: RunContext, outputs: list, timings: dict[str, float]) -> dict:
    """One year of the run for its provinces, stage by stage; returns the year's run summary. ``outputs``
    and ``timings``: the run's so far (the rejected files' exports, the ingest's time)."""
    outputs, timings = list(outputs), dict(timings)
    with stage("validate", timings):
        timeliness = {code: province_timeliness(run, code) for code in run.provinces}
        outputs += [export_submissions(run, code, frame) for code, frame in timeliness.items()]
        quality = {y: validate_year(run, y) for y in years_to_validate(run)}
        outputs += [export_findings(run, code, quality[run.year]) for code in run.provinces]
        planned = [
            r for validated in quality.values() if receipts_due(run, validated) for r in write_receipts(run, validated)
        ]
        findings = publish_quality_summary(run, quality[run.year])
    with stage("score", timings, total=len(run.provinces)):
        scores = {}
        for code in run.provinces:
            scores[code] = score_province(run, code, timeliness[code])
            outputs += export_scores(run, scores[code])
            publish_ranking(run, scores[code])
        publish_rankings(run)
    rendered = None
    if run.pdf:
        with stage("build", timings, total=len(run.provinces)):
            planned += [
                report
                for code in run.provinces
                for report in build_reports(run, code, scores[code], quality[run.year], timeliness[code])
            ]
        jobs = [report.job for report in planned if report.job is not None]
        with stage("render", timings, total=len(jobs)):
            rendered = render(run, jobs)
            publish_reports(run, planned, rendered)
    summary = publish_run_summary(
        run, timeliness, outputs, findings, scores, rendered, planned=planned if run.pdf else None, timings=timings
    )
    check_rendered(run, rendered)
    return summary
