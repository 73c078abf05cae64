"""Timeliness and version choice, against dates worked out by hand from deadlines.csv."""

import random
from datetime import date

import pandas as pd
import pytest

from chanjiao.common.errors import ReferenceDataError
from chanjiao.common.exports import REMINDER_COLUMNS
from chanjiao.quality.timeliness import (
    compute_timeliness,
    deadline_years,
    due_date,
    expected_filers,
    first_versions,
    latest_versions,
    passed_deadlines,
    reminders,
    reporting_years,
)


def versions(*rows):
    """rows: (consortium, year, kind, version, submitted_on, ingest_seq, file, city_approved_on, withdrawn)."""
    return pd.DataFrame(
        rows,
        columns=[
            "consortium_id",
            "year",
            "kind",
            "version",
            "submitted_on",
            "ingest_seq",
            "source_file",
            "city_approved_on",
            "withdrawn",
        ],
    )


def status(frame, consortium, kind):
    return frame.set_index(["consortium_id", "kind"]).loc[(consortium, kind)]


def test_due_dates_follow_the_most_specific_rule(reference):
    registry, deadlines, none = reference.registry, reference.deadlines, reference.extensions.iloc[0:0]
    # Shanxi's first batch: 2024 plan by 06-28, summary by 12-15; from 2025 plan by 01-15.
    assert due_date(registry.loc["SX-2024-01"], 2024, "plan", deadlines, none) == (date(2024, 6, 28), False)
    assert due_date(registry.loc["SX-2024-01"], 2024, "summary", deadlines, none) == (date(2024, 12, 15), False)
    assert due_date(registry.loc["SX-2024-01"], 2025, "plan", deadlines, none) == (date(2025, 1, 15), False)
    # Hunan has no rule of its own: the project default rows.
    assert due_date(registry.loc["HN-2024-01"], 2024, "plan", deadlines, none) == (date(2024, 1, 15), False)
    assert due_date(registry.loc["HN-2024-01"], 2025, "summary", deadlines, none) == (date(2025, 12, 15), False)


def test_an_extension_replaces_the_due_date(reference):
    found = due_date(reference.registry.loc["SX-2024-02"], 2025, "summary", reference.deadlines, reference.extensions)
    assert found == (date(2025, 12, 31), True)


def test_no_rule_is_a_clear_error(reference):
    with pytest.raises(ReferenceDataError, match="no deadline rule covers the 2023 plan"):
        due_date(reference.registry.loc["SX-2024-01"], 2023, "plan", reference.deadlines, reference.extensions)


def test_expected_filers(reference):
    assert sorted(expected_filers(reference.registry, 2024).index) == [
        "HN-2024-01",
        "HN-2024-02",
        "SX-2024-01",
        "SX-2024-02",
    ]
    # SX-2025-01 is recognised in 2025; HN-2024-02 is withdrawn from 2025 on.
    assert sorted(expected_filers(reference.registry, 2025).index) == [
        "HN-2024-01",
        "SX-2024-01",
        "SX-2024-02",
        "SX-2025-01",
    ]


def test_latest_and_first_versions_use_submitted_on_then_ingest_order_then_name():
    frame = versions(
        ("A", 2025, "plan", 1, date(2025, 1, 10), 1, "2025/b.csv", None, False),
        ("A", 2025, "plan", 2, date(2025, 1, 12), 2, "2025/a.csv", None, False),
        ("A", 2025, "plan", 3, date(2025, 1, 11), 3, "2025/c.csv", None, False),  # filed later, dated earlier
        ("B", 2025, "plan", 1, date(2025, 1, 9), 4, "2025/z.csv", None, False),
        ("B", 2025, "plan", 2, date(2025, 1, 9), 5, "2025/y.csv", None, False),  # same day: ingest order
    )
    latest = latest_versions(frame).set_index("consortium_id")["version"].to_dict()
    first = first_versions(frame).set_index("consortium_id")["version"].to_dict()
    assert latest == {"A": 2, "B": 2}
    assert first == {"A": 1, "B": 1}


