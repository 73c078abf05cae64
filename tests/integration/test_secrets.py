"""No secret where it does not belong: a warehouse password planted in the database URL is found in no output.

The URL reaches the worker as its setting (``CHANJIAO_DATABASE_URL``) and ``chanjiao run`` as
``--database-url``; it is never a flow parameter. After a successful run and a failed one (which notifies a
webhook) through a deployment and a process worker, and a CLI run, the password is searched in: the webhook
bodies, every flow run's parameters and logs on the Prefect server, every artifact, every file the pipeline
wrote, the worker's and the server's logs, and the CLI's output — including after a run the database refused.
"""

from __future__ import annotations

import json
import queue
import time
from pathlib import Path

import pytest
from integration_support import PrefectServer, copy_sample, deploy_project, tail

pytestmark = pytest.mark.integration

PASSWORD = "Pl4nted-Pa55-7c1e9"
WEBHOOK_TIMEOUT_S = 60


@pytest.fixture(scope="module")
def planted_url(postgres_server) -> str:
    """The tests' PostgreSQL (trust authentication: any password is accepted) under a URL with a password."""
    url = postgres_server.create_database("secrets_test")
    assert url.startswith("postgresql+psycopg://postgres@")
    return url.replace("postgres@", f"postgres:{PASSWORD}@", 1)


def run_through_worker(server: PrefectServer, parameters: dict, env: dict, log: Path):
    from prefect.client.orchestration import get_client
    from prefect.deployments import run_deployment

    flow_run_id = run_deployment("annual-compliance/on-demand", parameters=parameters, timeout=0).id
    assert server.prefect("worker", "start", "--pool", "chanjiao", "--run-once", log=log, env=env, timeout=300) == 0, (
        tail(log)
    )
    with get_client(sync_client=True) as client:
        return client.read_flow_run(flow_run_id)


def everything_on_the_server() -> str:
    """Every flow run's name, parameters and state message, every log line and every artifact, as text."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import LogFilter

    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(limit=200)
        logs = client.read_logs(log_filter=LogFilter(), limit=200)
        offset = 200
        while True:
            more = client.read_logs(log_filter=LogFilter(), limit=200, offset=offset)
            if not more:
                break
            logs += more
            offset += 200
        artifacts = client.read_artifacts(limit=200)
        blocks = client.read_block_documents()
    parts = [
        json.dumps(
            {"name": r.name, "parameters": r.parameters, "message": r.state.message if r.state else None},
            ensure_ascii=False,
        )
        for r in runs
    ]
    parts += [log.message for log in logs]
    parts += [json.dumps(a.data, ensure_ascii=False, default=str) + (a.description or "") for a in artifacts]
    parts += [json.dumps(b.data, ensure_ascii=False, default=str) for b in blocks]
    assert runs and logs and artifacts
    return "\n".join(parts)


def files_containing(folder: Path, needle: str) -> list[str]:
    return sorted(str(p) for p in folder.rglob("*") if p.is_file() and needle.encode() in p.read_bytes())


def test_a_planted_database_password_appears_in_no_output(prefect_api, planted_url, webhook, tmp_path, capsys):
    from chanjiao.operations.cli import main

    deploy_project(prefect_api, tmp_path)
    url, received = webhook
    assert main(["notify", "--webhook-url", f"{url}/hook"]) == 0

    inbox = copy_sample(tmp_path)
    warehouse = tmp_path / "warehouse"
    env = prefect_api.client_env(
        CHANJIAO_INBOX_DIR=str(inbox),
        CHANJIAO_REGISTRY_FILE=str(tmp_path / "registry.csv"),
        CHANJIAO_WAREHOUSE_DIR=str(warehouse),
        CHANJIAO_DATABASE_URL=planted_url,
    )

    # 1. A successful run through the worker: it really used the planted URL (the warehouse is on PostgreSQL).
    done = run_through_worker(
        prefect_api, {"year": 2025, "provinces": ["43"], "pdf": False}, env, tmp_path / "worker-1.log"
    )
    assert done.state.is_completed(), f"{done.state!r}\n{tail(tmp_path / 'worker-1.log')}"
    assert not (warehouse / "warehouse.db").exists() and (warehouse / "reports" / "2025" / "43").is_dir()

    # 2. A failed run: the notification goes out with the run's parameters.
    failed = run_through_worker(
        prefect_api, {"year": 2025, "registry_file": str(tmp_path / "missing.csv")}, env, tmp_path / "worker-2.log"
    )
    assert failed.state.is_failed()
    try:
        _, _, body = received.get(timeout=WEBHOOK_TIMEOUT_S)
    except queue.Empty:
        raise AssertionError(f"no notification; server log:\n{tail(prefect_api.log)}") from None
    time.sleep(2)  # any further notification
    bodies = [body] + [received.get_nowait()[2] for _ in range(received.qsize())]

    # 3. A run whose database refuses it (no such database: not an outage, so no retries): the likeliest
    #    place for a driver or our code to repeat the URL.
    refused_url = planted_url.rsplit("/", 1)[0] + "/no_such_database"
    refused = run_through_worker(
        prefect_api,
        {"year": 2025, "provinces": ["43"], "pdf": False},
        {**env, "CHANJIAO_DATABASE_URL": refused_url},
        tmp_path / "worker-3.log",
    )
    assert refused.state.is_failed() and "no_such_database" in (refused.state.message or ""), refused.state
    try:
        bodies.append(received.get(timeout=WEBHOOK_TIMEOUT_S)[2])
    except queue.Empty:
        raise AssertionError(f"no notification for the refused run; server log:\n{tail(prefect_api.log)}") from None

    # 4. A CLI run with --database-url.
    capsys.readouterr()
    assert (
        main(
            [
                "run",
                "--year",
                "2025",
                "--province",
                "14",
                "--no-pdf",
                "--no-progress",
                "--inbox",
                str(inbox),
                "--registry",
                str(tmp_path / "registry.csv"),
                "--warehouse",
                str(warehouse),
                "--database-url",
                planted_url,
                "--as-of",
                "2026-01-10",
            ]
        )
        == 0
    )
    cli_output = "".join(capsys.readouterr())
    assert "annual-compliance 2025" in cli_output

    from prefect.logging.handlers import APILogWorker

    APILogWorker.drain_all(timeout=10)
    assert PASSWORD in planted_url
    leaks = {
        "webhook": [b.decode("utf-8", "replace") for b in bodies if PASSWORD.encode() in b],
        "prefect server (parameters, logs, artifacts, blocks)": PASSWORD in everything_on_the_server(),
        "outputs": files_containing(warehouse, PASSWORD),
        "worker logs": [p.name for p in tmp_path.glob("worker-*.log") if PASSWORD in p.read_text(errors="replace")],
        "server log": PASSWORD in prefect_api.log.read_text(errors="replace"),
        "CLI output": PASSWORD in cli_output,
    }
    assert not any(leaks.values()), f"the password leaked: {leaks}"
    # and the webhook still says what failed
    assert "missing.csv" in bodies[0].decode("utf-8")
