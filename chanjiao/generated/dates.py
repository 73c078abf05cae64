"""When: the sample's calendar — the due date of each document and milestone, read from the project's own
calendars (``deadlines.csv``, ``milestones.csv``) independently of the pipeline's code, the day each document
is submitted and approved by its city, and when each milestone is actually reached.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from chanjiao.generated.consortia import Consortium, data_rows
from chanjiao.generated.scenario import EXTENSION, LATE_DAYS, NOT_APPROVED, ON_DUE_DATE


def due_date(deadlines: list[dict[str, str]], c: Consortium, year: int, kind: str) -> date:
    """The most specific deadline row: the province's own over ``*``, a batch row over a general one."""

    def matches(row: dict[str, str], province: str) -> bool:
        return (
            row["province_code"] == province
            and row["kind"] == kind
            and (not row["recognized_year"] or int(row["recognized_year"]) == c.recognized_year)
            and int(row["year_from"] or 0) <= year <= int(row["year_to"] or 9999)
        )

    for province in (c.province_code, "*"):
        rows = sorted((r for r in deadlines if matches(r, province)), key=lambda r: r["recognized_year"] == "")
        if rows:
            month, day = (int(x) for x in rows[0]["due_month_day"].split("-"))
            return date(year, month, day)
    raise LookupError(f"no deadline for {c.consortium_id} {year} {kind}")


def milestone_dues(milestones: list[dict[str, str]], c: Consortium, codes: list[str]) -> dict[str, date | None]:
    """Due date per milestone: milestones.csv for the province and batch, else 12-31 of the first year."""
    own = {
        r["milestone_code"]: r["due_date"]
        for r in milestones
        if r["province_code"] == c.province_code and r["recognized_year"] == str(c.recognized_year)
    }
    if own:
        return {code: date.fromisoformat(own[code]) if own.get(code) else None for code in codes}
    return {code: date(c.recognized_year, 12, 31) for code in codes}


# Milestones in order; Shanxi's due dates come from milestones.csv, others are due 12-31 of year one.
MILESTONES = (
    "ms_council",
    "ms_charter",
    "ms_operating_rules",
    "ms_talent_plan",
    "ms_staff_training_plan",
    "ms_talent_platform",
    "ms_tech_service_platform",
)


def milestone_timeline(
    rng: random.Random, c: Consortium, dues: dict[str, date | None], never: tuple[str, ...] = ()
) -> dict[str, date | None]:
    """Actual dates: usually on or before the due date, some later; the platforms may slip a year."""
    y = c.recognized_year
    start = date(y, 4, 1) if c.province_code == "14" else date(y, 3, 1)
    council = start + timedelta(days=rng.randint(0, 100))
    cap = date(y, 11, 15)  # before any summary of the year is submitted
    actual: dict[str, date | None] = {
        "ms_council": council,
        "ms_charter": council - timedelta(days=rng.choice((0, 0, 3, 7))),
    }
    actual["ms_operating_rules"] = council + timedelta(days=rng.randint(5, 40))
    actual["ms_talent_plan"] = council + timedelta(days=rng.randint(30, 90))
    actual["ms_staff_training_plan"] = actual["ms_talent_plan"] + timedelta(days=rng.randint(0, 20))
    for code in ("ms_council", "ms_charter", "ms_operating_rules", "ms_talent_plan", "ms_staff_training_plan"):
        due = dues.get(code)
        if due is not None and actual[code] > due and rng.random() < 0.8:  # most keep the deadline
            actual[code] = max(due - timedelta(days=rng.randint(0, 20)), council)
        actual[code] = min(actual[code], cap)
    roll = rng.random()
    actual["ms_talent_platform"] = (
        date(y, 9, 1) + timedelta(days=rng.randint(0, 70))
        if roll < 0.8
        else date(y + 1, 3, 1) + timedelta(days=rng.randint(0, 150))
    )
    roll = rng.random()
    actual["ms_tech_service_platform"] = (
        date(y, 8, 1) + timedelta(days=rng.randint(0, 100))
        if roll < 0.4
        else date(y + 1, 4, 1) + timedelta(days=rng.randint(0, 200))
    )
    for code in never:
        actual[code] = None
    return actual


class Calendar:
    """The deadlines and milestones of the project's calendars, and the sample's own extension."""

    def __init__(self) -> None:
        self.deadlines = data_rows("deadlines.csv")
        self.milestones = data_rows("milestones.csv")

    def due(self, c: Consortium, year: int, kind: str, *, extended: bool = True) -> date:
        """The document's due date; with ``extended``, the scenario's extension where it is granted."""
        if extended and (c.consortium_id, year, kind) == (
            EXTENSION["consortium_id"],
            EXTENSION["year"],
            EXTENSION["kind"],
        ):
            return date.fromisoformat(EXTENSION["due_date"])
        return due_date(self.deadlines, c, year, kind)

    def milestone_dues(self, c: Consortium) -> dict[str, date | None]:
        return milestone_dues(self.milestones, c, list(MILESTONES))

    def submission_dates(self, rng: random.Random, c: Consortium, year: int, kind: str) -> tuple[date, date | None]:
        """(submitted on, approved by the city on): before the due date, except the scenario's late, on-the-day
        and extended documents; ``None`` for the documents the city did not approve."""
        key = (c.consortium_id, year, kind)
        normal_due = self.due(c, year, kind, extended=False)
        if key in LATE_DAYS:
            submitted = normal_due + timedelta(days=LATE_DAYS[key])
        elif key in ON_DUE_DATE:
            submitted = normal_due
        elif key == (EXTENSION["consortium_id"], EXTENSION["year"], EXTENSION["kind"]):
            submitted = normal_due + timedelta(days=9)  # late without, on time with the extension
        else:
            submitted = normal_due - timedelta(days=rng.randint(1, 25))
        approved = None if key in NOT_APPROVED else submitted - timedelta(days=rng.randint(2, 9))
        return submitted, approved
