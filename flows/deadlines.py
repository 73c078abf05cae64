"""The deadline-driven flows, run daily by their deployments; each acts only on the right days.

* ``after-deadline``: the day after a due date (each consortium's own, extensions counted), run
  annual-compliance for that year and the provinces concerned: missing documents are marked and the
  timeliness exports and reports written as of today.
* ``deadline-reminder``: 14, 7 and 1 days before a due date, list the consortia that have not yet filed,
  as a Prefect table artifact and a CSV per province.
"""

from __future__ import annotations

from datetime import date, timedelta

from prefect import flow
from prefect.logging import get_run_logger

from flows.annual_compliance import ANNUAL_COMPLIANCE_TIMEOUT_S, annual_compliance
from tasks.intake import ingest_inbox
from tasks.operations import INBOX_LOCK, run_locks
from tasks.reference import load_reference_data
from tasks.run import RunContext
from tasks.timeliness import (
    REMINDER_DAYS,
    deadline_calendar,
    deadline_years,
    deadlines_passed,
    publish_reminders,
    today_in_china,
)

# The reminder ingests the inbox (66 s for the national benchmark's 5,860 files) and lists what is due; it may
# wait up to lock_wait_seconds (600 s) for another run's ingest. 1,800 s is more than twice that.
DEADLINE_REMINDER_TIMEOUT_S = 1_800


def _dated(name: str):
    def run_name() -> str:
        from prefect.runtime import flow_run

        as_of = flow_run.parameters.get("as_of") or today_in_china()
        return f"{name}-{as_of}"

    return run_name


def _setting_up(**parameters) -> RunContext:
    """The run of the flow's parameters, with the reference data (registry, calendars) its settings point at."""
    run = RunContext.build(**parameters)
    return run.with_reference(load_reference_data(run))


@flow(
    name="after-deadline",
    flow_run_name=_dated("after-deadline"),
    validate_parameters=True,
    timeout_seconds=ANNUAL_COMPLIANCE_TIMEOUT_S,
)
def after_deadline(
    as_of: date | None = None,
    pdf: bool = True,
    inbox_dir: str | None = None,
    registry_file: str | None = None,
    extensions_file: str | None = None,
    warehouse_dir: str | None = None,
) -> dict:
    """If a due date was yesterday: annual-compliance for its year and provinces, as of today.

    Args:
        as_of: The day to act as of (YYYY-MM-DD): documents due the day before are marked missing.
            Default: today in Beijing.
        pdf: False to write the data only, without the PDF reports.
        inbox_dir: Inbox folder holding <year>/ subfolders. Default: the worker's CHANJIAO_INBOX_DIR.
        registry_file: Consortium registry CSV. Default: the worker's CHANJIAO_REGISTRY_FILE.
        extensions_file: Deadline extensions CSV. Default: extensions.csv beside the registry.
        warehouse_dir: Folder of the reports, receipts and (SQLite) database. Default: the worker's
            CHANJIAO_WAREHOUSE_DIR.
    """
    run = _setting_up(
        as_of=as_of,
        pdf=pdf,
        inbox_dir=inbox_dir,
        registry_file=registry_file,
        extensions_file=extensions_file,
        warehouse_dir=warehouse_dir,
    )
    as_of = run.as_of
    passed = deadlines_passed(run, deadline_calendar(run, deadline_years(as_of - timedelta(days=1))))
    if not passed:
        get_run_logger().info("no document was due on %s: nothing to do", as_of - timedelta(days=1))
        return {"as_of": as_of.isoformat(), "deadlines": [], "runs": []}
    runs = []
    for year in sorted({row["year"] for row in passed}):
        provinces = sorted({row["province"] for row in passed if row["year"] == year})
        get_run_logger().info(
            "documents of %d were due on %s in provinces %s: marking missing ones and writing the timeliness reports",
            year,
            as_of - timedelta(days=1),
            ", ".join(provinces),
        )
        runs.append(
            annual_compliance(year=year, provinces=provinces, as_of=as_of, pdf=pdf, **run.settings.path_parameters())
        )
    return {"as_of": as_of.isoformat(), "deadlines": passed, "runs": runs}


@flow(
    name="deadline-reminder",
    flow_run_name=_dated("deadline-reminder"),
    validate_parameters=True,
    timeout_seconds=DEADLINE_REMINDER_TIMEOUT_S,
)
def deadline_reminder(
    as_of: date | None = None,
    days_before: list[int] = list(REMINDER_DAYS),
    inbox_dir: str | None = None,
    registry_file: str | None = None,
    extensions_file: str | None = None,
    warehouse_dir: str | None = None,
) -> dict:
    """Ingest the inbox (who has filed by now), then list what is due in ``days_before`` days and not filed.

    Args:
        as_of: The day to remind as of (YYYY-MM-DD). Default: today in Beijing.
        days_before: Remind of the documents due in this many days (default 14, 7 and 1).
        inbox_dir: Inbox folder holding <year>/ subfolders. Default: the worker's CHANJIAO_INBOX_DIR.
        registry_file: Consortium registry CSV. Default: the worker's CHANJIAO_REGISTRY_FILE.
        extensions_file: Deadline extensions CSV. Default: extensions.csv beside the registry.
        warehouse_dir: Folder of the reports, receipts and (SQLite) database. Default: the worker's
            CHANJIAO_WAREHOUSE_DIR.
    """
    run = _setting_up(
        as_of=as_of,
        inbox_dir=inbox_dir,
        registry_file=registry_file,
        extensions_file=extensions_file,
        warehouse_dir=warehouse_dir,
    )
    with run_locks(run, [INBOX_LOCK]):
        ingest_inbox(run)
    calendar = deadline_calendar(run, deadline_years(run.as_of))
    return {"as_of": run.as_of.isoformat(), **publish_reminders(run, calendar, tuple(days_before))}
