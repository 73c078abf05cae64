"""Timeliness per consortium × year × kind, computed (not validated): a missing file has no row.

Also the version rules of the contract: the latest accepted version (the one scored) is the greatest
(submitted_on, ingest sequence, file name); timeliness uses the first accepted version. Withdrawn versions
are kept in the warehouse but count for neither.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime, timedelta
from pathlib import PurePosixPath

import pandas as pd

from chanjiao.common.errors import ConfigurationError, ReferenceDataError
from chanjiao.common.exports import REMINDER_COLUMNS, REPORTING_TZ
from chanjiao.reference.catalogue import KINDS
from chanjiao.reference.labels import timeliness_label

STATUSES = ("on_time", "late", "missing", "not_yet_due")
VERSION_COLUMNS = (
    "consortium_id",
    "year",
    "kind",
    "version",
    "submitted_on",
    "ingest_seq",
    "source_file",
    "city_approved_on",
    "withdrawn",
)
TIMELINESS_COLUMNS = (
    "consortium_id",
    "name",
    "province_code",
    "year",
    "kind",
    "due_date",
    "extended",
    "status",
    "days_late",
    "city_approved",
    "first_version",
    "first_submitted_on",
    "source_file",
    "version",
)


def versions_frame(records) -> pd.DataFrame:
    """Version records (dataclasses, as the warehouse returns them) as a frame: VERSION_COLUMNS plus every
    other attribute; ``version_id`` and ``ingest_seq`` are the record's id. An empty list keeps the columns."""
    rows = [asdict(r) | {"ingest_seq": r.id, "version_id": r.id} for r in records]
    columns = list(dict.fromkeys([*VERSION_COLUMNS, "version_id", *(rows[0] if rows else ())]))
    return pd.DataFrame(rows, columns=columns)


def expected_filers(registry: pd.DataFrame, year: int) -> pd.DataFrame:
    """Consortia that must file for ``year``: recognised by then, and not withdrawn from an earlier year.

    ``adjusted`` consortia still file (they stay recognised until withdrawn); a ``withdrawn`` one is not
    expected from its ``status_year`` on (docs/DOMAIN.md).
    """
    recognised = registry["recognized_year"].fillna(9999) <= year
    gone = (registry["status"] == "withdrawn") & (registry["status_year"].fillna(9999) <= year)
    return registry[recognised & ~gone]


def due_date(
    consortium: pd.Series, year: int, kind: str, deadlines: pd.DataFrame, extensions: pd.DataFrame
) -> tuple[date, bool]:
    """The due date for one consortium's document and whether an extension set it.

    The most specific deadline row wins: the province's own rows over the ``*`` defaults, and among them a
    row for the consortium's recognition batch over a general one.
    """
    if len(extensions):
        granted = extensions[
            (extensions["consortium_id"] == consortium["consortium_id"])
            & (extensions["year"] == year)
            & (extensions["kind"] == kind)
        ]
        if len(granted):
            return granted.iloc[0]["due_date"], True
    rows = deadlines[
        (deadlines["kind"] == kind)
        & (deadlines["year_from"].fillna(0) <= year)
        & (deadlines["year_to"].fillna(9999) >= year)
        & (deadlines["recognized_year"].isna() | (deadlines["recognized_year"] == consortium["recognized_year"]))
    ]
    for province in (consortium["province_code"], "*"):
        candidates = rows[rows["province_code"] == province]
        specific = candidates[candidates["recognized_year"].notna()]
        chosen = specific if len(specific) else candidates
        if len(chosen) > 1:
            raise ReferenceDataError(
                f"{len(chosen)} deadline rows match {kind} {year} for province {province}",
                file="deadlines.csv",
                consortium=consortium["consortium_id"],
            )
        if len(chosen) == 1:
            month, day = (int(x) for x in chosen.iloc[0]["due_month_day"].split("-"))
            return date(year, month, day), False
    raise ReferenceDataError(
        f"no deadline rule covers the {year} {kind}", file="deadlines.csv", consortium=consortium["consortium_id"]
    )