def test_withdrawn_versions_count_for_neither():
    frame = versions(
        ("A", 2025, "plan", 1, date(2025, 1, 1), 1, "2025/wrong.csv", None, True),
        ("A", 2025, "plan", 2, date(2025, 1, 20), 2, "2025/right.csv", None, False),
    )
    assert first_versions(frame)["version"].tolist() == [2]
    assert latest_versions(frame)["version"].tolist() == [2]


def test_statuses_worked_out_by_hand(reference):
    frame = versions(
        # SX-2024-01 2025 plan due 2025-01-15: filed on the due date (inclusive) -> on time; approved.
        ("SX-2024-01", 2025, "plan", 1, date(2025, 1, 15), 1, "2025/a.csv", date(2025, 1, 10), False),
        # its summary due 2025-12-15: first filed 12-18 -> 3 days late; a v2 adds the city's approval.
        ("SX-2024-01", 2025, "summary", 1, date(2025, 12, 18), 2, "2025/b.csv", None, False),
        ("SX-2024-01", 2025, "summary", 2, date(2025, 12, 20), 3, "2025/b2.csv", date(2025, 12, 19), False),
        # SX-2024-02 summary extended to 2025-12-31: filed 12-30 -> on time, not city-approved.
        ("SX-2024-02", 2025, "summary", 1, date(2025, 12, 30), 4, "2025/c.csv", None, False),
        # HN-2024-01 plan due 2025-01-15, filed 2025-02-14 -> 30 days late.
        ("HN-2024-01", 2025, "plan", 1, date(2025, 2, 14), 5, "2025/d.json", date(2025, 2, 1), False),
    )
    result = compute_timeliness(
        reference.registry, frame, reference.deadlines, reference.extensions, 2025, as_of=date(2025, 12, 31)
    )
    assert len(result) == 8  # 4 expected consortia x 2 kinds (withdrawn HN-2024-02 not)
    row = status(result, "SX-2024-01", "plan")
    assert (row["status"], row["days_late"], row["city_approved"], row["version"]) == ("on_time", 0, True, 1)
    row = status(result, "SX-2024-01", "summary")
    assert (row["status"], row["days_late"], row["city_approved"]) == ("late", 3, True)
    assert (row["version"], row["source_file"], row["first_version"]) == (2, "2025/b2.csv", 1)
    row = status(result, "SX-2024-02", "summary")
    assert (row["status"], row["days_late"], row["city_approved"], row["extended"]) == ("on_time", 0, False, True)
    assert status(result, "HN-2024-01", "plan")["days_late"] == 30
    # As of 2025-12-31 the unfiled plans (due 01-15) are missing and the summaries (due 12-15) too.
    assert status(result, "SX-2024-02", "plan")["status"] == "missing"
    assert status(result, "HN-2024-01", "summary")["status"] == "missing"
    assert pd.isna(status(result, "HN-2024-01", "summary")["days_late"])
    # SX-2025-01's summary: due 2025-12-15, as of 12-16 -> missing; as of 12-15 -> not yet due (inclusive).
    assert status(result, "SX-2025-01", "summary")["status"] == "missing"
    earlier = compute_timeliness(
        reference.registry, frame, reference.deadlines, reference.extensions, 2025, as_of=date(2025, 12, 15)
    )
    assert status(earlier, "SX-2025-01", "summary")["status"] == "not_yet_due"
    # ... and SX-2024-02's extended summary, filed 12-30, did not exist yet on 12-15.
    assert status(earlier, "SX-2024-02", "summary")["status"] == "not_yet_due"


def test_province_filter_and_no_versions(reference):
    result = compute_timeliness(
        reference.registry,
        versions(),
        reference.deadlines,
        reference.extensions,
        2024,
        as_of=date(2024, 3, 1),
        provinces=["43"],
    )
    assert set(result["consortium_id"]) == {"HN-2024-01", "HN-2024-02"}
    assert status(result, "HN-2024-01", "plan")["status"] == "missing"
    assert status(result, "HN-2024-01", "summary")["status"] == "not_yet_due"


