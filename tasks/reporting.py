"""The PDF reports: gather a province's year (one read), decide which reports changed and build their HTML
in the core, render all PDFs of the run in one process pool (or on a Dask cluster: see flows/render.py),
then record the published versions."""

from __future__ import annotations

import dataclasses
import os
import socket
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pandas as pd
from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.logging import get_run_logger

from chanjiao.operations import progress
from chanjiao.quality.timeliness import expected_filers
from chanjiao.reference.catalogue import load_catalogue
from chanjiao.reporting.context import ProvinceYear
from chanjiao.reporting.jobs import (
    PlannedReport,
    plan_province_reports,
    published_records,
    reports_inputs_digest,
    unchanged_reports,
)
from chanjiao.reporting.pdf import (
    PdfJob,
    RenderedPdf,
    RenderResult,
    ReportError,
    font_configuration,
    not_on_disk,
    render_batch,
    render_in_memory,
    require_cjk_font,
    warn_if_slow_subsetting,
    write_rendered,
)
from chanjiao.reporting.versions import tally
from tasks.quality import YearQuality
from tasks.retry import io_retries
from tasks.run import RunContext, open_warehouse
from tasks.scoring import ProvinceScores, scoring_frames
from tasks.templates import templates_version
from warehouse import Warehouse

# What the rendering subflow (flows/render.py) needs of chanjiao.reporting.pdf: flows import only tasks.
__all__ = ["PdfJob", "ReportError", "load_fonts"]


def load_fonts() -> None:
    """Check and load the Chinese fonts before the first PDF (a Dask worker's start-up): no CJK font, no PDFs."""
    require_cjk_font()
    warn_if_slow_subsetting()
    font_configuration()


@dataclass
class RenderSummary:
    """What the render stage wrote on the flow's machine: the PDFs (with their HTML beside them), each checked
    on disk, pages and seconds; and the PDFs not written."""

    results: list[RenderResult] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)  # "target: reason" of every PDF not written

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

    @property
    def workers(self) -> dict[str, int]:
        """PDFs per Dask worker that rendered them (empty when rendered on the flow's machine)."""
        counts: dict[str, int] = {}
        for r in self.results:
            if r.rendered_by:
                counts[r.rendered_by] = counts.get(r.rendered_by, 0) + 1
        return counts

    def add(self, other: RenderSummary) -> None:
        self.results += other.results
        self.failures += other.failures


@dataclass
class RenderedBatch:
    """What a Dask worker sends back for one batch: the PDFs' bytes (the flow's machine writes them) and the
    jobs that failed. ``worker`` is the Dask worker's address."""

    batch: int
    pdfs: list[RenderedPdf] = field(default_factory=list)
    failures: list[ReportError] = field(default_factory=list)  # each names its job's target (``file``)
    worker: str = ""


def _history(warehouse: Warehouse, registry: pd.DataFrame, year: int, province_code: str) -> dict[int, dict]:
    """Earlier years' stored scores of the province, for the trend chart (only years that were scored)."""
    first = int(registry["recognized_year"].min()) if len(registry) else year
    history = {}
    for earlier in range(first, year):
        scores = warehouse.scores(earlier, province_code)
        if scores:
            history[earlier] = {"scores": scores, "indicators": warehouse.indicator_scores(earlier, province_code)}
    return history


