"""Run locks and the clean-up of what a killed run left behind."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.logging import get_run_logger

from chanjiao.common.fileio import remove_stale_temporaries
from warehouse import Warehouse

INBOX_LOCK = "inbox"


def province_lock(code: str) -> str:
    """The lock of one province: held for the whole run that processes it, whatever the year."""
    return f"province-{code}"


@contextmanager
def run_locks(database_url: str, names: list[str], wait_seconds: float) -> Iterator[None]:
    """Hold the named run locks (warehouse.locks) for the block: a second run waits, then stops with a
    message naming the holder. The locks end with this process, even if it is killed."""
    warehouse = Warehouse.open(database_url, migrate=False)
    try:
        with warehouse.lock(names, wait_seconds=wait_seconds):
            yield
    finally:
        warehouse.close()


@task(name="clean-partial-outputs", cache_policy=NO_CACHE)
def clean_partial_outputs(
    reports_dir: Path, receipts_dir: Path, years: list[int], province_codes: list[str], consortium_ids: list[str]
) -> int:
    """Delete the temporary files a killed run left for these provinces' outputs (the locks are held, so no
    live run owns them); the run then writes those outputs whole."""
    stale = []
    for year in years:
        for code in province_codes:
            stale += remove_stale_temporaries(Path(reports_dir) / str(year) / code)
        stale += remove_stale_temporaries(Path(receipts_dir) / str(year), tuple(consortium_ids))
    if stale:
        get_run_logger().warning(
            "removed %d partial files left by an interrupted run: %s", len(stale), ", ".join(p.name for p in stale[:5])
        )
    return len(stale)
