"""Rendering on a Dask cluster of its own: a `dask scheduler` and a `dask worker` (one thread) started as separate
processes, each in its own folder, without PYTHONPATH, with CHANJIAO_* settings pointing at a different
warehouse — a worker machine that shares no disk with the flow.

1. `chanjiao run --year 2025 --task-runner dask --dask-address tcp://…` (the flow's Prefect API is the CLI's
   temporary server).
2. The same through a deployment: `prefect deploy --all`, a run of `annual-compliance/on-demand` with
   `task_runner="dask"` and `dask_address`, run by a process worker — the deployment loads
   flows/annual_compliance.py as a script module, which a Dask worker cannot import; the render subflow's
   module (flows.render) and tasks (tasks.reporting) it can.

Each time: every report and receipt recorded as published is on the flow's disk, opens, has the pages
recorded, and all together have exactly the bytes the worker rendered; every batch ran on the worker (its
log); nothing was written on the worker's side.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from integration_support import PROJECT, PrefectServer, clean_environment, free_port, stop_process_group, tail
from pypdf import PdfReader

pytestmark = pytest.mark.integration

SAMPLE = PROJECT / "sample"
CLUSTER_START_TIMEOUT_S = 120
RUN_TIMEOUT_S = 240
# The worker's log line for each batch (tasks.reporting.render_pdf_batch).
BATCH_LINE = re.compile(
    r"render-pdf-batch-(?P<year>\d{4})-(?P<batch>\d+)' - \d{4} batch \d+: rendered (?P<pdfs>\d+) "
    r"PDFs \((?P<pages>\d+) pages, (?P<bytes>\d+) bytes\) on (?P<worker>\S+)"
)


@dataclass
class DaskCluster:
    address: str  # tcp://127.0.0.1:PORT, the scheduler
    worker: str  # the worker's own address
    root: Path  # the worker machine: its working folder and the "disk" its settings point at
    worker_log: Path
    scheduler_log: Path


def without_pythonpath(env: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in env.items() if k != "PYTHONPATH"}


def worker_machine_env(root: Path) -> dict[str, str]:
    """Settings of a machine that is not the flow's: its own warehouse, inbox, database and Prefect home."""
    return without_pythonpath(
        {
            **clean_environment(),
            "PYTHONUNBUFFERED": "1",
            "PREFECT_HOME": str(root / "prefect-home"),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "CHANJIAO_WAREHOUSE_DIR": str(root / "warehouse"),
            "CHANJIAO_INBOX_DIR": str(root / "inbox"),
            "CHANJIAO_REGISTRY_FILE": str(root / "registry.csv"),
            "CHANJIAO_DATABASE_URL": f"sqlite:///{root / 'warehouse' / 'warehouse.db'}",
        }
    )


def start(command: list[str], cwd: Path, env: dict[str, str], log: Path) -> subprocess.Popen:
    with open(log, "ab") as out:
        return subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


@pytest.fixture
def dask_cluster(tmp_path_factory) -> DaskCluster:
    """A scheduler and a one-thread worker, per test: a Dask worker process keeps sending task-run events and
    logs to the first Prefect API it reported to (Prefect's events client is one per process), so a cluster
    serves one Prefect API — the CLI's temporary server and the deployment's server are two."""
    from distributed import Client

    root = tmp_path_factory.mktemp("worker-machine")
    scheduler_dir, worker_dir = root / "scheduler-cwd", root / "worker-cwd"
    scheduler_dir.mkdir()
    worker_dir.mkdir()
    env = worker_machine_env(root)
    address = f"tcp://127.0.0.1:{free_port()}"
    scheduler_log, worker_log = root / "scheduler.log", root / "worker.log"
    scheduler = start(
        [
            sys.executable,
            "-m",
            "distributed.cli.dask_scheduler",
            "--host",
            "127.0.0.1",
            "--port",
            address.rsplit(":", 1)[1],
            "--no-dashboard",
        ],
        scheduler_dir,
        env,
        scheduler_log,
    )
    worker = None
    try:
        worker = start(
            [
                str(Path(sys.executable).parent / "dask"),
                "worker",
                address,
                "--nthreads",
                "1",
                "--nworkers",
                "1",
                "--host",
                "127.0.0.1",
                "--no-dashboard",
                "--name",
                "render-worker",
                "--preload",
                "flows.render",  # as the README says: warm, fonts checked
                "--local-directory",
                str(worker_dir / "dask-scratch"),
            ],
            worker_dir,
            env,
            worker_log,
        )
        deadline = time.monotonic() + CLUSTER_START_TIMEOUT_S
        while True:
            for process, log in ((scheduler, scheduler_log), (worker, worker_log)):
                if process.poll() is not None:
                    raise RuntimeError(f"{process.args[:3]} exited with {process.returncode}:\n{tail(log)}")
            try:
                with Client(address, timeout=10) as client:
                    client.wait_for_workers(1, timeout=max(1, deadline - time.monotonic()))
                    [worker_address] = client.scheduler_info()["workers"]
                break
            except (OSError, TimeoutError):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"no Dask worker after {CLUSTER_START_TIMEOUT_S} s:\n{tail(worker_log)}")
        yield DaskCluster(address, worker_address, root, worker_log, scheduler_log)
    finally:
        if worker is not None:
            stop_process_group(worker)
        stop_process_group(scheduler)


