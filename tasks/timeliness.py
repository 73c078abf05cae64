"""Timeliness per province: computed in the core, stored in the warehouse."""

from __future__ import annotations

from datetime import date

import pandas as pd
from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.logging import get_run_logger

from chanjiao.reference import ReferenceData
from chanjiao.timeliness import compute_timeliness, status_counts, versions_frame
from warehouse import Warehouse


@task(name="timeliness", task_run_name="timeliness-{year}-{province_code}", cache_policy=NO_CACHE)
def province_timeliness(reference: ReferenceData, database_url: str, year: int, province_code: str,
                        as_of: date) -> pd.DataFrame:
    """Status of every expected plan and summary of one province's consortia for ``year``."""
    logger = get_run_logger()
    registry = reference.registry[reference.registry["province_code"] == province_code]
    warehouse = Warehouse.open(database_url)
    try:
        versions = versions_frame(warehouse.versions(year=year, consortium_ids=registry.index))
        frame = compute_timeliness(registry, versions, reference.deadlines, reference.extensions, year, as_of)
        rows = frame.astype(object).where(frame.notna(), None).to_dict("records")
        warehouse.save_timeliness(rows, year=year, province_codes=[province_code], as_of=as_of)
    finally:
        warehouse.close()
    logger.info("%s %d: %s", province_code, year,
                ", ".join(f"{k} {v}" for k, v in status_counts(frame).items()))
    return frame
