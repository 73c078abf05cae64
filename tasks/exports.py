"""Writing the stable CSV exports and the run's Prefect artifact."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from prefect import task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.logging import get_run_logger

from chanjiao.common.errors import mask_password
from chanjiao.common.exports import rejected_csv, submissions_csv
from chanjiao.common.fileio import remove_stale_temporaries, write_if_changed
from chanjiao.quality.timeliness import status_counts
from chanjiao.reporting.versions import tally
from chanjiao.scoring.outputs import scoring_summary
from tasks.retry import io_retries
from tasks.run import RunContext, open_warehouse


@task(
    name="export-submissions",
    task_run_name="export-submissions-{run.year}-{province_code}",
    cache_policy=NO_CACHE,
    **io_retries(),
)
def export_submissions(run: RunContext, province_code: str, timeliness: pd.DataFrame) -> Path:
    """``reports/<year>/<province>/submissions.csv``, written atomically."""
    path = write_if_changed(run.paths.export(run.year, province_code, "submissions.csv"), submissions_csv(timeliness))
    get_run_logger().info("wrote %s (%d rows)", path, len(timeliness))
    return path


@task(name="export-rejections", cache_policy=NO_CACHE, **io_retries())
def export_rejections(run: RunContext, years: list[int]) -> list[Path]:
    """``reports/<year>/_rejected.csv`` for every inbox year: the files rejected by the latest run (written
    under the inbox lock, which also makes any temporary a killed run left of it stale)."""
    paths = []
    with open_warehouse(run) as warehouse:
        for year in years:
            remove_stale_temporaries(run.paths.year(year), ("_rejected.csv.",))
            rows = pd.DataFrame(
                [{"file": r.file, "reason": r.reason} for r in warehouse.rejections(year)], columns=["file", "reason"]
            )
            paths.append(write_if_changed(run.paths.rejected(year), rejected_csv(rows)))
    return paths


def report_counts(planned: list) -> dict[str, dict[str, int]]:
    """Decisions of the run by kind of document (consortium, province, receipt) and action."""
    return {
        kind: tally([p.decision for p in planned if p.decision.kind == kind])
        for kind in ("consortium", "province", "receipt")
        if any(p.decision.kind == kind for p in planned)
    }


@task(name="publish-rankings", task_run_name="publish-rankings-{run.year}", cache_policy=NO_CACHE, **io_retries())
def publish_rankings(run: RunContext) -> list[dict]:
    """The year's rankings of every province scored so far (read back from the warehouse, so a run for one
    province still leaves the whole table), as one table artifact, sortable in the Prefect UI."""
    year = run.year
    with open_warehouse(run) as warehouse:
        stored = warehouse.scores(year)
    rows = [
        {
            "province": c["province_code"],
            "rank": c["rank"],
            "consortium_id": c["consortium_id"],
            "name": c["name"],
            "total": c["total"],
            "grade": c["grade"],
            "plan_completed": bool(c["plan_completed"]),
            "adjustment": bool(c["adjustment"]),
            "shortlisted": bool(c["shortlisted"]),
            "note": c["note"] or "",
        }
        for c in stored
    ]
    if rows:
        create_table_artifact(rows, key=f"rankings-{year}", description=f"Rankings {year}, every province scored")
    return rows


@task(name="publish-run-summary", cache_policy=NO_CACHE)
def publish_run_summary(
    run: RunContext,
    timeliness: dict[str, pd.DataFrame],
    outputs: list[Path],
    findings: list[dict] | None = None,
    scores: dict | None = None,
    rendered=None,
    planned: list | None = None,
    timings: dict[str, float] | None = None,
) -> dict:
    """A markdown artifact a person reads after a year's run, and its result for callers (CLI, tests).

    ``planned`` are the run's report decisions (chanjiao.reporting.jobs.PlannedReport): reports written (new,
    revised 修订版, restored, forced) and skipped (unchanged); ``timings``: each stage's seconds so far."""
    year, as_of, ingest = run.year, run.as_of, run.ingest
    timings = {stage: round(seconds, 2) for stage, seconds in (timings or {}).items()}
    lines = [
        f"# 市域产教联合体 annual compliance — {year}",
        "",
        f"Inbox: {ingest.files_seen} files, {len(ingest.accepted)} accepted, {ingest.unchanged} unchanged, "
        f"{len(ingest.rejected)} rejected.",
        "",
    ]
    if ingest.rejected:
        lines += ["## Rejected files", "", "| file | reason |", "|---|---|"]
        lines += [f"| {f} | {r.replace('|', '/')} |" for f, r in ingest.rejected]
        lines.append("")
    counts = {province: status_counts(frame) for province, frame in sorted(timeliness.items())}
    table = [
        {"province": province, "rows": len(timeliness[province]), **figures} for province, figures in counts.items()
    ]
    if table:
        lines += [
            "## Timeliness",
            "",
            "| province | on time | late | missing | not yet due | not city-approved |",
            "|---|---|---|---|---|---|",
        ]
        lines += [
            f"| {t['province']} | {t['on_time']} | {t['late']} | {t['missing']} | {t['not_yet_due']} | "
            f"{t['not_city_approved']} |"
            for t in table
        ]
        lines.append("")
        create_table_artifact(table, key=f"timeliness-{year}", description=f"Submission timeliness {year}")
    findings = findings or []
    lines += ["## Data quality", "", "| rule | severity | findings | versions | explained |", "|---|---|---|---|---|"]
    lines += [
        f"| {f['rule']} | {f['severity']} | {f['findings']} | {f['versions']} | {f['explained']} |" for f in findings
    ] or ["| — | — | 0 | 0 | 0 |"]
    lines.append("")
    ranking = {
        code: scoring_summary(scored.framework, scored.consortia) for code, scored in sorted((scores or {}).items())
    }
    if ranking:
        lines += [
            "## Scores",
            "",
            "| province | framework | scored | grades | shortlisted | adjustment | no summary |",
            "|---|---|---|---|---|---|---|",
        ]
        lines += [
            f"| {code} | {scores[code].framework.label} | {r['scored']} | "
            f"{', '.join(f'{g} {n}' for g, n in r['grades'].items())} | {', '.join(r['shortlisted']) or '—'} | "
            f"{', '.join(r['adjustment']) or '—'} | {', '.join(r['no_summary']) or '—'} |"
            for code, r in ranking.items()
        ]
        lines.append("")
    reports = report_counts(planned) if planned is not None else None
    if rendered is not None:
        lines += [
            "## PDF reports",
            "",
            f"{rendered.reports} reports and {rendered.receipts} receipts written as PDF/A-3b, {rendered.pages} "
            f"pages, {rendered.seconds:.1f} s of render time.",
            "",
        ]
        if reports:
            lines += [
                "| | new | revised (修订版) | restored | forced | unchanged (skipped) |",
                "|---|---|---|---|---|---|",
            ]
            lines += [
                f"| {kind} | {c['new']} | {c['revised']} | {c['restored']} | {c['forced']} | {c['unchanged']} |"
                for kind, c in reports.items()
            ]
            revised = [p.decision for p in planned if p.decision.action == "revised" and p.decision.kind != "receipt"]
            if revised:
                lines += [
                    "",
                    "Revised after publication (修订版): "
                    + ", ".join(f"{d.subject} v{d.version} ({'；'.join(d.reasons)})" for d in revised),
                ]
            lines.append("")
        if rendered.failures:
            lines += (
                [f"**{len(rendered.failures)} PDFs not written** (not published; the next run renders them again):", ""]
                + [f"- {failure}" for failure in rendered.failures]
                + [""]
            )
        outputs = [*outputs, *(p for p in rendered.paths if p.name == "province.pdf")]
    if timings:
        lines += ["## Timings", "", "| stage | seconds |", "|---|---|"]
        lines += [f"| {stage} | {seconds:.1f} |" for stage, seconds in timings.items()] + [""]
    lines += ["## Outputs", ""] + [f"- [{Path(p).name}]({Path(p).resolve().as_uri()}) `{p}`" for p in outputs]
    markdown = "\n".join(lines)
    create_markdown_artifact(markdown, key=f"annual-compliance-{year}", description=f"Run summary {year}")
    return {
        "year": year,
        "as_of": as_of.isoformat(),
        "files_seen": ingest.files_seen,
        "accepted": len(ingest.accepted),
        "unchanged": ingest.unchanged,
        "rejected": ingest.rejected,
        "ignored": ingest.ignored,
        "provinces": {
            code: {k: v for k, v in figures.items() if v and k != "not_city_approved"}
            for code, figures in counts.items()
        },
        "findings": {
            severity: sum(f["findings"] for f in findings if f["severity"] == severity)
            for severity in ("fatal", "warning", "info")
        },
        "scores": ranking,
        "outputs": [str(p) for p in outputs],
        "receipts": str(run.paths.receipts),
        "pdfs": (
            {
                "reports": rendered.reports,
                "receipts": rendered.receipts,
                "pages": rendered.pages,
                "seconds": round(rendered.seconds, 1),
                "paths": [str(p) for p in rendered.paths],
                "rendered": len(rendered.results),
                "skipped": sum(c["unchanged"] for c in (reports or {}).values()),
                "actions": reports or {},
                "revised": sorted(
                    p.decision.subject
                    for p in planned or []
                    if p.decision.action == "revised" and p.decision.kind != "receipt"
                ),
                "failed": list(rendered.failures),
            }
            if rendered is not None
            else None
        ),
        "timings": dict(timings),
        "warehouse": mask_password(run.url),
    }
