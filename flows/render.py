"""The run's PDFs on a Dask cluster: a subflow whose task runner is a DaskTaskRunner (an existing cluster at an
address, or a local one).

Why a subflow in an importable module: a task submitted to Dask carries the context of the flow it runs in,
the flow object included, and a Dask worker unpickles it by importing the flow's module. A deployment loads
its entrypoint (``flows/annual_compliance.py``) as a script module that a worker process elsewhere cannot
import; this subflow's module is ``flows.render`` and its tasks are ``tasks.reporting``, which any process with
the project installed imports.

Why bytes: a worker may not share the flow's disk. It renders each batch to memory and returns the PDFs;
the flow's side writes each batch as it comes back (``write-pdf-batch``: atomically, under the warehouse,
checked on disk), so only what is on the warehouse's disk is published. At most a few batches per worker
thread are in flight, so neither side holds every PDF at once.
"""

from __future__ import annotations

import threading
import uuid

from prefect import flow
from prefect.context import FlowRunContext
from prefect.logging import get_run_logger

from tasks.reporting import (
    PdfJob,
    RenderSummary,
    ReportError,
    load_fonts,
    render_pdf_batch,
    render_pdfs,
    write_pdf_batch,
)
from tasks.run import RunContext, advance

BATCHES_PER_THREAD = 2  # batches in flight per worker thread: one rendering, one waiting its turn
MIN_IN_FLIGHT = 4

# The jobs of a render-pdfs-dask run, handed over in this process by render_on_dask. They are not the
# subflow's parameters: Prefect would store the parameters (every report's HTML) with the flow run, and ship
# them with every task sent to a worker in the flow run's context.
_handed_over: dict[str, list[PdfJob]] = {}
_handover_lock = threading.Lock()


def render(run: RunContext, jobs: list[PdfJob]) -> RenderSummary:
    """The year's PDFs, where the run asked: on a Dask cluster (``task_runner`` "dask", at ``dask_address`` or a
    local one) or in a process pool on this machine (the ``render-pdfs`` task)."""
    if run.task_runner == "dask" and jobs:
        settings = run.settings
        return render_on_dask(jobs, run.year, run.dask_address, settings.dask_batch_size, settings.report_workers)
    return render_pdfs(run, jobs)


def render_on_dask(
    jobs: list[PdfJob], year: int, address: str | None, batch_size: int, workers: int | None
) -> RenderSummary:
    """Render ``jobs`` in batches of ``batch_size`` on the Dask cluster at ``address`` — or, without one, on a
    local cluster of single-threaded worker processes (``workers``, default one per core) — and write them
    here. Called from the flow: runs the ``render-pdfs-dask`` subflow with a DaskTaskRunner."""
    from prefect_dask import DaskTaskRunner

    runner = (
        DaskTaskRunner(address=address)
        if address
        else DaskTaskRunner(cluster_kwargs={"n_workers": workers, "threads_per_worker": 1, "processes": True})
    )
    key = uuid.uuid4().hex
    with _handover_lock:
        _handed_over[key] = list(jobs)
    try:
        return render_pdfs_dask.with_options(task_runner=runner)(
            handover=key, year=year, pdfs=len(jobs), batch_size=batch_size, cluster=address or "local"
        )
    finally:
        with _handover_lock:
            _handed_over.pop(key, None)


# The national benchmark's render stage took 962-1,244 s on 2 cores; a cluster is there to be faster. A render
# that hangs past an hour ends TimedOut (and so does its parent run, which notifies).
RENDER_TIMEOUT_S = 3_600


@flow(
    name="render-pdfs-dask",
    flow_run_name="render-pdfs-dask-{year}",
    validate_parameters=False,
    timeout_seconds=RENDER_TIMEOUT_S,
)
def render_pdfs_dask(handover: str, year: int, pdfs: int, batch_size: int, cluster: str = "local") -> RenderSummary:
    """Send the run's ``pdfs`` PDFs to the Dask cluster (``cluster``) in ``render-pdf-batch`` tasks of
    ``batch_size``; write each batch here as it comes back. A batch that fails on the cluster (after its
    retry) is listed as failed, PDF by PDF, and the others go on: what was written is published."""
    # The body is a module-level function on purpose: every task sent to Dask carries this flow, and
    # cloudpickle copies a flow function's globals by value (a task's, too) — here only that function,
    # which it pickles by reference.
    return _render_and_write(handover, year, batch_size, cluster)


