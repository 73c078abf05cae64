"""The PDF reports: gather a province's year (one read), decide which reports changed and build their HTML
in the core, render all PDFs of the run in one process pool (or on a Dask cluster), then record the
published versions."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import pandas as pd
from prefect import task
from prefect.futures import as_completed
from prefect.cache_policies import NO_CACHE
from prefect.logging import get_run_logger

from chanjiao import progress
from chanjiao.catalogue import load_catalogue
from chanjiao.publication import tally
from chanjiao.reference import ReferenceData
from chanjiao.render import PdfJob, RenderResult, ReportError, render_batch
from chanjiao.report_jobs import (PlannedReport, plan_province_reports, published_records, reports_inputs_digest,
                                  unchanged_reports)
from chanjiao.reports import ProvinceYear
from chanjiao.timeliness import expected_filers
from tasks.quality import YearQuality
from tasks.scoring import ProvinceScores, scoring_frames
from tasks.templates import templates_version
from warehouse import Warehouse


@dataclass
class RenderSummary:
    """What the render stage wrote: the PDFs (with their HTML beside them), pages and seconds."""

    results: list[RenderResult] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)      # "target: reason" of every PDF not written

    @property
    def paths(self) -> list[Path]:
        return [r.target for r in self.results]

    @property
    def pages(self) -> int:
        return sum(r.pages for r in self.results)

    @property
    def seconds(self) -> float:
        return sum(r.seconds for r in self.results)

    @property
    def receipts(self) -> int:
        return sum(1 for r in self.results if r.target.parent.parent.name == "receipts")

    @property
    def reports(self) -> int:
        return len(self.results) - self.receipts


def _history(warehouse: Warehouse, registry: pd.DataFrame, year: int, province_code: str) -> dict[int, dict]:
    """Earlier years' stored scores of the province, for the trend chart (only years that were scored)."""
    first = int(registry["recognized_year"].min()) if len(registry) else year
    history = {}
    for earlier in range(first, year):
        scores = warehouse.scores(earlier, province_code)
        if scores:
            history[earlier] = {"scores": scores, "indicators": warehouse.indicator_scores(earlier, province_code)}
    return history


@task(name="build-reports", task_run_name="build-reports-{year}-{province_code}", cache_policy=NO_CACHE)
def build_reports(scores: ProvinceScores, quality: YearQuality, timeliness: pd.DataFrame, reference: ReferenceData,
                  database_url: str, reports_dir: Path, year: int, province_code: str, as_of: date,
                  force: bool = False) -> list[PlannedReport]:
    """The province's consortium reports and its provincial report: each fingerprinted and compared with its
    published versions; the HTML of those that changed (or whose PDF is missing, or all with ``force``).
    When nothing the province's reports read has changed since they were published, none is even built."""
    catalogue = load_catalogue()
    province = reference.provinces.loc[province_code]
    registry = expected_filers(reference.registry[reference.registry["province_code"] == province_code], year)
    folder = Path(reports_dir) / str(year) / province_code
    now = datetime.now().astimezone()
    warehouse = Warehouse.open(database_url)
    try:
        stored = {"scores": warehouse.scores(year, province_code),
                  "indicators": warehouse.indicator_scores(year, province_code),
                  "points": warehouse.point_scores(year, province_code)}
        history = _history(warehouse, registry, year, province_code)
        published = [p for p in warehouse.report_versions(year, province_code) if p.kind != "receipt"]
        data = ProvinceYear(
            year=year, as_of=as_of, province_code=province_code, province_name=province["province"],
            department=province["department"], framework=scores.framework, registry=registry, **stored,
            timeliness=timeliness, findings=quality.latest_findings(as_of, set(registry.index)),
            versions=scores.versions, values=scores.values, cells=scores.cells, milestones=reference.milestones,
            layout=reference.layout[reference.layout["province_code"] == province_code], history=history,
            generated_at=now)
        inputs = reports_inputs_digest(data, score_inputs=scores.inputs, template=templates_version())
        if not force and warehouse.stage_digests("reports", year).get(province_code) == inputs:
            planned = unchanged_reports(data, published, folder=folder)
            if planned is not None:
                progress.advance("build")
                get_run_logger().info("%s %d: nothing the reports read has changed; all %d stand", province_code,
                                      year, len(planned))
                return planned
        if data.values is None:        # scores were reused: read what the reports show of the submissions
            data.values, data.cells = scoring_frames(warehouse, catalogue, data.versions)
    finally:
        warehouse.close()
    planned = plan_province_reports(data, catalogue, published, template=templates_version(), folder=folder,
                                    now=now, force=force)
    planned = [dataclasses.replace(report, inputs=inputs) for report in planned]
    progress.advance("build")
    counts = tally([p.decision for p in planned])
    get_run_logger().info("%s %d: %d reports to render (%s), %d unchanged", province_code, year,
                          sum(1 for p in planned if p.job), ", ".join(f"{k} {v}" for k, v in counts.items()
                                                                     if v and k != "unchanged"),
                          counts["unchanged"])
    return planned


@task(name="render-pdfs", task_run_name="render-pdfs-{year}", cache_policy=NO_CACHE, retries=1,
      retry_delay_seconds=2)
