"""Timeliness per province: computed in the core, stored in the warehouse."""

from __future__ import annotations

from datetime import date
from pathlib import Path

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
    passed_deadlines,
    reminders,
    status_counts,
    versions_frame,
)
from chanjiao.reference.registry import ReferenceData
from tasks.retry import io_retries
from warehouse import Warehouse


@task(name="timeliness", task_run_name="timeliness-{year}-{province_code}", cache_policy=NO_CACHE, **io_retries())
def province_timeliness(
    reference: ReferenceData, database_url: str, year: int, province_code: str, as_of: date, upto: int | None = None
) -> pd.DataFrame:
    """Status of every expected plan and summary of one province's consortia for ``year``."""
    logger = get_run_logger()
    registry = reference.registry[reference.registry["province_code"] == province_code]
    warehouse = Warehouse.open(database_url)
    try:
        versions = versions_frame(warehouse.versions(year=year, consortium_ids=registry.index, upto=upto))
        frame = compute_timeliness(registry, versions, reference.deadlines, reference.extensions, year, as_of)
        rows = frame.astype(object).where(frame.notna(), None).to_dict("records")
        warehouse.save_timeliness(rows, year=year, province_codes=[province_code], as_of=as_of)
    finally:
        warehouse.close()
    logger.info("%s %d: %s", province_code, year, ", ".join(f"{k} {v}" for k, v in status_counts(frame).items()))
    return frame


@task(name="deadline-calendar", cache_policy=NO_CACHE, **io_retries())
def deadline_calendar(reference: ReferenceData, database_url: str, years: list[int], as_of: date) -> pd.DataFrame:
    """Every expected document of the years, all provinces, with its due date (extensions applied) and its
    status as of ``as_of`` — read only: nothing is stored (the annual-compliance run stores timeliness)."""
    warehouse = Warehouse.open(database_url)
    try:
        versions = versions_frame(warehouse.versions(consortium_ids=reference.registry.index))
    finally:
        warehouse.close()
    frames = [
        compute_timeliness(reference.registry, versions, reference.deadlines, reference.extensions, year, as_of)
        for year in years
    ]
    frames = [frame for frame in frames if len(frame)]
    return (
        pd.concat(frames, ignore_index=True)
        if frames
        else compute_timeliness(
            reference.registry.iloc[0:0], versions, reference.deadlines, reference.extensions, years[0], as_of
        )
    )


@task(name="deadlines-passed", task_run_name="deadlines-passed-{as_of}", cache_policy=NO_CACHE)
def deadlines_passed(calendar: pd.DataFrame, as_of: date) -> list[dict]:
    """The documents due the day before ``as_of`` (chanjiao.quality.timeliness.passed_deadlines), as plain rows."""
    passed = passed_deadlines(calendar, as_of)
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


@task(name="publish-reminders", task_run_name="publish-reminders-{as_of}", cache_policy=NO_CACHE, **io_retries())
def publish_reminders(
    calendar: pd.DataFrame, reports_dir: Path, as_of: date, days_before: tuple[int, ...] = REMINDER_DAYS
) -> dict:
    """The documents not yet filed 14, 7 or 1 days before their due date: one CSV per province and year
    (``reports/<year>/reminders/<province>-<as_of>.csv``: outside the province folders, which annual-compliance
    runs own under their lock) and one table artifact for the whole run. Returns the rows and the files."""
    logger = get_run_logger()
    due = reminders(calendar, as_of, tuple(days_before))
    paths = []
    for (year, province), rows in due.groupby(["year", "province_code"], sort=True):
        paths.append(
            write_if_changed(
                Path(reports_dir) / str(year) / "reminders" / f"{province}-{as_of:%Y-%m-%d}.csv", reminder_csv(rows)
            )
        )
    if len(due):
        create_table_artifact(
            due.astype(object).where(due.notna(), None).assign(due_date=due["due_date"].map(str)).to_dict("records"),
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
    rows = due.astype(object).where(due.notna(), None).assign(due_date=due["due_date"].map(str)).to_dict("records")
    return {"due": rows, "outputs": [str(p) for p in paths]}
