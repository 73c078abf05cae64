"""The parent flow: ingest the inbox; then, for one year and its provinces, timeliness, data quality
(findings, receipts), scoring (ranking, plan completion, adjustment, shortlist), the exports and the PDF
reports (per consortium, per province, and the receipts as PDFs)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from prefect import flow

from chanjiao.settings import Settings
from tasks.export import export_rejections, export_submissions, publish_run_summary
from tasks.ingest import ingest_inbox
from tasks.quality import export_findings, publish_quality_summary, validate_year, write_receipts, years_to_validate
from tasks.reference import load_reference_data
from tasks.reports import build_reports, render_pdfs
from tasks.scoring import export_scores, publish_ranking, score_province
from tasks.timeliness import province_timeliness

REPORTING_TZ = ZoneInfo("Asia/Shanghai")


def today_in_china() -> date:
    """Deadlines are Beijing dates: "today" is judged there, whatever the server's clock zone."""
    return datetime.now(REPORTING_TZ).date()


@flow(name="annual-compliance", flow_run_name="annual-compliance-{year}", validate_parameters=True)
def annual_compliance(year: int, provinces: list[str] | None = None, as_of: date | None = None,
                      inbox_dir: str | None = None, registry_file: str | None = None,
                      extensions_file: str | None = None, warehouse_dir: str | None = None,
                      database_url: str | None = None, pdf: bool = True) -> dict:
    """Ingest every new file under INBOX/<year>/ (all years), then process ``year`` for the provinces.

    ``pdf=False`` is a data-only run: everything but the PDF reports and the receipts' PDFs.
    """
    settings = Settings().with_overrides(inbox_dir=inbox_dir, registry_file=registry_file,
                                         extensions_file=extensions_file, warehouse_dir=warehouse_dir,
                                         database_url=database_url)
    as_of = as_of or today_in_china()

    reference = load_reference_data(settings.registry_file, settings.extensions_path, settings.url,
                                    settings.frameworks_dir)
    ingest = ingest_inbox(settings.inbox_dir, reference, settings.url, settings.read_limits)

    province_codes = reference.select_provinces(year, provinces)
    timeliness = {code: province_timeliness(reference, settings.url, year, code, as_of) for code in province_codes}
    outputs = [export_submissions(frame, settings.reports_dir, year, code) for code, frame in timeliness.items()]
    outputs += export_rejections(settings.url, settings.reports_dir, sorted(set(ingest.years) | {year}))

    # Data quality for the year, for any year that received files in this run (their receipts), and for any
    # year never validated (scoring uses only usable values, of this year and earlier ones).
    consortia = reference.consortia_in(province_codes)
    quality = {y: validate_year(reference, settings.url, y, consortia)
               for y in years_to_validate(settings.url, year, consortia, ingest.new_years)}
    outputs += [export_findings(quality[year], reference, settings.reports_dir, year, code, as_of)
                for code in province_codes]
    pdfs = [job for y, validated in quality.items()
            for job in write_receipts(validated, reference, settings.receipts_dir, y)]
    counts = publish_quality_summary(quality[year], year, as_of)

    scores = {code: score_province(reference, settings.url, year, code, as_of, timeliness[code])
              for code in province_codes}
    for code, scored in scores.items():
        outputs += export_scores(scored, settings.reports_dir, year, code)
        publish_ranking(scored, reference, year, code, as_of)

    rendered = None
    if pdf:
        pdfs += [job for code in province_codes
                 for job in build_reports(scores[code], quality[year], timeliness[code], reference, settings.url,
                                          settings.reports_dir, year, code, as_of)]
        rendered = render_pdfs(pdfs, year, settings.report_workers)
    return publish_run_summary(year, as_of, ingest, timeliness, outputs, settings.url, counts, settings.receipts_dir,
                               scores, rendered)