def test_consortia_not_expected_get_no_row_even_if_they_file(reference):
    frame = versions(
        ("HN-2024-02", 2025, "plan", 1, date(2025, 1, 3), 1, "2025/e.csv", None, False),
        ("SX-2025-01", 2024, "plan", 1, date(2024, 6, 1), 2, "2024/f.csv", None, False),
    )
    result = compute_timeliness(
        reference.registry, frame, reference.deadlines, reference.extensions, 2025, as_of=date(2025, 12, 31)
    )
    assert "HN-2024-02" not in set(result["consortium_id"])  # withdrawn from 2025 on
    earlier = compute_timeliness(
        reference.registry, frame, reference.deadlines, reference.extensions, 2024, as_of=date(2025, 12, 31)
    )
    assert "SX-2025-01" not in set(earlier["consortium_id"])  # recognised only in 2025


def test_as_of_replays_history(reference):
    """Versions dated after the as-of date did not exist yet then."""
    frame = versions(
        ("SX-2024-01", 2025, "plan", 1, date(2025, 1, 20), 1, "2025/a.csv", None, False),
        ("SX-2024-01", 2025, "plan", 2, date(2025, 3, 1), 2, "2025/b.csv", date(2025, 2, 28), False),
    )

    def row(as_of):
        result = compute_timeliness(
            reference.registry, frame, reference.deadlines, reference.extensions, 2025, as_of=as_of
        )
        found = status(result, "SX-2024-01", "plan")
        return found["status"], found["version"], found["city_approved"]

    state, version, approved = row(date(2025, 1, 16))
    assert (state, pd.isna(version), approved) == ("missing", True, False)
    assert row(date(2025, 2, 1)) == ("late", 1, False)
    assert row(date(2025, 3, 1)) == ("late", 2, True)


def test_status_counts():
    frame = pd.DataFrame(
        {
            "status": ["on_time", "late", "missing", "on_time"],
            "version": pd.array([1, 2, None, 1], dtype="Int64"),
            "city_approved": [True, False, False, False],
        }
    )
    from chanjiao.quality.timeliness import status_counts

    assert status_counts(frame) == {"on_time": 2, "late": 1, "missing": 1, "not_yet_due": 0, "not_city_approved": 2}


# --- the calendar of unattended runs -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "as_of, years",
    [
        (date(2026, 1, 1), [2025, 2026]),
        (date(2026, 1, 15), [2025, 2026]),
        (date(2026, 1, 31), [2025, 2026]),  # late summaries of last year still come in
        (date(2026, 2, 1), [2026]),
        (date(2026, 12, 31), [2026]),
        (date(2025, 12, 15), [2025]),
    ],
)
def test_reporting_years(as_of, years):
    assert reporting_years(as_of) == years


def test_deadline_years_span_the_year_before_and_after():
    assert deadline_years(date(2026, 5, 1)) == [2025, 2026, 2027]
    assert deadline_years(date(2025, 12, 31)) == [2024, 2025, 2026]


def _year_2025(reference, as_of, *filed):
    """Timeliness of 2025 as of ``as_of``: plans due 01-15, summaries 12-15, SX-2024-02's extended to 12-31."""
    rows = [
        (cid, 2025, kind, 1, day, n, f"2025/{cid}-{kind}.csv", None, False)
        for n, (cid, kind, day) in enumerate(filed, start=1)
    ]
    return compute_timeliness(
        reference.registry, versions(*rows), reference.deadlines, reference.extensions, 2025, as_of=as_of
    )


def _keys(frame):
    return sorted(zip(frame["consortium_id"], frame["kind"]))


