"""The known-broken version table: the combination that stopped every scheduled run is refused."""

from __future__ import annotations

import pytest

from chanjiao.common.errors import ConfigurationError
from chanjiao.operations.cli import main
from chanjiao.operations.doctor import broken_combinations, require_working_versions

LOCKED = {"prefect": "3.8.8", "sqlalchemy": "2.0.58", "fastapi": "0.140.13"}


def test_the_locked_versions_are_fine():
    assert broken_combinations(LOCKED) == []
    require_working_versions(LOCKED)


@pytest.mark.parametrize("sqlalchemy", ["2.1.0rc1", "2.1.0", "2.1.9", "2.2.0b1"])
def test_prefect_3_8_with_sqlalchemy_2_1_is_refused_naming_what_breaks(sqlalchemy):
    [problem] = broken_combinations({**LOCKED, "sqlalchemy": sqlalchemy})
    assert f"prefect 3.8.8 with sqlalchemy {sqlalchemy}" in problem
    assert "never creates a scheduled run" in problem and "SQLAlchemy 2.0" in problem
    with pytest.raises(ConfigurationError, match="known-broken"):
        require_working_versions({**LOCKED, "sqlalchemy": sqlalchemy})


def test_fastapi_that_breaks_the_server_at_import_is_refused():
    [problem] = broken_combinations({**LOCKED, "fastapi": "0.155.0"})
    assert "fastapi 0.155.0" in problem and "min_items" in problem


def test_absent_or_unparsable_versions_are_not_called_broken():
    assert broken_combinations({"prefect": "3.8.8"}) == []
    assert broken_combinations({**LOCKED, "sqlalchemy": "not-a-version"}) == []


def test_doctor_exits_2_on_a_broken_combination(monkeypatch, capsys):
    import chanjiao.operations.doctor as doctor

    monkeypatch.setattr(doctor, "installed_versions", lambda names=doctor.WATCHED: {**LOCKED, "sqlalchemy": "2.1.9"})
    assert main(["doctor", "--server"]) == 2
    out, err = capsys.readouterr()
    assert "BROKEN prefect 3.8.8 with sqlalchemy 2.1.9" in out and "1 problem" in err


def test_doctor_passes_on_this_installation(capsys):
    assert main(["doctor"]) == 0
    out, _ = capsys.readouterr()
    assert "Chinese font: Noto" in out and out.rstrip().endswith("ok")
