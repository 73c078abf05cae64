"""Loading the registry and calendars once per run."""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.logging import get_run_logger

from chanjiao.reference.registry import ReferenceData, load_reference
from tasks.retry import io_retries
from tasks.run import RunContext, open_warehouse


@task(name="load-reference", cache_policy=NO_CACHE, **io_retries())
def load_reference_data(run: RunContext) -> ReferenceData:
    """Read and validate the registry, calendars and scoring frameworks, and keep the warehouse's copy of the registry current."""
    logger = get_run_logger()
    settings = run.settings
    reference = load_reference(settings.registry_file, settings.extensions_path, settings.frameworks_dir)
    with open_warehouse(run) as warehouse:
        warehouse.sync_registry(reference.registry, reference.provinces)
    logger.info(
        "registry %s: %d consortia in %d provinces; %d deadline extensions (%s)",
        settings.registry_file,
        len(reference.registry),
        reference.registry["province_code"].nunique(),
        len(reference.extensions),
        settings.extensions_path or "no extensions file",
    )
    return reference
