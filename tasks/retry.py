"""How tasks at I/O boundaries (exports, receipts, rendering, publishing, reminders) retry.

The failures worth retrying there are a PostgreSQL fail-over (a replica is promoted in 30–60 s) and a
network file system that stops answering for a while: a retry 1 s later hits the same outage. So the waits
grow (15, 30, 60, 120 s: a little under 4 minutes in all) and are spread by jitter, so that the tasks of one
run (or of several runs) do not all come back at the same instant.
"""

from __future__ import annotations

import errno
from typing import Any

from prefect.tasks import exponential_backoff

from chanjiao.common.errors import ChanjiaoError, WarehouseUnavailable
from warehouse import is_connection_error

IO_RETRIES = 4
IO_BACKOFF_SECONDS = 15
IO_JITTER_FACTOR = 0.5  # Prefect draws each wait around its nominal length, at most 1.5 × it (about 0.6–1.5 ×)


# errno values of an outage of a disk or network file system that may pass (not a missing file, a refused
# permission or a full disk, which waiting does not cure).
_TRANSIENT_ERRNOS = {
    errno.EIO,
    errno.ESTALE,
    errno.ETIMEDOUT,
    errno.EAGAIN,
    errno.EINTR,
    errno.ECONNRESET,
    errno.ECONNREFUSED,
    errno.ECONNABORTED,
    errno.EHOSTUNREACH,
    errno.ENETUNREACH,
    errno.EBUSY,
}


def is_transient(exc: BaseException | None) -> bool:
    """An outage that may pass: the warehouse database did not answer (a PostgreSQL fail-over, a dropped
    connection), or a disk or network file system stalled (EIO, ESTALE, a time-out, a reset connection).
    Our own errors (bad input, a locked province), a missing file, a refused permission, a full disk, a wrong
    password and bugs fail at once: waiting would not change them."""
    if exc is None:
        return False
    if isinstance(exc, WarehouseUnavailable):
        return True
    if isinstance(exc, ChanjiaoError):
        return False
    if is_connection_error(exc):  # the warehouse's driver says which of its errors are outages
        return True
    if isinstance(exc, (TimeoutError, ConnectionError)):
        return True
    return isinstance(exc, OSError) and exc.errno in _TRANSIENT_ERRNOS


def _retry_when_transient(task, task_run, state) -> bool:
    """Prefect's retry_condition_fn: the failed state's exception decides (read synchronously, so this holds
    for async tasks too)."""
    exc = state.result(raise_on_failure=False, _sync=True)
    return isinstance(exc, BaseException) and is_transient(exc)


def io_retries(retries: int = IO_RETRIES) -> dict[str, Any]:
    """Keyword arguments of ``@task`` for a task that writes files or the warehouse."""
    return {
        "retries": retries,
        "retry_delay_seconds": exponential_backoff(backoff_factor=IO_BACKOFF_SECONDS),
        "retry_jitter_factor": IO_JITTER_FACTOR,
        "retry_condition_fn": _retry_when_transient,
    }
