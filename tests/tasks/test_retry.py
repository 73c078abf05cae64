"""Retries at I/O boundaries: long, jittered waits, and only for outages that may pass."""

from __future__ import annotations

import errno
import sqlite3

import pytest
from prefect.states import Failed
from sqlalchemy.exc import DBAPIError, OperationalError

from chanjiao.common.errors import ConfigurationError, RunLocked, WarehouseUnavailable
from tasks.retry import IO_RETRIES, _retry_when_transient, io_retries, is_transient


@pytest.fixture(scope="module")
def prefect_server():
    """A temporary Prefect server for the one test that runs a flow."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


def test_waits_outlast_a_database_fail_over():
    options = io_retries()
    delays = options["retry_delay_seconds"](IO_RETRIES)
    assert delays == sorted(delays) and delays[0] >= 10 and sum(delays) >= 180  # a 30-60 s fail-over, twice over
    assert 0 < options["retry_jitter_factor"] <= 1


class _PgError(Exception):
    """A driver error carrying a SQLSTATE, as psycopg's do."""

    def __init__(self, message: str, sqlstate: str | None) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate


@pytest.mark.parametrize(
    "exc",
    [
        OSError(errno.EIO, "Input/output error"),
        OSError(errno.ESTALE, "Stale file handle"),
        TimeoutError("NFS server not responding"),
        ConnectionResetError(errno.ECONNRESET, "reset"),
        OperationalError("SELECT 1", {}, _PgError("terminating connection due to administrator command", "57P01")),
        OperationalError("SELECT 1", {}, _PgError("server closed the connection unexpectedly", "08006")),
        OperationalError("SELECT 1", {}, sqlite3.OperationalError("database is locked")),
        DBAPIError("SELECT 1", {}, Exception("terminating connection"), connection_invalidated=True),
        WarehouseUnavailable("cannot reach the warehouse database postgresql+psycopg://u:***@db/w: refused"),
    ],
)
def test_outages_are_retried(exc):
    assert is_transient(exc)
    assert _retry_when_transient(None, None, Failed(data=exc))


@pytest.mark.parametrize(
    "exc",
    [
        ConfigurationError("unknown province code 99"),
        RunLocked("province-14 is being processed by another run"),
        ValueError("a bug"),
        KeyError("consortium_id"),
        FileNotFoundError(errno.ENOENT, "No such file"),
        PermissionError(errno.EACCES, "Permission denied"),
        OSError(errno.ENOSPC, "No space left on device"),
        OperationalError("SELECT 1", {}, sqlite3.OperationalError("no such table: scores")),
        OperationalError("connect", {}, _PgError('password authentication failed for user "chanjiao"', "28P01")),
        DBAPIError("INSERT", {}, sqlite3.IntegrityError("UNIQUE constraint failed"), connection_invalidated=False),
    ],
)
def test_our_errors_mistakes_and_bugs_fail_at_once(exc):
    assert not is_transient(exc)
    assert not _retry_when_transient(None, None, Failed(data=exc))


def test_an_unreachable_postgresql_is_an_outage_that_is_retried():
    """What a fail-over looks like to a task: opening the warehouse on a port nothing listens on."""
    import socket

    from warehouse import Warehouse

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(WarehouseUnavailable) as caught:
        Warehouse.open(f"postgresql+psycopg://chanjiao:secret@127.0.0.1:{port}/warehouse?connect_timeout=2")
    assert is_transient(caught.value) and "secret" not in str(caught.value)


def test_a_task_retries_a_transient_error_then_succeeds(prefect_server):
    from prefect import flow, task

    calls = []

    @task(**{**io_retries(2), "retry_delay_seconds": 0, "retry_jitter_factor": None})
    def flaky():
        calls.append(1)
        if len(calls) < 2:
            raise OSError(116, "Stale file handle")
        return "written"

    @task(**{**io_retries(2), "retry_delay_seconds": 0, "retry_jitter_factor": None})
    def buggy():
        calls.append(2)
        raise ValueError("a bug")

    @flow
    def both():
        return flaky(), buggy(return_state=True)

    written, state = both()
    assert written == "written" and calls.count(1) == 2
    assert state.is_failed() and calls.count(2) == 1  # not retried