def _cost(job: PdfJob) -> int:
    """How long a job takes to render, roughly: its HTML and attachments."""
    return len(job.html) + sum(len(attachment.data) for attachment in job.attachments)


def _take_over(handover: str) -> list[PdfJob]:
    with _handover_lock:
        jobs = _handed_over.get(handover)
    if jobs is None:
        raise RuntimeError(
            "render-pdfs-dask renders the jobs annual-compliance hands over in its own process; "
            "it cannot be run (or retried) alone"
        )
    return jobs


def _render_and_write(handover: str, year: int, batch_size: int, cluster: str) -> RenderSummary:
    from distributed import as_completed

    # The longest first (a province report is many receipts' work), so the run does not end waiting on one
    # worker's batch of big reports while the others are idle.
    jobs = sorted(_take_over(handover), key=_cost, reverse=True)
    logger = get_run_logger()
    batches = [jobs[i : i + batch_size] for i in range(0, len(jobs), batch_size)]
    client = FlowRunContext.get().task_runner.client
    threads = sum(client.nthreads().values())
    in_flight = max(MIN_IN_FLIGHT, BATCHES_PER_THREAD * threads)
    logger.info(
        "%d: %d PDFs in %d batches on the Dask cluster %s (%d worker threads now)",
        year,
        len(jobs),
        len(batches),
        cluster,
        threads,
    )

    summary = RenderSummary()
    waiting = iter(enumerate(batches, 1))
    running: dict = {}  # Dask future → (batch number, its jobs, the Prefect future)
    completed = as_completed(loop=client.loop)

    def submit_next() -> None:
        item = next(waiting, None)
        if item is not None:
            n, batch = item
            future = render_pdf_batch.submit(jobs=batch, year=year, batch=n)
            running[future.wrapped_future] = (n, batch, future)
            completed.add(future.wrapped_future)

    for _ in range(in_flight):
        submit_next()
    for done in completed:
        n, batch, future = running.pop(done)
        submit_next()  # keep the workers busy while this batch is written
        try:
            rendered = future.result()
        except Exception as exc:  # noqa: BLE001 - the batch failed on the cluster: its PDFs are not written
            reason = exc.reason if isinstance(exc, ReportError) else f"{type(exc).__name__}: {exc}"
            logger.error("%d batch %d failed on the Dask cluster: %s", year, n, reason)
            summary.failures += [
                str(
                    ReportError(
                        f"PDF not written (its batch failed on the Dask cluster: {reason})", file=str(job.target)
                    )
                )
                for job in batch
            ]
        else:
            try:
                summary.add(write_pdf_batch(rendered, batch, year=year, batch=n))
            except Exception as exc:  # noqa: BLE001 - after its retries: these PDFs are not on the warehouse's disk
                logger.error("%d batch %d not written: %s: %s", year, n, type(exc).__name__, exc)
                summary.failures += [
                    str(ReportError(f"PDF not written ({type(exc).__name__}: {exc})", file=str(job.target)))
                    for job in batch
                ]
            del rendered
        done.release()
        del future
        advance("render", len(batch))

    by_worker = ", ".join(f"{worker}: {count}" for worker, count in sorted(summary.workers.items()))
    logger.info(
        "%d: wrote %d PDFs (%d pages, %.1f s of render time), %d not written; rendered by %s",
        year,
        len(summary.results),
        summary.pages,
        summary.seconds,
        len(summary.failures),
        by_worker or "none",
    )
    return summary


def dask_setup(worker) -> None:
    """Run by a Dask worker started with ``--preload flows.render``: the tasks are imported and the fonts loaded
    before the first batch arrives. On a machine without the Chinese font the worker's log says so at start
    ("Failed to start preload: flows.render … no Chinese (CJK) font found"); Dask starts the worker anyway, and
    every batch it is given fails with that reason (its PDFs are not published and the run fails)."""
    load_fonts()