def _order_key(frame: pd.DataFrame) -> pd.DataFrame:
    keyed = frame.assign(_file_name=frame["source_file"].map(lambda p: PurePosixPath(p).name))
    return keyed.sort_values(["submitted_on", "ingest_seq", "_file_name"], kind="stable")


def live_versions(versions: pd.DataFrame) -> pd.DataFrame:
    return versions[~versions["withdrawn"].astype(bool)]


def latest_versions(versions: pd.DataFrame) -> pd.DataFrame:
    """The version scored for each consortium × year × kind: greatest (submitted_on, ingest seq, name)."""
    ordered = _order_key(live_versions(versions))
    return ordered.groupby(["consortium_id", "year", "kind"], sort=True).tail(1).drop(columns="_file_name")


def first_versions(versions: pd.DataFrame) -> pd.DataFrame:
    """The version timeliness is judged on: the first accepted, by the same ordering."""
    ordered = _order_key(live_versions(versions))
    return ordered.groupby(["consortium_id", "year", "kind"], sort=True).head(1).drop(columns="_file_name")


def compute_timeliness(
    registry: pd.DataFrame,
    versions: pd.DataFrame,
    deadlines: pd.DataFrame,
    extensions: pd.DataFrame,
    year: int,
    as_of: date,
    provinces: list[str] | None = None,
) -> pd.DataFrame:
    """One row per registered, active consortium × kind for ``year``, as of the date ``as_of``.

    on_time ⇔ first submitted_on ≤ due date (inclusive); late gives days late; with no accepted version
    the status is ``missing`` once the due date has passed as of ``as_of``, else ``not_yet_due``. Versions
    dated after ``as_of`` did not exist yet on that date and are left out, so a past date replays history.
    ``city_approved`` reads the latest version (a resubmission may add the city's approval). Consortia not
    expected to file that year (recognised later, withdrawn) get no row even if they filed anyway: their
    files stay in the warehouse.
    """
    if len(versions):
        versions = versions[(versions["year"] == year) & (versions["submitted_on"] <= as_of)]
    else:
        versions = pd.DataFrame(columns=VERSION_COLUMNS)
    firsts = first_versions(versions).set_index(["consortium_id", "kind"]) if len(versions) else None
    latests = latest_versions(versions).set_index(["consortium_id", "kind"]) if len(versions) else None
    wanted = expected_filers(registry, year)
    if provinces:
        wanted = wanted[wanted["province_code"].isin(provinces)]

    rows = []
    for consortium_id, consortium in wanted.sort_index().iterrows():
        for kind in KINDS:
            key = (consortium_id, kind)
            due, extended = due_date(consortium, year, kind, deadlines, extensions)
            first = firsts.loc[key] if firsts is not None and key in firsts.index else None
            latest = latests.loc[key] if latests is not None and key in latests.index else None
            if first is not None:
                days = (first["submitted_on"] - due).days
                status, days_late = ("late", days) if days > 0 else ("on_time", 0)
            else:
                status, days_late = ("missing" if as_of > due else "not_yet_due"), None
            rows.append(
                {
                    "consortium_id": consortium_id,
                    "name": consortium["name"],
                    "province_code": consortium["province_code"],
                    "year": year,
                    "kind": kind,
                    "due_date": due,
                    "extended": extended,
                    "status": status,
                    "days_late": days_late,
                    "city_approved": bool(
                        latest is not None
                        and pd.notna(latest["city_approved_on"])
                        and latest["city_approved_on"] is not None
                    ),
                    "first_version": int(first["version"]) if first is not None else None,
                    "first_submitted_on": first["submitted_on"] if first is not None else None,
                    "source_file": latest["source_file"] if latest is not None else None,
                    "version": int(latest["version"]) if latest is not None else None,
                }
            )
    frame = pd.DataFrame(rows, columns=list(TIMELINESS_COLUMNS))
    for column in ("days_late", "first_version", "version"):
        frame[column] = frame[column].astype("Int64")
    return frame


