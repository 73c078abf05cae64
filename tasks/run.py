"""The run's plumbing, for the flows and every task: the run context (chanjiao.operations.settings.RunContext),
the one way a task opens the warehouse, and the stages' timings and progress (chanjiao.operations.progress)."""

from __future__ import annotations

from chanjiao.operations.progress import advance, stage
from chanjiao.operations.settings import OutputPaths, RunContext
from chanjiao.reference.registry import ProvinceCode
from warehouse import Warehouse

__all__ = ["OutputPaths", "ProvinceCode", "RunContext", "advance", "open_warehouse", "stage"]


def open_warehouse(run: RunContext, *, migrate: bool = True) -> Warehouse:
    """The run's warehouse, for ``with open_warehouse(run) as warehouse: …``. Cheap: the engine (and its pooled
    connections) is the process's, one per database, kept from task to task and disposed at exit; the
    schema is checked (and migrated) on the first open only."""
    return Warehouse.open(run.url, migrate=migrate)
