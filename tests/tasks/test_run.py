"""The run's plumbing: the run context a flow builds once, the paths it names, the stage() helper."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from chanjiao.common.errors import ConfigurationError
from chanjiao.operations import progress
from tasks.run import OutputPaths, RunContext, open_warehouse, stage


def test_a_stage_times_itself_and_starts_its_progress():
    timings: dict[str, float] = {}
    with progress.listening(progress.Recorder()) as heard:
        with stage("score", timings, total=3):
            progress.advance("score")
        with stage("validate", timings):  # its tasks start the progress themselves
            pass
    assert heard.totals == {"score": 3} and heard.done == {"score": 1}
    assert set(timings) == {"score", "validate"} and all(seconds >= 0 for seconds in timings.values())


def test_a_stage_that_fails_records_no_time():
    timings: dict[str, float] = {}
    with pytest.raises(ZeroDivisionError), stage("render", timings):
        1 / 0
    assert timings == {}


def test_every_output_path_is_named_once(tmp_path):
    paths = OutputPaths(tmp_path)
    assert paths.export(2025, "14", "scores.csv") == tmp_path / "reports" / "2025" / "14" / "scores.csv"
    assert paths.rejected(2025) == tmp_path / "reports" / "2025" / "_rejected.csv"
    assert paths.reminders(2025, "43", date(2025, 12, 1)) == tmp_path / "reports/2025/reminders/43-2025-12-01.csv"
    assert paths.receipts_of(2025) == tmp_path / "receipts" / "2025"


def test_the_run_context_carries_the_parameters_and_settings(tmp_path, monkeypatch, reference):
    monkeypatch.setenv("CHANJIAO_LOCK_WAIT_SECONDS", "30")
    monkeypatch.delenv("CHANJIAO_DATABASE_URL", raising=False)
    run = RunContext.build(as_of=date(2026, 1, 10), warehouse_dir=str(tmp_path / "wh"))
    assert run.years == [2025, 2026] and run.year is None and run.lock_wait_seconds == 30
    assert run.url == f"sqlite:///{(tmp_path / 'wh' / 'warehouse.db').resolve()}"
    assert run.paths == OutputPaths(tmp_path / "wh", locks=(tmp_path / "wh" / "locks").resolve())
    assert RunContext.build(as_of=date(2026, 1, 10), wait=False).lock_wait_seconds == 0  # chanjiao run --no-wait

    run = run.with_reference(reference)
    assert run.for_year(2025).year == 2025 and run.for_year(2025).provinces == run.selected[2025]
    assert run.all_provinces == ["14", "43"]
    with pytest.raises(ConfigurationError, match="later than the as-of date"):
        RunContext.build(year=2027, as_of=date(2026, 1, 10)).with_reference(reference)
    with open_warehouse(run) as warehouse:
        assert warehouse.versions() == []
    assert Path(tmp_path / "wh" / "warehouse.db").exists()
