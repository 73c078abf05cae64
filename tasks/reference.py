"""Loading the registry and calendars once per run."""

from __future__ import annotations

from pathlib import Path

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.logging import get_run_logger

from chanjiao.reference.registry import ReferenceData, load_reference
from tasks.retry import io_retries
from warehouse import Warehouse


@task(name="load-reference", cache_policy=NO_CACHE, **io_retries())
def load_reference_data(
    registry_file: Path, extensions_file: Path | None, database_url: str, frameworks_dir: Path | None = None
) -> ReferenceData:
    """Read and validate the registry, calendars and scoring frameworks, and keep the warehouse's copy of the registry current."""
    logger = get_run_logger()
    reference = load_reference(registry_file, extensions_file, frameworks_dir)
    warehouse = Warehouse.open(database_url)
    try:
        registry = reference.registry.astype(object).where(reference.registry.notna(), None)
        warehouse.sync_registry(registry.to_dict("records"), reference.provinces.to_dict("records"))
    finally:
        warehouse.close()
    logger.info(
        "registry %s: %d consortia in %d provinces; %d deadline extensions (%s)",
        registry_file,
        len(reference.registry),
        reference.registry["province_code"].nunique(),
        len(reference.extensions),
        extensions_file or "no extensions file",
    )
    return reference
