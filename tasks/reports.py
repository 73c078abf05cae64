"""The PDF reports: gather a province's year (one read), build every report's HTML in the core, then render
all PDFs of the run — consortium reports, province reports and receipts — in one process pool."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pandas as pd
from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.logging import get_run_logger

from chanjiao.catalogue import load_catalogue
from chanjiao.render import Attachment, PdfJob, render_batch
from chanjiao.reference import ReferenceData
from chanjiao.render import render_html
from chanjiao.reports import (ProvinceYear, consortium_attachment, consortium_context, province_attachments,
                              province_context)
from chanjiao.timeliness import expected_filers
from tasks.quality import YearQuality
from tasks.scoring import ProvinceScores
from warehouse import Warehouse


@dataclass
class RenderSummary:
    """What the render stage wrote: the PDFs (with their HTML beside them), pages and seconds."""

    paths: list[Path]
    pages: int
    seconds: float
    reports: int
    receipts: int


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
                  database_url: str, reports_dir: Path, year: int, province_code: str, as_of: date) -> list[PdfJob]:
    """The province's consortium reports and its provincial report, as HTML ready for WeasyPrint."""
    catalogue = load_catalogue()
    province = reference.provinces.loc[province_code]
    registry = expected_filers(reference.registry[reference.registry["province_code"] == province_code], year)
    warehouse = Warehouse.open(database_url)
    try:
        stored = {"scores": warehouse.scores(year, province_code),
                  "indicators": warehouse.indicator_scores(year, province_code),
                  "points": warehouse.point_scores(year, province_code)}
        history = _history(warehouse, registry, year, province_code)
    finally:
        warehouse.close()
    data = ProvinceYear(
        year=year, as_of=as_of, province_code=province_code, province_name=province["province"],
        department=province["department"], framework=scores.framework, registry=registry, **stored,
        timeliness=timeliness, findings=quality.latest_findings(as_of, set(registry.index)),
        versions=scores.versions, values=scores.values, cells=scores.cells, milestones=reference.milestones,
        layout=reference.layout[reference.layout["province_code"] == province_code], history=history,
        generated_at=datetime.now().astimezone())
    folder = Path(reports_dir) / str(year) / province_code
    jobs = []
    for row in data.scores:
        cid = row["consortium_id"]
        context = consortium_context(data, cid, catalogue)
        jobs.append(PdfJob(html=render_html("consortium.html.j2", context), target=folder / f"{cid}.pdf",
                           title=context["document"]["title"], author=data.department,
                           attachments=(Attachment(name=f"{cid}-{year}-scores.json",
                                                   data=consortium_attachment(data, cid),
                                                   description="总分、指标、评分点与数据质量问题（机器可读）",
                                                   mime_type="application/json"),)))
    context = province_context(data, catalogue)
    jobs.append(PdfJob(html=render_html("province.html.j2", context), target=folder / "province.pdf",
                       title=context["document"]["title"], author=data.department,
                       attachments=tuple(Attachment(name=name, data=content, description=description,
                                                    mime_type="text/csv")
                                         for name, content, description in province_attachments(data))))
    get_run_logger().info("%s %d: %d consortium reports and the provincial report ready to render", province_code,
                          year, len(jobs) - 1)
    return jobs


@task(name="render-pdfs", task_run_name="render-pdfs-{year}", cache_policy=NO_CACHE, retries=1,
      retry_delay_seconds=2)
def render_pdfs(jobs: list[PdfJob], year: int, workers: int | None = None) -> RenderSummary:
    """Every PDF of the run in one process pool sized to the machine (the font check comes first: no CJK
    font, no PDFs — never pages of blank boxes)."""
    logger = get_run_logger()
    results = render_batch(jobs, workers=workers)
    pages = sum(r.pages for r in results)
    seconds = sum(r.seconds for r in results)
    refused = sorted({url for r in results for url in r.refused})
    if refused:
        logger.warning("reports asked for %d resources outside report_templates/; none was fetched: %s",
                       len(refused), ", ".join(refused[:5]))
    receipts = sum(1 for job in jobs if job.target.parent.parent.name == "receipts")
    logger.info("%d: rendered %d PDFs (%d pages) in %.1f s of render time", year, len(results), pages, seconds)
    return RenderSummary(paths=[r.target for r in results], pages=pages, seconds=seconds,
                         reports=len(results) - receipts, receipts=receipts)