def status_counts(frame: pd.DataFrame) -> dict[str, int]:
    """How many rows have each status, plus filed-but-not-city-approved: the figures a run reports."""
    counts = frame["status"].value_counts()
    filed = frame["version"].notna()
    return {
        **{status: int(counts.get(status, 0)) for status in STATUSES},
        "not_city_approved": int((filed & ~frame["city_approved"].astype(bool)).sum()),
    }


# --- the calendar of unattended runs ------------------------------------------------------------------------

PREVIOUS_YEAR_UNTIL = (1, 31)  # a nightly run keeps processing last year until 01-31 (late summaries)
REMINDER_DAYS = (14, 7, 1)


def reporting_years(as_of: date) -> list[int]:
    """The years a nightly run with no year given processes: the current one, and the previous one too
    until 01-31 (its summaries are due in December and arrive late)."""
    if (as_of.month, as_of.day) <= PREVIOUS_YEAR_UNTIL:
        return [as_of.year - 1, as_of.year]
    return [as_of.year]


def today_in_china() -> date:
    """Deadlines are Beijing dates: "today" is judged there, whatever the server's clock zone."""
    return datetime.now(REPORTING_TZ).date()


def check_reporting_year(registry: pd.DataFrame, year: int, as_of: date, provinces: list[str] | None = None) -> None:
    """Refuse, before any work, a year asked for explicitly that nothing can be reported for: one later than
    ``as_of``'s year (none of its documents can be due yet), or one in which no consortium of the registry
    (of ``provinces``, when given) is expected to file (:func:`expected_filers`: all recognised later, or
    withdrawn by then). Raises :class:`ConfigurationError`; the default years of a nightly run
    (:func:`reporting_years`) are not checked with it."""
    if year > as_of.year:
        raise ConfigurationError(
            f"year {year} is later than the as-of date {as_of:%Y-%m-%d}: no document of {year} can be due yet"
        )
    scope = registry if not provinces else registry[registry["province_code"].isin(list(provinces))]
    if len(expected_filers(scope, year)):
        return
    where = (
        "the registry"
        if not provinces
        else (f"province{'s' if len(set(provinces)) > 1 else ''} {', '.join(sorted(set(provinces)))} in the registry")
    )
    recognised = scope["recognized_year"].dropna()
    if not len(recognised):
        reason = "the registry has none there" if provinces else "the registry is empty"
    elif year < int(recognised.min()):
        reason = f"the first were recognised in {int(recognised.min())}"
    else:
        reason = f"those recognised by {year} were withdrawn by then"
    raise ConfigurationError(f"no consortium of {where} is expected to report for {year}: {reason}")


def deadline_years(day: date) -> list[int]:
    """Years whose documents can fall due around ``day``: a year's deadlines are in that year, extensions
    can move a summary into the next, and a January plan deadline is reminded in December."""
    return [day.year - 1, day.year, day.year + 1]


def passed_deadlines(timeliness: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """The rows whose due date was the day before ``as_of``: the after-deadline run acts on these (it marks
    the missing ones and writes the timeliness reports of their provinces)."""
    if not len(timeliness):
        return timeliness
    return timeliness[timeliness["due_date"] == as_of - timedelta(days=1)]


def reminders(timeliness: pd.DataFrame, as_of: date, days_before: tuple[int, ...] = REMINDER_DAYS) -> pd.DataFrame:
    """Documents not yet filed whose due date is exactly ``days_before`` days after ``as_of`` (14, 7 and 1 by
    default, each consortium's own extended date counted), for the reminder list."""
    if not len(timeliness):
        return pd.DataFrame(columns=list(REMINDER_COLUMNS))
    days_left = timeliness["due_date"].map(lambda due: (due - as_of).days)
    wanted = timeliness[(timeliness["status"] == "not_yet_due") & days_left.isin(list(days_before))].copy()
    wanted["days_left"] = days_left[wanted.index].astype(int)
    wanted["status"] = timeliness_label("missing")
    return wanted.sort_values(["province_code", "due_date", "consortium_id", "kind"])[
        list(REMINDER_COLUMNS)
    ].reset_index(drop=True)