def render_pdfs(jobs: list[PdfJob], year: int, workers: int | None = None) -> RenderSummary:
    """Every PDF of the run in one process pool sized to the machine (the font check comes first: no CJK
    font, no PDFs — never pages of blank boxes)."""
    logger = get_run_logger()
    failures: list = []
    results = render_batch(jobs, workers=workers, on_result=lambda _: progress.advance("render"), failures=failures)
    summary = RenderSummary(results, [str(error) for error in failures])
    refused = sorted({url for r in results for url in r.refused})
    if refused:
        logger.warning("reports asked for %d resources outside report_templates/; none was fetched: %s",
                       len(refused), ", ".join(refused[:5]))
    logger.info("%d: rendered %d PDFs (%d pages) in %.1f s of render time", year, len(results), summary.pages,
                summary.seconds)
    return summary


@task(name="render-pdf-batch", task_run_name="render-pdf-batch-{year}-{batch}", cache_policy=NO_CACHE, retries=1,
      retry_delay_seconds=2)
def render_pdf_batch(jobs: list[PdfJob], year: int, batch: int) -> RenderSummary:
    """One batch of PDFs rendered in this process — on a Dask worker, which is daemonic and cannot start a
    process pool of its own: the cluster's workers are the parallelism."""
    failures: list = []
    results = render_batch(jobs, workers=1, failures=failures)
    get_run_logger().info("%d batch %d: rendered %d PDFs (%d pages)", year, batch, len(results),
                          sum(r.pages for r in results))
    return RenderSummary(results, [str(error) for error in failures])


def render_on_dask(jobs: list[PdfJob], year: int, address: str | None, batch_size: int,
                   workers: int | None) -> RenderSummary:
    """Render the PDFs in batches on a Dask cluster: an existing one at ``address``, or a local one with one
    single-threaded worker process per core. Each batch renders in-process on its worker. Called from the
    flow (not a task itself): it submits ``render-pdf-batch`` tasks to a DaskTaskRunner."""
    from prefect_dask import DaskTaskRunner

    runner = (DaskTaskRunner(address=address) if address else
              DaskTaskRunner(cluster_kwargs={"n_workers": workers, "threads_per_worker": 1, "processes": True}))
    batches = [jobs[i:i + batch_size] for i in range(0, len(jobs), batch_size)]
    summary = RenderSummary()
    with runner:
        futures = [runner.submit(render_pdf_batch, {"jobs": batch, "year": year, "batch": n})
                   for n, batch in enumerate(batches, 1)]
        for future in as_completed(futures):
            batch = future.result()
            summary.results += batch.results
            summary.failures += batch.failures
            progress.advance("render", len(batch.results) + len(batch.failures))
    return summary


@task(name="check-rendered", task_run_name="check-rendered-{year}", cache_policy=NO_CACHE)
def check_rendered(rendered: RenderSummary | None, year: int) -> None:
    """Fail the run — after what was written is published and the summary is out — if a PDF was not
    written: the next run renders it again (it was not recorded)."""
    if rendered is not None and rendered.failures:
        shown = "; ".join(rendered.failures[:3]) + ("; …" if len(rendered.failures) > 3 else "")
        raise ReportError(f"{len(rendered.failures)} PDFs of {year} not written (the others are published): {shown}")


@task(name="publish-reports", task_run_name="publish-reports-{year}", cache_policy=NO_CACHE, retries=2,
      retry_delay_seconds=1)
def publish_reports(planned: list[PlannedReport], rendered: RenderSummary, database_url: str, warehouse_dir: Path,
                    year: int) -> dict[str, int]:
    """Record every PDF written in this run as a published version (its archived copy under versions/);
    what failed or was not rendered is not recorded, so the next run renders it."""
    now = datetime.now().astimezone()
    pages = {r.target: r.pages for r in rendered.results}
    records = published_records(planned, pages, now, root=Path(warehouse_dir))
    # A province whose reports were all written (or stood) need not be built next time if nothing changes.
    complete = {}
    for report in planned:
        if report.decision.kind == "receipt" or not report.inputs:
            continue
        done = report.job is None or report.job.target in pages
        complete[report.province_code] = complete.get(report.province_code, report.inputs) if done else None
    warehouse = Warehouse.open(database_url)
    try:
        warehouse.record_report_versions(records)
        warehouse.save_stage_digests("reports", year, {code: inputs for code, inputs in complete.items() if inputs})
        receipts: dict[int, dict[str, str]] = {}      # receipts of every year validated in the run
        for r in planned:
            if r.decision.kind == "receipt" and r.inputs and r.job is not None and r.job.target in pages:
                receipts.setdefault(r.decision.year, {})[r.decision.subject] = r.inputs
        for receipt_year, digests in receipts.items():
            warehouse.save_stage_digests("receipt", receipt_year, digests)
    finally:
        warehouse.close()
    counts = tally([p.decision for p in planned])
    revised = sorted(p.decision.subject for p in planned if p.decision.action == "revised" and p.decision.kind != "receipt")
    get_run_logger().info("%d: published %d versions (%s)%s", year, len(records),
                          ", ".join(f"{k} {v}" for k, v in counts.items() if v),
                          f"; 修订版: {', '.join(revised)}" if revised else "")
    return counts
