"""The warehouse URL from a Prefect Secret block (CHANJIAO_DATABASE_SECRET): the production way to keep a
database password out of files, parameters and the UI."""

from __future__ import annotations

import pytest

from chanjiao.common.errors import ConfigurationError
from chanjiao.operations.settings import Settings
from flows.annual_compliance import annual_compliance


def test_a_run_uses_the_url_in_the_secret_block(sample_dir, tmp_path, monkeypatch):
    from prefect.blocks.system import Secret

    elsewhere = tmp_path / "elsewhere.db"
    Secret(value=f"sqlite:///{elsewhere}").save("chanjiao-warehouse-test", overwrite=True)
    monkeypatch.delenv("CHANJIAO_DATABASE_URL", raising=False)
    monkeypatch.setenv("CHANJIAO_DATABASE_SECRET", "chanjiao-warehouse-test")
    result = annual_compliance(
        year=2025,
        provinces=["43"],
        pdf=False,
        inbox_dir=str(sample_dir / "inbox"),
        registry_file=str(sample_dir / "registry.csv"),
        warehouse_dir=str(tmp_path / "warehouse"),
    )
    assert elsewhere.exists() and not (tmp_path / "warehouse" / "warehouse.db").exists()
    assert result["warehouse"] == f"sqlite:///{elsewhere}"
    assert (tmp_path / "warehouse" / "reports" / "2025" / "43" / "scores.csv").exists()


def test_a_missing_secret_block_is_one_clear_error(monkeypatch):
    monkeypatch.delenv("CHANJIAO_DATABASE_URL", raising=False)
    monkeypatch.setenv("CHANJIAO_DATABASE_SECRET", "no-such-block")
    with pytest.raises(ConfigurationError, match="no Prefect Secret block named 'no-such-block'"):
        Settings().resolved()


def test_a_url_setting_wins_over_the_secret_block(monkeypatch):
    monkeypatch.setenv("CHANJIAO_DATABASE_URL", "sqlite:////tmp/set.db")
    monkeypatch.setenv("CHANJIAO_DATABASE_SECRET", "no-such-block")
    assert Settings().resolved().url == "sqlite:////tmp/set.db"
