"""Run locks: two runs for the same province (or two ingests of the inbox) never interleave.

A lock dies with its process, so a killed run never leaves a province locked:

* SQLite: an ``flock`` on ``<folder of warehouse.db>/locks/<name>.lock`` (``filelock``), with the holder
  (pid, host, since when) written beside it for the message a waiting run prints;
* PostgreSQL: a session-level ``pg_advisory_lock`` on a dedicated connection (the lock ends with it).

A second run waits up to ``wait_seconds`` (logging that it waits and for whom), then gives up with
:class:`~chanjiao.common.errors.RunLocked`, whose message names the lock and its holder.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import socket
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path

from filelock import FileLock, Timeout
from sqlalchemy import URL, Engine, make_url, text

from chanjiao.common.errors import RunLocked

log = logging.getLogger(__name__)
_POLL_SECONDS = 0.5


def _holder() -> dict:
    return {"pid": os.getpid(), "host": socket.gethostname(), "since": datetime.now(UTC).isoformat(timespec="seconds")}


def _describe(holder: dict | None) -> str:
    if not holder:
        return "another run"
    return f"another run (pid {holder.get('pid')} on {holder.get('host')}, since {holder.get('since')} UTC)"


def advisory_key(name: str) -> int:
    """A stable signed 64-bit key for ``pg_advisory_lock`` from a lock's name."""
    return int.from_bytes(hashlib.sha256(f"chanjiao:{name}".encode()).digest()[:8], "big", signed=True)


def _busy(name: str, holder: dict | None, waited: float) -> RunLocked:
    return RunLocked(
        f"{name} is being processed by {_describe(holder)}; gave up after waiting {waited:.0f} s. "
        "Try again when that run has finished (its lock ends with it, even if it is killed)."
    )


@contextmanager
def _file_lock(folder: Path, name: str, wait_seconds: float) -> Iterator[None]:
    folder.mkdir(parents=True, exist_ok=True)
    lock = FileLock(folder / f"{name}.lock")
    owner = folder / f"{name}.owner"
    started, announced = time.monotonic(), False
    while True:
        try:
            lock.acquire(timeout=0)
            break
        except Timeout:
            holder = _read_owner(owner)
            waited = time.monotonic() - started
            if waited >= wait_seconds:
                raise _busy(name, holder, waited) from None
            if not announced:
                log.warning("%s is being processed by %s: waiting up to %.0f s", name, _describe(holder), wait_seconds)
                announced = True
            time.sleep(min(_POLL_SECONDS, max(wait_seconds - waited, 0.01)))
    try:
        owner.write_text(json.dumps(_holder()), encoding="utf-8")
        yield
    finally:
        lock.release()


def _read_owner(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


@contextmanager
def _advisory_locks(engine: Engine, names: Sequence[str], wait_seconds: float) -> Iterator[None]:
    with engine.connect() as connection:
        connection.execute(
            text("SELECT set_config('application_name', :holder, false)"), {"holder": _application_name(_holder())}
        )
        connection.commit()
        held: list[int] = []
        try:
            for name in names:
                key, started, announced = advisory_key(name), time.monotonic(), False
                while not connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}).scalar():
                    connection.commit()
                    holder = _pg_holder(connection, key)
                    waited = time.monotonic() - started
                    if waited >= wait_seconds:
                        raise _busy(name, holder, waited)
                    if not announced:
                        log.warning(
                            "%s is being processed by %s: waiting up to %.0f s", name, _describe(holder), wait_seconds
                        )
                        announced = True
                    time.sleep(min(_POLL_SECONDS, max(wait_seconds - waited, 0.01)))
                connection.commit()
                held.append(key)
            yield
        finally:
            try:
                for key in reversed(held):
                    connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                connection.commit()
            except Exception as exc:  # the connection died: its locks died with it, nothing to release
                log.warning(
                    "could not release the run locks (%s); they ended with their connection", type(exc).__name__
                )
                # The engine's pool would otherwise keep the connection, and any lock still on it, for the
                # next user: closed, its session ends and so do its locks.
                connection.invalidate()


def _pg_holder(connection, key: int) -> dict | None:
    """Who holds advisory lock ``key``: the holder's application_name says pid, host and since when."""
    row = connection.execute(
        text(
            "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted AND ((l.classid::bigint << 32) | l.objid::bigint) = "
            "(:key & x'ffffffffffffffff'::bigint) LIMIT 1"
        ),
        {"key": key},
    ).first()
    if row and row[0] and row[0].startswith("chanjiao "):
        parts = row[0].split(" ", 3)
        if len(parts) == 4 and parts[1].isdigit():
            return {"pid": int(parts[1]), "since": parts[2], "host": parts[3]}
    return None


def _application_name(holder: dict) -> str:
    """``chanjiao <pid> <since> <host>``: PostgreSQL keeps only 63 bytes of an application_name, so the
    holder is written compactly, host last (the part that may be cut)."""
    name = f"chanjiao {holder['pid']} {holder['since'].removesuffix('+00:00')} {holder['host']}"
    return name.encode("utf-8")[:63].decode("utf-8", errors="ignore")


def lock_folder(url: str | URL) -> Path | None:
    """Where the lock files of a SQLite warehouse are: ``locks/`` beside its file (for one in memory, in the
    working directory). None for PostgreSQL, whose locks are advisory locks in the database."""
    url = make_url(url)
    if url.get_backend_name() != "sqlite":
        return None
    database = url.database
    return (Path(database).resolve().parent if database and database != ":memory:" else Path.cwd()) / "locks"


@contextmanager
def run_lock(
    engine: Engine, names: Sequence[str], *, wait_seconds: float = 0, folder: Path | None = None
) -> Iterator[None]:
    """Hold the named locks (taken in sorted order, so two runs never deadlock) for the block; ``folder``: where
    a SQLite warehouse's lock files are (default: :func:`lock_folder`)."""
    names = sorted(set(names))
    if engine.dialect.name == "postgresql":
        with _advisory_locks(engine, names, wait_seconds):
            yield
        return
    folder = folder or lock_folder(engine.url)
    with ExitStack() as stack:
        for name in names:
            stack.enter_context(_file_lock(folder, name, wait_seconds))
        yield