def test_passed_deadlines_are_the_rows_due_the_day_before(reference):
    plans = [("HN-2024-01", "plan"), ("SX-2024-01", "plan"), ("SX-2024-02", "plan"), ("SX-2025-01", "plan")]
    frame = _year_2025(reference, date(2025, 1, 16), ("SX-2024-01", "plan", date(2025, 1, 10)))
    assert _keys(passed_deadlines(frame, date(2025, 1, 16))) == plans  # filed or not
    assert len(passed_deadlines(frame, date(2025, 1, 15))) == 0  # due today: not passed yet
    assert len(passed_deadlines(frame, date(2025, 1, 17))) == 0  # passed two days ago: acted on already
    late = _year_2025(reference, date(2026, 1, 1))
    assert _keys(passed_deadlines(late, date(2025, 12, 16))) == [
        ("HN-2024-01", "summary"),
        ("SX-2024-01", "summary"),
        ("SX-2025-01", "summary"),
    ]
    assert _keys(passed_deadlines(late, date(2026, 1, 1))) == [("SX-2024-02", "summary")]  # its extension
    assert len(passed_deadlines(late.iloc[0:0], date(2026, 1, 1))) == 0


def test_reminders_14_7_and_1_days_before_for_documents_not_filed(reference):
    filed = ("SX-2024-01", "summary", date(2025, 11, 20))
    for as_of, days in [(date(2025, 12, 1), 14), (date(2025, 12, 8), 7), (date(2025, 12, 14), 1)]:
        due = reminders(_year_2025(reference, as_of, filed), as_of)
        assert list(due.columns) == list(REMINDER_COLUMNS)
        assert _keys(due) == [("HN-2024-01", "summary"), ("SX-2025-01", "summary")]  # SX-2024-01 filed already
        assert due["days_left"].tolist() == [days, days]
        assert set(due["status"]) == {"未报送"}
        assert set(due["due_date"]) == {date(2025, 12, 15)}
    for as_of in (date(2025, 11, 30), date(2025, 12, 2), date(2025, 12, 9), date(2025, 12, 15), date(2025, 12, 16)):
        assert len(reminders(_year_2025(reference, as_of, filed), as_of)) == 0, as_of


def test_an_extension_is_reminded_on_its_own_date(reference):
    for as_of, days in [(date(2025, 12, 17), 14), (date(2025, 12, 24), 7), (date(2025, 12, 30), 1)]:
        due = reminders(_year_2025(reference, as_of), as_of)
        assert due[["consortium_id", "kind", "extended", "days_left"]].values.tolist() == [
            ["SX-2024-02", "summary", True, days]
        ]
    # Not on the dates the others are reminded (23 days left on 12-08).
    due = reminders(_year_2025(reference, date(2025, 12, 8)), date(2025, 12, 8))
    assert "SX-2024-02" not in set(due["consortium_id"])


def test_reminders_are_sorted_by_province_due_date_and_consortium(reference):
    frame = _year_2025(reference, date(2025, 12, 1))
    order = list(frame.index)
    random.Random(6).shuffle(order)
    due = reminders(frame.loc[order], date(2025, 12, 1), days_before=(30, 14))
    assert due[["province_code", "consortium_id", "days_left"]].values.tolist() == [
        ["14", "SX-2024-01", 14],
        ["14", "SX-2025-01", 14],
        ["14", "SX-2024-02", 30],
        ["43", "HN-2024-01", 14],
    ]
    assert list(due.index) == [0, 1, 2, 3]
    assert due["days_left"].dtype.kind == "i"


def test_no_timeliness_rows_means_an_empty_reminder_list_with_its_columns(reference):
    empty = _year_2025(reference, date(2025, 12, 1)).iloc[0:0]
    for frame in (empty, pd.DataFrame()):
        due = reminders(frame, date(2025, 12, 1))
        assert len(due) == 0 and list(due.columns) == list(REMINDER_COLUMNS)
    nothing_due = reminders(_year_2025(reference, date(2025, 12, 2)), date(2025, 12, 2))
    assert len(nothing_due) == 0 and list(nothing_due.columns) == list(REMINDER_COLUMNS)