@task(
    name="build-reports",
    task_run_name="build-reports-{run.year}-{province_code}",
    cache_policy=NO_CACHE,
    **io_retries(),
)
def build_reports(
    run: RunContext, province_code: str, scores: ProvinceScores, quality: YearQuality, timeliness: pd.DataFrame
) -> list[PlannedReport]:
    """The province's consortium reports and its provincial report: each fingerprinted and compared with its
    published versions; the HTML of those that changed (or whose PDF is missing, or all with ``force``).
    When nothing the province's reports read has changed since they were published, none is even built."""
    catalogue = load_catalogue()
    reference, year, as_of, force = run.reference, run.year, run.as_of, run.force
    province = reference.provinces.loc[province_code]
    registry = expected_filers(reference.registry[reference.registry["province_code"] == province_code], year)
    folder = run.paths.province(year, province_code)
    now = datetime.now().astimezone()
    with open_warehouse(run) as warehouse:
        stored = {
            "scores": warehouse.scores(year, province_code),
            "indicators": warehouse.indicator_scores(year, province_code),
            "points": warehouse.point_scores(year, province_code),
        }
        history = _history(warehouse, registry, year, province_code)
        published = [p for p in warehouse.report_versions(year, province_code) if p.kind != "receipt"]
        data = ProvinceYear(
            year=year,
            as_of=as_of,
            province_code=province_code,
            province_name=province["province"],
            department=province["department"],
            framework=scores.framework,
            registry=registry,
            **stored,
            timeliness=timeliness,
            findings=quality.latest_findings(as_of, set(registry.index)),
            versions=scores.versions,
            values=scores.values,
            cells=scores.cells,
            milestones=reference.milestones,
            layout=reference.layout[reference.layout["province_code"] == province_code],
            history=history,
            generated_at=now,
        )
        inputs = reports_inputs_digest(data, score_inputs=scores.inputs, template=templates_version())
        if not force and warehouse.stage_digests("reports", year).get(province_code) == inputs:
            planned = unchanged_reports(data, published, folder=folder)
            if planned is not None:
                progress.advance("build")
                get_run_logger().info(
                    "%s %d: nothing the reports read has changed; all %d stand", province_code, year, len(planned)
                )
                return planned
        if data.values is None:  # scores were reused: read what the reports show of the submissions
            data.values, data.cells = scoring_frames(warehouse, catalogue, data.versions)
    planned = plan_province_reports(
        data, catalogue, published, template=templates_version(), folder=folder, now=now, force=force
    )
    planned = [dataclasses.replace(report, inputs=inputs) for report in planned]
    progress.advance("build")
    counts = tally([p.decision for p in planned])
    get_run_logger().info(
        "%s %d: %d reports to render (%s), %d unchanged",
        province_code,
        year,
        sum(1 for p in planned if p.job),
        ", ".join(f"{k} {v}" for k, v in counts.items() if v and k != "unchanged"),
        counts["unchanged"],
    )
    return planned


@task(name="render-pdfs", task_run_name="render-pdfs-{run.year}", cache_policy=NO_CACHE, **io_retries(1))
def render_pdfs(run: RunContext, jobs: list[PdfJob]) -> RenderSummary:
    """Every PDF of the run in one process pool sized to the machine (``CHANJIAO_REPORT_WORKERS``; the font
    check comes first: no CJK font, no PDFs — never pages of blank boxes)."""
    logger = get_run_logger()
    year, failures = run.year, []
    results = render_batch(
        jobs, workers=run.settings.report_workers, on_result=lambda _: progress.advance("render"), failures=failures
    )
    summary = _on_disk(RenderSummary(results, [str(error) for error in failures]), {job.target: job for job in jobs})
    refused = sorted({url for r in results for url in r.refused})
    if refused:
        logger.warning(
            "reports asked for %d resources outside report_templates/; none was fetched: %s",
            len(refused),
            ", ".join(refused[:5]),
        )
    logger.info(
        "%d: rendered %d PDFs (%d pages) in %.1f s of render time",
        year,
        len(summary.results),
        summary.pages,
        summary.seconds,
    )
    return summary


def _on_disk(summary: RenderSummary, jobs: dict[Path, PdfJob]) -> RenderSummary:
    """Only PDFs that are on this machine's disk as rendered stay results; the others become failures (so
    they are not published, and the next run renders them again)."""
    kept = []
    for result in summary.results:
        job = jobs.get(result.target)
        problem = not_on_disk(result, copies=job.copies if job is not None else ())
        if problem:
            summary.failures.append(str(ReportError(f"PDF not written ({problem})", file=str(result.target))))
        else:
            kept.append(result)
    summary.results = kept
    return summary


def _dask_worker() -> str:
    """The address of the Dask worker this runs on (with its host name), or "" outside one."""
    try:
        from distributed import get_worker

        return f"{get_worker().address} ({socket.gethostname()}, pid {os.getpid()})"
    except (ImportError, ValueError):
        return ""


@task(
    name="render-pdf-batch",
    task_run_name="render-pdf-batch-{year}-{batch}",
    cache_policy=NO_CACHE,
    persist_result=False,
    **io_retries(1),
)
def render_pdf_batch(jobs: list[PdfJob], year: int, batch: int) -> RenderedBatch:
    """One batch of PDFs rendered to memory on a Dask worker, one after the other (a worker is daemonic and
    cannot start a process pool: the cluster's workers are the parallelism). Nothing is written here: the
    worker may not share the flow's disk, so the bytes go back to the flow, which writes them
    (``write-pdf-batch``). Its result is never persisted (it is the PDFs)."""
    failures: list = []
    pdfs = render_in_memory(jobs, failures=failures)
    worker = _dask_worker()
    get_run_logger().info(
        "%d batch %d: rendered %d PDFs (%d pages, %d bytes) on %s",
        year,
        batch,
        len(pdfs),
        sum(p.pages for p in pdfs),
        sum(len(p.pdf) for p in pdfs),
        worker or "this process",
    )
    return RenderedBatch(batch, pdfs, failures, worker)