def copy_inbox(root: Path, years: tuple[str, ...] = ("2025",)) -> Path:
    """The bundled sample's registry, extensions and inbox (of ``years``) under ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    for year in years:
        shutil.copytree(SAMPLE / "inbox" / year, root / "inbox" / year)
    for name in ("registry.csv", "extensions.csv"):
        shutil.copy2(SAMPLE / name, root / name)
    return root / "inbox"


def flow_machine_env(root: Path) -> dict[str, str]:
    return {
        "CHANJIAO_INBOX_DIR": str(root / "inbox"),
        "CHANJIAO_REGISTRY_FILE": str(root / "registry.csv"),
        "CHANJIAO_EXTENSIONS_FILE": str(root / "extensions.csv"),
        "CHANJIAO_WAREHOUSE_DIR": str(root / "warehouse"),
        "CHANJIAO_DATABASE_URL": f"sqlite:///{root / 'warehouse' / 'warehouse.db'}",
        "CHANJIAO_FRAMEWORKS_DIR": str(PROJECT / "chanjiao" / "data" / "frameworks"),
    }


def log_size(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0


def worker_batches(cluster: DaskCluster, since: int) -> list[re.Match]:
    with open(cluster.worker_log, "rb") as log:
        log.seek(since)
        text = log.read().decode("utf-8", errors="replace")
    return list(BATCH_LINE.finditer(text))


def assert_published_on_the_flows_disk(root: Path, cluster: DaskCluster, batches: list[re.Match], reports: int) -> list:
    """Every published report and receipt is on the flow's disk and whole; the worker rendered them all and
    wrote nothing on its side."""
    from warehouse import Warehouse

    warehouse_dir = root / "warehouse"
    store = Warehouse.open(f"sqlite:///{warehouse_dir / 'warehouse.db'}")
    try:
        records = [r for year in (2024, 2025) for r in store.report_versions(year)]  # reports and receipts
    finally:
        store.close()
    assert sum(1 for r in records if r.kind != "receipt") == reports
    assert any(r.kind == "receipt" for r in records)
    total = 0
    for record in records:
        path = warehouse_dir / record.path
        assert path.is_file(), f"{record.kind} {record.subject} published but not on the flow's disk: {path}"
        assert len(PdfReader(path).pages) == record.pages
        current = (
            path.parent.parent / re.sub(r"-v\d+\.pdf$", ".pdf", path.name) if path.parent.name == "versions" else path
        )
        assert current.read_bytes() == path.read_bytes()  # the archived version is the report's PDF
        total += path.stat().st_size
        assert not list(path.parent.glob(f".{path.name}.*")), "a temporary was left beside the PDF"
    # The worker rendered every one of them, in batches, and the flow wrote exactly the bytes it sent.
    assert batches, f"no render-pdf-batch ran on the worker:\n{tail(cluster.worker_log)}"
    assert {m["worker"] for m in batches} == {cluster.worker}
    assert sum(int(m["pdfs"]) for m in batches) == len(records)
    assert sum(int(m["pages"]) for m in batches) == sum(r.pages for r in records)
    assert sum(int(m["bytes"]) for m in batches) == total
    # Nothing on the worker's side: no warehouse, no PDF or HTML anywhere under its folders.
    assert not (cluster.root / "warehouse").exists()
    assert not [p for p in cluster.root.rglob("*") if p.suffix in (".pdf", ".html")]
    return records


def test_chanjiao_run_renders_on_a_separate_dask_worker_and_writes_on_the_flows_disk(dask_cluster, tmp_path):
    root = tmp_path / "flow-machine"
    copy_inbox(root)  # 2025's files only: fewer receipts, a shorter test
    since = log_size(dask_cluster.worker_log)
    env = {
        **without_pythonpath(clean_environment()),
        "PREFECT_HOME": str(root / "prefect-home"),
        **flow_machine_env(root),
    }
    done = subprocess.run(
        [
            str(Path(sys.executable).parent / "chanjiao"),
            "run",
            "--year",
            "2025",
            "--province",
            "14",
            "--task-runner",
            "dask",
            "--dask-address",
            dask_cluster.address,
            "--no-progress",
        ],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=RUN_TIMEOUT_S,
    )
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}\nworker:\n{tail(dask_cluster.worker_log)}"
    print(next((line for line in done.stdout.splitlines() if "timings:" in line), ""))
    written = re.search(r"PDF reports: (\d+) reports and (\d+) receipts written", done.stdout)
    assert written, done.stdout
    records = assert_published_on_the_flows_disk(
        root, dask_cluster, worker_batches(dask_cluster, since), reports=11
    )  # 10 Shanxi consortia and the province
    assert int(written[1]) + int(written[2]) == len(records)


# --- the same through a deployment and a process worker ---------------------------------------------------


@pytest.fixture(scope="module")
def deployed(prefect_api: PrefectServer, tmp_path_factory) -> PrefectServer:
    logs = tmp_path_factory.mktemp("deploy-logs")
    assert (
        prefect_api.prefect(
            "work-pool", "create", "chanjiao", "--type", "process", "--overwrite", log=logs / "pool.log", timeout=120
        )
        == 0
    ), tail(logs / "pool.log")
    assert prefect_api.prefect("deploy", "--all", "--no-prompt", log=logs / "deploy.log", timeout=300) == 0, tail(
        logs / "deploy.log"
    )
    return prefect_api


def test_a_deployment_run_renders_on_a_separate_dask_worker(deployed, dask_cluster, tmp_path):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterName, TaskRunFilter, TaskRunFilterName
    from prefect.deployments import run_deployment

    root = tmp_path / "flow-machine"
    copy_inbox(root)
    since = log_size(dask_cluster.worker_log)
    flow_run = run_deployment(
        "annual-compliance/on-demand",
        timeout=0,
        parameters={"year": 2025, "provinces": ["43"], "task_runner": "dask", "dask_address": dask_cluster.address},
    )
    log = tmp_path / "worker.log"
    returncode = deployed.prefect(
        "worker",
        "start",
        "--pool",
        "chanjiao",
        "--run-once",
        log=log,
        env=without_pythonpath(deployed.client_env(**flow_machine_env(root))),
        timeout=RUN_TIMEOUT_S,
    )
    assert returncode == 0, tail(log)
    with get_client(sync_client=True) as client:
        state = client.read_flow_run(flow_run.id).state
        assert state.is_completed(), f"{state!r}\n{tail(log)}\nDask worker:\n{tail(dask_cluster.worker_log)}"
        [subflow] = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(name=FlowRunFilterName(any_=["render-pdfs-dask-2025"]))
        )
        # render-pdfs-dask runs inside the year's subflow (annual-compliance-2025), which runs inside the run.
        year_run = client.read_flow_run(client.read_task_run(subflow.parent_task_run_id).flow_run_id)
        assert year_run.name == "annual-compliance-2025"
        assert client.read_task_run(year_run.parent_task_run_id).flow_run_id == flow_run.id
        found = worker_batches(dask_cluster, since)
        deadline = time.monotonic() + 30  # task runs of a Dask worker reach the API as events: a moment later
        while True:
            batches = client.read_task_runs(
                task_run_filter=TaskRunFilter(name=TaskRunFilterName(like_="render-pdf-batch-2025-"))
            )
            batches = [run for run in batches if run.flow_run_id == subflow.id and run.state.is_completed()]
            if len(batches) >= len(found) or time.monotonic() > deadline:
                break
            time.sleep(1)
    assert found and len(batches) == len(found), (batches, [m[0] for m in found])
    assert_published_on_the_flows_disk(root, dask_cluster, found, reports=12)  # 11 Hunan consortia, the province
