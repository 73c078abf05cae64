"""The deadline-driven flows on the sample: reminders 14/7/1 days ahead, and the run the day after a deadline.

Expected lists are read off the sample's manifest by hand (who filed the 2025 summary on which day; summaries
are due 12-15, HN-2024-02 has an extension to 12-31, HN-2024-07 never files, HN-2024-09 is withdrawn)."""

from __future__ import annotations

import json
from datetime import date

import pytest
from test_annual_compliance import latest_artifact, read_csv

from flows.annual_compliance import annual_compliance
from flows.deadlines import after_deadline, deadline_reminder

# Expected to file a 2025 summary and had not filed it by 2025-12-01 (14 days before 12-15).
UNFILED_ON_DEC_1 = {
    "HN-2024-06",
    "HN-2024-07",
    "HN-2024-10",
    "HN-2025-01",
    "SX-2024-01",
    "SX-2024-02",
    "SX-2024-03",
    "SX-2024-04",
    "SX-2024-05",
    "SX-2024-07",
    "SX-2024-09",
}


@pytest.fixture
def paths(sample_dir, tmp_path):
    return {
        "inbox_dir": str(sample_dir / "inbox"),
        "registry_file": str(sample_dir / "registry.csv"),
        "extensions_file": str(sample_dir / "extensions.csv"),
        "warehouse_dir": str(tmp_path / "warehouse"),
    }


def test_reminder_lists_the_unfiled_14_days_ahead_as_csv_and_artifact(paths, tmp_path):
    result = deadline_reminder(as_of=date(2025, 12, 1), **paths)
    assert {row["consortium_id"] for row in result["due"]} == UNFILED_ON_DEC_1
    assert {(row["kind"], row["due_date"], row["days_left"]) for row in result["due"]} == {
        ("summary", "2025-12-15", 14)
    }
    reports = tmp_path / "warehouse" / "reports" / "2025"
    shanxi = read_csv(reports / "reminders" / "14-2025-12-01.csv")
    assert {row["consortium_id"] for row in shanxi} == {c for c in UNFILED_ON_DEC_1 if c.startswith("SX")}
    assert {row["status"] for row in shanxi} == {"未报送"}
    assert {row["consortium_id"] for row in read_csv(reports / "reminders" / "43-2025-12-01.csv")} == {
        c for c in UNFILED_ON_DEC_1 if c.startswith("HN")
    }
    artifact = json.loads(latest_artifact("deadline-reminder").data)
    assert {row["consortium_id"] for row in artifact} == UNFILED_ON_DEC_1


def test_reminders_follow_an_extension_and_skip_other_days(paths):
    # 14 days before HN-2024-02's extended date (12-31); it files on 12-24, so a week before, nobody is listed.
    extended = deadline_reminder(as_of=date(2025, 12, 17), **paths)["due"]
    assert [(r["consortium_id"], r["due_date"], r["extended"], r["days_left"]) for r in extended] == [
        ("HN-2024-02", "2025-12-31", True, 14)
    ]
    assert deadline_reminder(as_of=date(2025, 12, 24), **paths)["due"] == []
    assert deadline_reminder(as_of=date(2025, 12, 2), **paths)["due"] == []  # 13 days: not a reminder day


def test_after_deadline_acts_only_the_day_after_and_marks_the_missing(paths, tmp_path):
    quiet = after_deadline(as_of=date(2025, 12, 10), pdf=False, **paths)
    assert quiet["deadlines"] == [] and quiet["runs"] == []
    assert not (tmp_path / "warehouse" / "reports").exists()

    acted = after_deadline(as_of=date(2025, 12, 16), pdf=False, **paths)
    assert {(d["year"], d["province"], d["kind"], d["due_date"]) for d in acted["deadlines"]} == {
        (2025, "14", "summary", "2025-12-15"),
        (2025, "43", "summary", "2025-12-15"),
    }
    assert "HN-2024-02" not in {d["consortium_id"] for d in acted["deadlines"]}  # extended to 12-31
    assert [(run["year"], sorted(run["scores"])) for run in acted["runs"]] == [(2025, ["14", "43"])]
    rows = read_csv(tmp_path / "warehouse" / "reports" / "2025" / "43" / "submissions.csv")
    status = {(r["consortium_id"], r["kind"]): r["status"] for r in rows}
    assert status[("HN-2024-07", "summary")] == "missing"
    assert status[("HN-2024-02", "summary")] == "not_yet_due"

    extension = after_deadline(as_of=date(2026, 1, 1), pdf=False, **paths)
    assert {(d["consortium_id"], d["due_date"]) for d in extension["deadlines"]} == {("HN-2024-02", "2025-12-31")}
    assert [(run["year"], sorted(run["scores"])) for run in extension["runs"]] == [(2025, ["43"])]


def test_with_no_year_the_nightly_run_does_this_year_and_last_year_until_january_31(paths):
    january = annual_compliance(as_of=date(2026, 1, 31), pdf=False, **paths)
    assert [run["year"] for run in january["years"]] == [2025, 2026]
    assert january["as_of"] == "2026-01-31"
    assert {p for run in january["years"] for p in run["scores"]} == {"14", "43"}
    february = annual_compliance(as_of=date(2026, 2, 1), pdf=False, **paths)
    assert february["year"] == 2026 and "years" not in february
