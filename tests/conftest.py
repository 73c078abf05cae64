"""Shared fixtures: the catalogue, a small registry, and a warehouse on SQLite *and* on PostgreSQL.

Every test that takes ``database_url`` (or ``warehouse``) runs twice: on a SQLite file and on a real
throwaway PostgreSQL server started once per session by the tests themselves (tests/pg_server.py).
"""

from __future__ import annotations

import itertools
import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from builders import EXTENSIONS_CSV, REGISTRY_CSV  # noqa: E402
from pg_server import PostgresServer, start_postgres  # noqa: E402

from chanjiao.reference.catalogue import load_catalogue  # noqa: E402
from chanjiao.reference.registry import load_reference  # noqa: E402

_database_names = itertools.count(1)

# The tests make their own warehouses: a CHANJIAO_* setting of the developer's shell (a production database
# URL, a Secret block's name) must never reach them.
for _name in [name for name in os.environ if name.startswith("CHANJIAO_")]:
    del os.environ[_name]


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


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def module_database_url(request, tmp_path_factory) -> str:
    """Like ``database_url``, shared by a module's tests (for an expensive flow run they all read)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('warehouse') / 'warehouse.db'}"
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
