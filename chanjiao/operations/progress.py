"""Progress of a run, for whoever shows it (the CLI's terminal display); silent unless someone listens.

Stages report ``start(stage, total)``, ``advance(stage)`` and ``finish(stage)``; a listener (an object with
the same three methods) is installed with :func:`listening`. The flows wrap each stage in :func:`stage`, which
also times it. Calls may come from any thread (the render
pool's callbacks arrive on a pool thread), so listeners must be thread-safe; the rich display is.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

# Stage names and how the terminal display words them.
STAGES = {
    "ingest": "files ingested",
    "validate": "versions validated",
    "score": "provinces scored",
    "build": "reports prepared",
    "render": "PDFs rendered",
}


class Listener(Protocol):
    def start(self, stage: str, total: int) -> None: ...
    def advance(self, stage: str, amount: int = 1) -> None: ...
    def finish(self, stage: str) -> None: ...


_listeners: list[Listener] = []
_lock = threading.Lock()


def start(stage: str, total: int) -> None:
    for listener in list(_listeners):
        listener.start(stage, total)


def advance(stage: str, amount: int = 1) -> None:
    for listener in list(_listeners):
        listener.advance(stage, amount)


def finish(stage: str) -> None:
    for listener in list(_listeners):
        listener.finish(stage)


@contextmanager
def stage(name: str, timings: dict[str, float] | None = None, total: int | None = None) -> Iterator[None]:
    """One stage of a run, around the tasks that make it: its progress (``total`` steps, when the wiring knows
    them; otherwise the stage's tasks start it) and its wall time, kept in ``timings[name]`` once it is done."""
    if total is not None:
        start(name, total)
    started = time.perf_counter()
    yield
    if timings is not None:
        timings[name] = time.perf_counter() - started


@contextmanager
def listening(listener: Listener) -> Iterator[Listener]:
    with _lock:
        _listeners.append(listener)
    try:
        yield listener
    finally:
        with _lock:
            _listeners.remove(listener)


class Recorder:
    """A listener that keeps what it heard: ``totals`` per stage and ``done`` counts (for tests and logs)."""

    def __init__(self) -> None:
        self.totals: dict[str, int] = {}
        self.done: dict[str, int] = {}
        self.finished: list[str] = []
        self._lock = threading.Lock()

    def start(self, stage: str, total: int) -> None:
        with self._lock:
            self.totals[stage] = self.totals.get(stage, 0) + total
            self.done.setdefault(stage, 0)

    def advance(self, stage: str, amount: int = 1) -> None:
        with self._lock:
            self.done[stage] = self.done.get(stage, 0) + amount

    def finish(self, stage: str) -> None:
        with self._lock:
            self.finished.append(stage)


class TerminalDisplay:
    """rich progress bars on stderr: one per stage, with counts, elapsed time and time left."""

    def __init__(self, console=None) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.progress = Progress(
            TextColumn("{task.description:<20}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("left"),
            TimeRemainingColumn(),
            console=console or Console(stderr=True),
            transient=False,
        )
        self._tasks: dict[str, int] = {}
        self._lock = threading.Lock()

    def __enter__(self) -> TerminalDisplay:
        self.progress.start()
        return self

    def __exit__(self, *exc) -> None:
        self.progress.stop()

    def start(self, stage: str, total: int) -> None:
        with self._lock:
            if stage in self._tasks:
                task = self._tasks[stage]
                self.progress.update(task, total=(self.progress.tasks[task].total or 0) + total)
            else:
                self._tasks[stage] = self.progress.add_task(STAGES.get(stage, stage), total=total)

    def advance(self, stage: str, amount: int = 1) -> None:
        with self._lock:
            if stage in self._tasks:
                self.progress.advance(self._tasks[stage], amount)

    def finish(self, stage: str) -> None:
        with self._lock:
            if stage in self._tasks:
                task = self._tasks[stage]
                self.progress.update(task, completed=self.progress.tasks[task].total)
