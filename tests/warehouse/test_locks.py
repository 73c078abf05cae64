"""Run locks (warehouse.locks, Warehouse.lock) on SQLite and on PostgreSQL: another process holds a province's lock,
this one is stopped (or waits), and a killed holder leaves nothing behind."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from chanjiao.common.errors import RunLocked
from warehouse.locks import advisory_key

ROOT = Path(__file__).resolve().parents[2]

# A run in another process: takes the locks named on its command line, says so, and releases them when told
# ("release" on stdin), then waits for its stdin to close. It loads warehouse/locks.py on its own (what
# Warehouse.lock calls) rather than the whole warehouse package: half a second to start instead of two.
HOLDER = """
import importlib.util, sys
from sqlalchemy import create_engine

spec = importlib.util.spec_from_file_location("run_locks", sys.argv[1])
locks = importlib.util.module_from_spec(spec)
spec.loader.exec_module(locks)
engine = create_engine(sys.argv[2])
with locks.run_lock(engine, sys.argv[3:], wait_seconds=0):
    print("held", flush=True)
    sys.stdin.readline()
print("released", flush=True)
sys.stdin.read()
engine.dispose()
"""


class Holder:
    def __init__(self, process: subprocess.Popen) -> None:
        self.process = process

    @property
    def pid(self) -> int:
        return self.process.pid

    def release(self) -> None:
        self.process.stdin.write("release\n")
        self.process.stdin.flush()
        assert self.process.stdout.readline().strip() == "released"


@contextmanager
def holding(database_url: str, *names: str) -> Iterator[Holder]:
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(ROOT / "warehouse" / "locks.py"), database_url, *names],
        cwd=ROOT,
        text=True,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        line = process.stdout.readline().strip()
        if line != "held":
            process.kill()
            raise AssertionError(f"the holder did not take the lock: {line!r} {process.stderr.read()}")
        yield Holder(process)
    finally:
        if process.poll() is None:
            process.stdin.close()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        process.stdout.close()
        process.stderr.close()


def test_a_held_lock_stops_another_run_and_names_the_lock_and_its_holder(warehouse, database_url):
    with holding(database_url, "province-14") as holder:
        with pytest.raises(RunLocked) as caught:
            with warehouse.lock(["province-14"], wait_seconds=0):
                pytest.fail("entered a province another run holds")
        message = str(caught.value)
        assert "province-14" in message
        assert f"pid {holder.pid}" in message
        # Any held name among several stops the run; the others are left free.
        with pytest.raises(RunLocked, match="province-14"):
            with warehouse.lock(["province-43", "province-14"], wait_seconds=0):
                pytest.fail("entered a province another run holds")
        with warehouse.lock(["province-43"], wait_seconds=0):
            pass
        with warehouse.lock(["inbox"], wait_seconds=0):
            pass
        holder.release()
        with warehouse.lock(["province-14"], wait_seconds=0):
            pass


class _Announced(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.event = threading.Event()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())
        self.event.set()


def test_a_waiting_run_gets_the_lock_once_the_holder_finishes(warehouse, database_url):
    announced = _Announced()
    logger = logging.getLogger("warehouse.locks")
    logger.addHandler(announced)
    try:
        with holding(database_url, "province-14") as holder:

            def release_once_waiting() -> None:
                announced.event.wait(timeout=10)
                holder.release()

            releaser = threading.Thread(target=release_once_waiting)
            releaser.start()
            entered = False
            try:
                with warehouse.lock(["province-14"], wait_seconds=5):
                    entered = True
            finally:
                releaser.join()
    finally:
        logger.removeHandler(announced)
    assert entered
    assert len(announced.messages) == 1
    assert "province-14 is being processed by" in announced.messages[0]
    assert "waiting up to 5 s" in announced.messages[0]


def test_a_killed_holder_leaves_the_lock_free(warehouse, database_url):
    with holding(database_url, "province-14", "inbox") as holder:
        with pytest.raises(RunLocked):
            with warehouse.lock(["inbox"], wait_seconds=0):
                pass
        os.kill(holder.pid, signal.SIGKILL)
        assert holder.process.wait(timeout=30) == -signal.SIGKILL
        with warehouse.lock(["province-14", "inbox"], wait_seconds=0):
            pass


def test_the_lock_is_released_when_the_block_fails(warehouse):
    with pytest.raises(ZeroDivisionError):
        with warehouse.lock(["province-14"]):
            1 / 0
    with warehouse.lock(["province-14"]):
        pass


def test_advisory_keys_are_stable_signed_64_bit_and_distinct():
    names = ["province-14", "province-43", "inbox", "province-1", "province-11"] + [f"p{i}" for i in range(200)]
    keys = [advisory_key(name) for name in names]
    assert keys == [advisory_key(name) for name in names]
    assert len(set(keys)) == len(names)
    assert all(-(2**63) <= key < 2**63 for key in keys)
    assert any(key < 0 for key in keys) and any(key > 0 for key in keys)
    # Stable across processes and releases: derived from the name alone.
    assert advisory_key("province-14") == int.from_bytes(
        __import__("hashlib").sha256(b"chanjiao:province-14").digest()[:8], "big", signed=True
    )
