"""Run locks and the clean-up of what a killed run left behind."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.logging import get_run_logger

from chanjiao.common.fileio import remove_stale_temporaries
from tasks.run import RunContext, open_warehouse

INBOX_LOCK = "inbox"


def province_lock(code: str) -> str:
    """The lock of one province: held for the whole run that processes it, whatever the year."""
    return f"province-{code}"


def province_locks(run: RunContext) -> list[str]:
    """The locks of every province the run processes."""
    return [province_lock(code) for code in run.all_provinces]


@contextmanager
def run_locks(run: RunContext, names: list[str]) -> Iterator[None]:
    """Hold the named run locks (warehouse.locks) for the block: a second run waits up to the run's
    ``lock_wait_seconds``, then stops with a message naming the holder. The locks end with this process, even
    if it is killed."""
    with open_warehouse(run, migrate=False) as warehouse:
        with warehouse.lock(names, wait_seconds=run.lock_wait_seconds, folder=run.paths.locks):
            yield


@task(name="clean-partial-outputs", cache_policy=NO_CACHE)
def clean_partial_outputs(run: RunContext) -> int:
    """Delete the temporary files a killed run left for the run's provinces' outputs (the locks are held, so no
    live run owns them); the run then writes those outputs whole."""
    provinces, stale = run.all_provinces, []
    consortia = tuple(run.reference.consortia_in(provinces))
    for year in run.years:
        for code in provinces:
            stale += remove_stale_temporaries(run.paths.province(year, code))
        stale += remove_stale_temporaries(run.paths.receipts_of(year), consortia)
    if stale:
        get_run_logger().warning(
            "removed %d partial files left by an interrupted run: %s", len(stale), ", ".join(p.name for p in stale[:5])
        )
    return len(stale)
