"""Shared fixtures: the catalogue, a small registry, and a warehouse on SQLite *and* on PostgreSQL.

Every test that takes ``database_url`` (or ``warehouse``) runs twice: on a SQLite file and on a real
throwaway PostgreSQL server started once per session by the tests themselves (tests/pg_server.py).
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pg_server import PostgresServer, start_postgres  # noqa: E402

from chanjiao.catalogue import load_catalogue  # noqa: E402
from chanjiao.reference import load_reference  # noqa: E402

_database_names = itertools.count(1)


@pytest.fixture(scope="session")
def postgres_server():
    server: PostgresServer = start_postgres()
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'warehouse.db'}"
    server = request.getfixturevalue("postgres_server")
    return server.create_database(f"wh_{next(_database_names)}")


@pytest.fixture
def warehouse(database_url):
    from warehouse import Warehouse

    handle = Warehouse.open(database_url)
    yield handle
    handle.close()


@pytest.fixture(scope="session")
def catalogue():
    return load_catalogue()


REGISTRY_CSV = """consortium_id,name,province_code,province,city,level,recognized_year,dev_zone,lead_schools,lead_enterprises,industry_codes,status,status_year
SX-2024-01,大同市通用航空产教联合体,14,山西省,大同市,provincial,2024,大同经济技术开发区,山西通用航空职业技术学院,大同市通航产业投资集团有限公司,,,
SX-2024-02,示范区晋中开发区纺机液压产教联合体,14,山西省,晋中市,provincial,2024,山西转型综改示范区晋中开发区,山西工程科技职业大学；晋中职业技术学院,经纬智能纺织机械有限公司,,,
SX-2025-01,太原市测试产教联合体,14,山西省,太原市,provincial,2025,太原高新区,山西职业技术学院,太原某公司,,,
HN-2024-01,株洲市轨道交通市域产教联合体,43,湖南省,株洲市,provincial,2024,株洲高新技术产业开发区,湖南铁道职业技术学院,中车株洲电力机车有限公司,C1,,
HN-2024-02,岳阳市石化市域产教联合体,43,湖南省,岳阳市,provincial,2024,岳阳经济技术开发区,岳阳职业技术学院,巴陵石化,A1,withdrawn,2025
"""

EXTENSIONS_CSV = """consortium_id,year,kind,due_date,reason
SX-2024-02,2025,summary,2025-12-31,因设备检修延期报送
"""


@pytest.fixture
def registry_files(tmp_path) -> tuple[Path, Path]:
    registry = tmp_path / "registry.csv"
    registry.write_text(REGISTRY_CSV, encoding="utf-8")
    extensions = tmp_path / "extensions.csv"
    extensions.write_text(EXTENSIONS_CSV, encoding="utf-8")
    return registry, extensions


@pytest.fixture
def reference(registry_files):
    return load_reference(*registry_files)
