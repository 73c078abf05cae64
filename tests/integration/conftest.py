"""Integration tests: a real Prefect server (``prefect server start``, its own PREFECT_HOME and SQLite
database) started once per module, with the project deployed to it, and workers run as subprocesses.

Select or skip them with ``-m integration`` / ``-m "not integration"``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from integration_support import PrefectServer, start_prefect_server, stop_prefect_server  # noqa: E402


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "integration: starts a real Prefect server and workers as subprocesses "
                                       "(minutes; deselect with -m 'not integration')")


@pytest.fixture(scope="module")
def prefect_server(tmp_path_factory) -> PrefectServer:
    server = start_prefect_server(tmp_path_factory.mktemp("prefect-home"))
    yield server
    stop_prefect_server(server)


@pytest.fixture(scope="module")
def prefect_api(prefect_server):
    """This test process's Prefect client settings point at the server (restored afterwards)."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings({PREFECT_API_URL: prefect_server.api_url}):
        yield prefect_server
