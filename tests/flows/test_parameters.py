"""What an operator sees of the flows in the Prefect UI: every parameter described, provinces chosen from the
known codes, and no parameter that could carry a secret."""

from __future__ import annotations

import pytest
from prefect.utilities.callables import parameter_schema

from chanjiao.reference.registry import known_province_codes
from flows.annual_compliance import annual_compliance
from flows.deadlines import after_deadline, deadline_reminder

FLOWS = [annual_compliance, after_deadline, deadline_reminder]


@pytest.mark.parametrize("flow", FLOWS, ids=lambda f: f.name)
def test_every_parameter_has_a_description(flow):
    schema = parameter_schema(flow.fn).model_dump()
    undescribed = [name for name, spec in schema["properties"].items() if not spec.get("description")]
    assert not undescribed, f"{flow.name}: no description for {undescribed}"


@pytest.mark.parametrize("flow", FLOWS, ids=lambda f: f.name)
def test_no_parameter_carries_a_database_url(flow):
    names = set(parameter_schema(flow.fn).model_dump()["properties"])
    assert not {name for name in names if "database" in name or "url" in name or "secret" in name}


def test_provinces_are_chosen_from_the_known_codes():
    spec = parameter_schema(annual_compliance.fn).model_dump()["properties"]["provinces"]
    [array] = [option for option in spec["anyOf"] if option.get("type") == "array"]
    assert array["items"]["enum"] == list(known_province_codes())
    assert {"14", "43"} <= set(array["items"]["enum"]) and "99" not in array["items"]["enum"]


def test_an_unknown_province_is_refused_before_the_run_starts():
    from prefect.exceptions import ParameterTypeError

    with pytest.raises(ParameterTypeError, match=r"provinces\.0: Input should be .*'14'.*'43'"):
        annual_compliance.validate_parameters({"year": 2025, "provinces": ["99"]})


@pytest.mark.parametrize(
    "year, reason", [(2035, "later than the as-of date 2026-01-10"), (2023, "the first were recognised in 2024")]
)
def test_the_flow_itself_refuses_a_year_nothing_is_due_for(year, reason, sample_dir, tmp_path, monkeypatch):
    """Scheduled or API-triggered runs bypass the CLI's checks: the flow refuses too, before any export
    (before, 2035 was exported with every consortium 0.0 不合格)."""
    from datetime import date

    from chanjiao.common.errors import ConfigurationError

    monkeypatch.setenv("CHANJIAO_DATABASE_URL", f"sqlite:///{tmp_path / 'warehouse.db'}")
    with pytest.raises(ConfigurationError, match=reason):
        annual_compliance(
            year=year,
            as_of=date(2026, 1, 10),
            inbox_dir=str(sample_dir / "inbox"),
            registry_file=str(sample_dir / "registry.csv"),
            warehouse_dir=str(tmp_path / "warehouse"),
        )
    assert not (tmp_path / "warehouse" / "reports" / str(year)).exists()
