"""How tasks at I/O boundaries (exports, receipts, rendering, publishing, reminders) retry.

The failures worth retrying there are a PostgreSQL fail-over (a replica is promoted in 30–60 s) and a
network file system that stops answering for a while: a retry 1 s later hits the same outage. So the waits
grow (15, 30, 60, 120 s: a little under 4 minutes in all) and are spread by jitter, so that the tasks of one
run (or of several runs) do not all come back at the same instant.
"""

from __future__ import annotations

from typing import Any

from prefect.tasks import exponential_backoff

IO_RETRIES = 4
IO_BACKOFF_SECONDS = 15
IO_JITTER_FACTOR = 0.5      # each wait is drawn from up to 1.5 × its nominal length


def is_transient(exc: BaseException | None) -> bool:
    """An outage that may pass: the file system or the network (``OSError``), or the database connection
    (SQLAlchemy's ``OperationalError``/``InterfaceError``, a connection invalidated under us). Our own errors
    (bad input, a locked province) and bugs fail at once: waiting would not change them."""
    from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

    from chanjiao.errors import ChanjiaoError

    if exc is None or isinstance(exc, ChanjiaoError):
        return False
    if isinstance(exc, (OperationalError, InterfaceError)):
        return True
    if isinstance(exc, DBAPIError):
        return bool(exc.connection_invalidated)
    return isinstance(exc, OSError)


def _retry_when_transient(task, task_run, state) -> bool:
    try:
        state.result(raise_on_failure=True)
    except BaseException as exc:          # noqa: BLE001 - the task's own exception, re-raised by Prefect
        return is_transient(exc)
    return False


def io_retries(retries: int = IO_RETRIES) -> dict[str, Any]:
    """Keyword arguments of ``@task`` for a task that writes files or the warehouse."""
    return {"retries": retries, "retry_delay_seconds": exponential_backoff(backoff_factor=IO_BACKOFF_SECONDS),
            "retry_jitter_factor": IO_JITTER_FACTOR, "retry_condition_fn": _retry_when_transient}
