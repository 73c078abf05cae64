"""The parent flow: ingest the inbox; then, for each year and its provinces, timeliness, data quality
(findings, receipts), scoring (ranking, plan completion, adjustment, shortlist), the exports, the PDF reports
(only those whose inputs changed) and their publication as versions.

Stages are tasks batched per province (or per year), never per row. Locks keep two runs on the same
province (or two ingests of the inbox) from interleaving.
"""

from __future__ import annotations

import time
from datetime import date
from typing import Literal

from prefect import flow

from chanjiao.operations import progress
from chanjiao.operations.settings import Settings
from chanjiao.quality.timeliness import check_reporting_year, reporting_years, today_in_china
from chanjiao.reference.registry import ProvinceCode
from flows.render import render_on_dask
from tasks.exports import export_rejections, export_submissions, publish_rankings, publish_run_summary
from tasks.intake import ingest_inbox
from tasks.operations import INBOX_LOCK, clean_partial_outputs, province_lock, run_locks
from tasks.quality import export_findings, publish_quality_summary, validate_year, write_receipts, years_to_validate
from tasks.reference import load_reference_data
from tasks.reporting import build_reports, check_rendered, publish_reports, render_pdfs
from tasks.scoring import export_scores, publish_ranking, score_province
from tasks.timeliness import province_timeliness

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
    """
    started = time.perf_counter()
    settings = (
        Settings()
        .with_overrides(
            inbox_dir=inbox_dir,
            registry_file=registry_file,
            extensions_file=extensions_file,
            warehouse_dir=warehouse_dir,
        )
        .resolved()
    )
    as_of = as_of or today_in_china()
    years = [year] if year is not None else reporting_years(as_of)
    reference = load_reference_data(
        settings.registry_file, settings.extensions_path, settings.url, settings.frameworks_dir
    )
    if year is not None:  # a year nothing can be due in yet, or nobody is expected to report for: refuse
        check_reporting_year(reference.registry, year, as_of, provinces)
    codes = {y: reference.select_provinces(y, provinces) for y in years}
    wait = settings.lock_wait_seconds

    timings = {}
    with run_locks(settings.url, [INBOX_LOCK], wait):
        mark = time.perf_counter()
        ingest = ingest_inbox(settings.inbox_dir, reference, settings.url, settings.read_limits)
        rejections = export_rejections(settings.url, settings.reports_dir, sorted(set(ingest.years) | set(years)))
        timings["ingest"] = time.perf_counter() - mark

    locked = sorted({code for year_codes in codes.values() for code in year_codes})
    with run_locks(settings.url, [province_lock(code) for code in locked], wait):
        clean_partial_outputs(
            settings.reports_dir, settings.receipts_dir, years, locked, reference.consortia_in(locked)
        )
        results = [
            _process_year(
                y,
                codes[y],
                as_of,
                reference,
                ingest,
                settings,
                force=force,
                pdf=pdf,
                task_runner=task_runner,
                dask_address=dask_address,
                outputs=list(rejections),
                timings=dict(timings),
            )
            for y in years
        ]
    total = time.perf_counter() - started
    for result in results:
        result["timings"]["total"] = round(total, 2)
    if len(results) == 1:
        return results[0]
    return {"years": results, "as_of": as_of.isoformat(), "timings": {"total": round(total, 2)}}


def _process_year(
    year: int,
    province_codes: list[str],
    as_of: date,
    reference,
    ingest,
    settings: Settings,
    *,
    force: bool,
    pdf: bool,
    task_runner: str,
    dask_address: str | None,
    outputs: list,
    timings: dict,
) -> dict:
    """One year's stages for its provinces (wiring only: every step is a task)."""
    url, reports_dir = settings.url, settings.reports_dir
    mark = time.perf_counter()
    upto = ingest.snapshot  # what this run's ingest saw: files another run ingests meanwhile wait for the next run
    timeliness = {code: province_timeliness(reference, url, year, code, as_of, upto) for code in province_codes}
    outputs += [export_submissions(frame, reports_dir, year, code) for code, frame in timeliness.items()]

    # Data quality for the year, for any year that received files in this run (their receipts), and for any
    # year never validated (scoring uses only usable values, of this year and earlier ones).
    consortia = reference.consortia_in(province_codes)
    quality = {
        y: validate_year(reference, url, y, consortia, force=force, upto=upto)
        for y in years_to_validate(url, year, consortia, ingest.new_years, upto)
    }
    outputs += [export_findings(quality[year], reference, reports_dir, year, code, as_of) for code in province_codes]
    # Receipts: of the year, of the years that received files, and of any year whose findings were redone.
    planned = [
        report
        for y, validated in quality.items()
        if y == year or y in ingest.new_years or validated.redone
        for report in write_receipts(validated, reference, settings.receipts_dir, y, url, pdf=pdf, force=force)
    ]
    counts = publish_quality_summary(quality[year], year, as_of)
    timings["validate"] = time.perf_counter() - mark

    mark = time.perf_counter()
    progress.start("score", len(province_codes))
    scores = {}
    for code in province_codes:
        scores[code] = score_province(reference, url, year, code, as_of, timeliness[code], force=force, upto=upto)
        outputs += export_scores(scores[code], reports_dir, year, code)
        publish_ranking(scores[code], reference, year, code, as_of)
        progress.advance("score")
    publish_rankings(url, year)
    timings["score"] = time.perf_counter() - mark

    rendered = None
    if pdf:
        mark = time.perf_counter()
        progress.start("build", len(province_codes))
        planned += [
            report
            for code in province_codes
            for report in build_reports(
                scores[code],
                quality[year],
                timeliness[code],
                reference,
                url,
                reports_dir,
                year,
                code,
                as_of,
                force=force,
            )
        ]
        timings["build"] = time.perf_counter() - mark
        mark = time.perf_counter()
        jobs = [report.job for report in planned if report.job is not None]
        progress.start("render", len(jobs))
        if task_runner == "dask" and jobs:
            rendered = render_on_dask(jobs, year, dask_address, settings.dask_batch_size, settings.report_workers)
        else:
            rendered = render_pdfs(jobs, year, settings.report_workers)
        publish_reports(planned, rendered, url, settings.warehouse_dir, year)
        timings["render"] = time.perf_counter() - mark
    summary = publish_run_summary(
        year,
        as_of,
        ingest,
        timeliness,
        outputs,
        url,
        counts,
        settings.receipts_dir,
        scores,
        rendered,
        planned=planned if pdf else None,
        timings={k: round(v, 2) for k, v in timings.items()},
    )
    check_rendered(rendered, year)
    return summary