@task(name="write-pdf-batch", task_run_name="write-pdf-batch-{year}-{batch}", cache_policy=NO_CACHE, **io_retries())
def write_pdf_batch(rendered: RenderedBatch, jobs: list[PdfJob], year: int, batch: int) -> RenderSummary:
    """On the flow's machine: write the PDFs a worker rendered (and the HTML, from the flow's own jobs) under
    the warehouse, each atomically, at the paths of the flow's jobs; each PDF is checked on disk. A job the
    worker sent nothing for is a failure; bytes for a path not in the batch are ignored."""
    logger = get_run_logger()
    by_target = {job.target: job for job in jobs}
    summary = RenderSummary(failures=[str(error) for error in rendered.failures])
    answered = {Path(error.file) for error in rendered.failures if error.file}
    for pdf in rendered.pdfs:
        job = by_target.get(Path(pdf.target))
        if job is None:
            logger.warning("batch %d: %s came back but is not in the batch; ignored", batch, pdf.target)
            continue
        answered.add(job.target)
        try:
            summary.results.append(write_rendered(job, pdf, rendered_by=rendered.worker))
        except ReportError as error:
            summary.failures.append(str(error))
    summary.failures += [
        str(ReportError("PDF not written (the Dask worker returned nothing for it)", file=str(t)))
        for t in by_target
        if t not in answered
    ]
    logger.info(
        "%d batch %d: wrote %d PDFs from %s", year, batch, len(summary.results), rendered.worker or "the worker"
    )
    return summary


@task(name="check-rendered", task_run_name="check-rendered-{run.year}", cache_policy=NO_CACHE)
def check_rendered(run: RunContext, rendered: RenderSummary | None) -> None:
    """Fail the run — after what was written is published and the summary is out — if a PDF was not
    written: the next run renders it again (it was not recorded)."""
    if rendered is not None and rendered.failures:
        shown = "; ".join(rendered.failures[:3]) + ("; …" if len(rendered.failures) > 3 else "")
        raise ReportError(
            f"{len(rendered.failures)} PDFs of {run.year} not written (the others are published): {shown}"
        )


@task(name="publish-reports", task_run_name="publish-reports-{run.year}", cache_policy=NO_CACHE, **io_retries())
def publish_reports(run: RunContext, planned: list[PlannedReport], rendered: RenderSummary) -> dict[str, int]:
    """Record every PDF written in this run as a published version (its archived copy under versions/);
    what failed or was not rendered is not recorded, so the next run renders it."""
    now, year = datetime.now().astimezone(), run.year
    pages = {r.target: r.pages for r in rendered.results}
    records = published_records(planned, pages, now, root=run.paths.warehouse_dir)
    # A province whose reports were all written (or stood) need not be built next time if nothing changes.
    complete = {}
    for report in planned:
        if report.decision.kind == "receipt" or not report.inputs:
            continue
        done = report.job is None or report.job.target in pages
        complete[report.province_code] = complete.get(report.province_code, report.inputs) if done else None
    with open_warehouse(run) as warehouse:
        warehouse.record_report_versions(records)
        warehouse.save_stage_digests("reports", year, {code: inputs for code, inputs in complete.items() if inputs})
        receipts: dict[int, dict[str, str]] = {}  # receipts of every year validated in the run
        for r in planned:
            if r.decision.kind == "receipt" and r.inputs and r.job is not None and r.job.target in pages:
                receipts.setdefault(r.decision.year, {})[r.decision.subject] = r.inputs
        for receipt_year, digests in receipts.items():
            warehouse.save_stage_digests("receipt", receipt_year, digests)
    counts = tally([p.decision for p in planned])
    revised = sorted(
        p.decision.subject for p in planned if p.decision.action == "revised" and p.decision.kind != "receipt"
    )
    get_run_logger().info(
        "%d: published %d versions (%s)%s",
        year,
        len(records),
        ", ".join(f"{k} {v}" for k, v in counts.items() if v),
        f"; 修订版: {', '.join(revised)}" if revised else "",
    )
    return counts
