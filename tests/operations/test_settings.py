"""Settings: defaults that work out of the box, and extensions that travel with their registry."""

from pathlib import Path

from chanjiao.operations.settings import SAMPLE_DIR, Settings


def test_defaults_point_at_the_bundled_sample(monkeypatch):
    for name in (
        "CHANJIAO_INBOX_DIR",
        "CHANJIAO_REGISTRY_FILE",
        "CHANJIAO_EXTENSIONS_FILE",
        "CHANJIAO_WAREHOUSE_DIR",
        "CHANJIAO_DATABASE_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    settings = Settings()
    assert settings.inbox_dir == SAMPLE_DIR / "inbox"
    assert settings.extensions_path == SAMPLE_DIR / "extensions.csv"
    assert settings.url.startswith("sqlite:///") and settings.url.endswith("warehouse/warehouse.db")


def test_a_real_registry_does_not_pick_up_the_sample_extensions(tmp_path):
    registry = tmp_path / "registry.csv"
    registry.write_text("x", encoding="utf-8")
    settings = Settings().with_overrides(registry_file=str(registry), warehouse_dir=str(tmp_path / "wh"))
    assert settings.extensions_path is None
    (tmp_path / "extensions.csv").write_text("x", encoding="utf-8")
    assert settings.extensions_path == tmp_path / "extensions.csv"
    assert settings.url == f"sqlite:///{tmp_path / 'wh' / 'warehouse.db'}"
    assert isinstance(settings.warehouse_dir, Path)


def test_environment_overrides(monkeypatch, tmp_path):
    monkeypatch.setenv("CHANJIAO_DATABASE_URL", "postgresql+psycopg://u@h/db")
    monkeypatch.setenv("CHANJIAO_MAX_XML_BYTES", "1000")
    settings = Settings()
    assert settings.url == "postgresql+psycopg://u@h/db"
    assert settings.read_limits.max_xml_bytes == 1000
    assert Settings().with_overrides(inbox_dir=str(tmp_path)).url == "postgresql+psycopg://u@h/db"
