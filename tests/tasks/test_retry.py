"""Retries at I/O boundaries: long, jittered waits, and only for outages that may pass."""

from __future__ import annotations

import sqlite3

import pytest
from prefect.states import Failed
from sqlalchemy.exc import DBAPIError, OperationalError

from chanjiao.errors import ConfigurationError, RunLocked
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
    assert delays == sorted(delays) and delays[0] >= 10 and sum(delays) >= 180   # a 30-60 s fail-over, twice over
    assert 0 < options["retry_jitter_factor"] <= 1


@pytest.mark.parametrize("exc", [
    OSError(5, "Input/output error"), TimeoutError("NFS server not responding"),
    OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly")),
    DBAPIError("SELECT 1", {}, Exception("terminating connection"), connection_invalidated=True),
])
def test_outages_are_retried(exc):
    assert is_transient(exc)
    assert _retry_when_transient(None, None, Failed(data=exc))


@pytest.mark.parametrize("exc", [
    ConfigurationError("unknown province code 99"), RunLocked("province-14 is being processed by another run"),
    ValueError("a bug"), KeyError("consortium_id"),
    DBAPIError("INSERT", {}, sqlite3.IntegrityError("UNIQUE constraint failed"), connection_invalidated=False),
])
def test_our_errors_and_bugs_fail_at_once(exc):
    assert not is_transient(exc)
    assert not _retry_when_transient(None, None, Failed(data=exc))


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
    assert state.is_failed() and calls.count(2) == 1           # not retried
