"""Timeliness per province: computed in the core, stored in the warehouse; the deadline calendar and reminders;
and the run calendar the flows ask for (today in Beijing, the default years, the years deadlines fall in)."""

from __future__ import annotations

import pandas as pd
from prefect import task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.logging import get_run_logger

from chanjiao.common.exports import reminder_csv
from chanjiao.common.fileio import write_if_changed
from chanjiao.quality.timeliness import (
    REMINDER_DAYS,
    compute_timeliness,
    deadline_years,
    passed_deadlines,
    reminders,
    reporting_years,
    status_counts,
    today_in_china,
    versions_frame,
)
from tasks.retry import io_retries
from tasks.run import RunContext, open_warehouse

# The run calendar, for the flows (which import only tasks): plain functions of chanjiao.quality.timeliness.
__all__ = ["REMINDER_DAYS", "deadline_years", "reporting_years", "today_in_china"]


@task(name="timeliness", task_run_name="timeliness-{run.year}-{province_code}", cache_policy=NO_CACHE, **io_retries())
def province_timeliness(run: RunContext, province_code: str) -> pd.DataFrame:
    """Status of every expected plan and summary of one province's consortia for the run's year."""
    logger = get_run_logger()
    reference, year = run.reference, run.year
    registry = reference.registry[reference.registry["province_code"] == province_code]
    with open_warehouse(run) as warehouse:
        versions = versions_frame(warehouse.versions(year=year, consortium_ids=registry.index, upto=run.upto))
        frame = compute_timeliness(registry, versions, reference.deadlines, reference.extensions, year, run.as_of)
        warehouse.save_timeliness(frame, year=year, province_codes=[province_code], as_of=run.as_of)
    logger.info("%s %d: %s", province_code, year, ", ".join(f"{k} {v}" for k, v in status_counts(frame).items()))
    return frame


@task(name="deadline-calendar", cache_policy=NO_CACHE, **io_retries())
def deadline_calendar(run: RunContext, years: list[int]) -> pd.DataFrame:
    """Every expected document of the years, all provinces, with its due date (extensions applied) and its
    status as of the run's date — read only: nothing is stored (the annual-compliance run stores timeliness)."""
    reference = run.reference
    with open_warehouse(run) as warehouse:
        versions = versions_frame(warehouse.versions(consortium_ids=reference.registry.index))
    frames = [
        compute_timeliness(reference.registry, versions, reference.deadlines, reference.extensions, year, run.as_of)
        for year in years
    ]
    frames = [frame for frame in frames if len(frame)]
    return (
        pd.concat(frames, ignore_index=True)
        if frames
        else compute_timeliness(
            reference.registry.iloc[0:0], versions, reference.deadlines, reference.extensions, years[0], run.as_of
        )
    )


@task(name="deadlines-passed", task_run_name="deadlines-passed-{run.as_of}", cache_policy=NO_CACHE)
def deadlines_passed(run: RunContext, calendar: pd.DataFrame) -> list[dict]:
    """The documents due the day before the run's date (chanjiao.quality.timeliness.passed_deadlines), as
    plain rows."""
    passed = passed_deadlines(calendar, run.as_of)
    return [
        {
            "year": int(r.year),
            "province": r.province_code,
            "consortium_id": r.consortium_id,
            "kind": r.kind,
            "due_date": r.due_date.isoformat(),
            "status": r.status,
        }
        for r in passed.itertuples()
    ]


@task(name="publish-reminders", task_run_name="publish-reminders-{run.as_of}", cache_policy=NO_CACHE, **io_retries())
def publish_reminders(run: RunContext, calendar: pd.DataFrame, days_before: tuple[int, ...] = REMINDER_DAYS) -> dict:
    """The documents not yet filed 14, 7 or 1 days before their due date: one CSV per province and year
    (``reports/<year>/reminders/<province>-<as_of>.csv``) and one table artifact for the whole run. Returns
    the rows and the files."""
    logger = get_run_logger()
    as_of = run.as_of
    due = reminders(calendar, as_of, tuple(days_before))
    paths = [
        write_if_changed(run.paths.reminders(year, province, as_of), reminder_csv(rows))
        for (year, province), rows in due.groupby(["year", "province_code"], sort=True)
    ]
    rows = due.astype(object).where(due.notna(), None).assign(due_date=due["due_date"].map(str)).to_dict("records")
    if len(due):
        create_table_artifact(
            rows,
            key="deadline-reminder",
            description=f"Not yet filed, {as_of:%Y-%m-%d}: due in {', '.join(map(str, sorted(set(due['days_left']))))} days",
        )
        logger.info(
            "%d documents not yet filed with a deadline ahead: %s",
            len(due),
            "; ".join(
                f"{r.consortium_id} {r.kind} due {r.due_date} ({r.days_left} d)" for r in due.head(10).itertuples()
            ),
        )
    else:
        logger.info("%s: no document is due in the reminder windows and unfiled", as_of)
    return {"due": rows, "outputs": [str(p) for p in paths]}
