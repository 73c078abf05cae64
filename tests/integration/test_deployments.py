"""The project as operators run it: a Prefect server, `prefect deploy --all`, a process worker.

1. `prefect deploy --all --no-prompt` (prefect.yaml) creates the four deployments on the work pool
   `chanjiao`, with their schedules (cron, Asia/Shanghai), tags and a concurrency limit of one run.
2. A full run of 2025 through `annual-compliance/on-demand` and a worker; then a corrected resubmission
   for a Shanxi (14) consortium arrives and an operator re-runs province 14 only: afterwards only province
   14's outputs (its reports, the new version's receipts) have changed, and nothing of Hunan (43) has been
   touched — same bytes, same modification time.
3. A run that fails (an unknown province) sends the failure notification to a webhook, through the
   automation `setup_failure_notification` made.

The worker runs the flows with the warehouse, inbox and registry given by CHANJIAO_* variables, all in
temporary folders (a copy of the bundled sample).
"""

from __future__ import annotations

import csv
import hashlib
import json
import queue
import re
import shutil
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from integration_support import PROJECT, PrefectServer, tail

pytestmark = pytest.mark.integration

SAMPLE = PROJECT / "sample"
POOL = "chanjiao"
WORKER_TIMEOUT_S = 240
WEBHOOK_TIMEOUT_S = 60

# name → (entrypoint, cron, timezone); the schedules of prefect.yaml.
DEPLOYMENTS = {
    "annual-compliance/nightly": ("flows/annual_compliance.py:annual_compliance", "0 2 * * *", "Asia/Shanghai"),
    "annual-compliance/on-demand": ("flows/annual_compliance.py:annual_compliance", None, None),
    "after-deadline/after-deadline": ("flows/deadlines.py:after_deadline", "30 1 * * *", "Asia/Shanghai"),
    "deadline-reminder/deadline-reminder": ("flows/deadlines.py:deadline_reminder", "0 8 * * *", "Asia/Shanghai"),
}

# The corrected resubmission: SX-2024-05's 2025 summary again, later and with one value changed.
ORIGINAL = "2025/关于报送太忻（智能制造）市域产教联合体2025年度工作总结的函.json"
CORRECTED = "2025/关于报送太忻（智能制造）市域产教联合体2025年度工作总结的函（更正）.json"
CORRECTED_ID, CORRECTED_ON = "SX-2024-05", "2025-12-20"
RECEIPT = re.compile(r"(?P<id>.+)-(?P<kind>plan|summary)-v(?P<version>\d+)\.\w+$")
# Not outputs: the SQLite warehouse, the run locks and their holders (warehouse/locks.py), logs.
NOT_OUTPUTS = (".db", ".db-wal", ".db-shm", ".db-journal", ".lock", ".owner", ".log")
NOT_OUTPUT_FOLDERS = ("locks",)


# --- the deployment ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def deployed(prefect_api: PrefectServer, tmp_path_factory) -> dict:
    """The work pool and `prefect deploy --all`, as the README says; the outcome, for the tests to judge."""
    logs = tmp_path_factory.mktemp("deploy-logs")
    started = time.monotonic()
    pool = prefect_api.prefect("work-pool", "create", POOL, "--type", "process", log=logs / "pool.log", timeout=120)
    assert pool == 0, tail(logs / "pool.log")
    deploy = prefect_api.prefect("deploy", "--all", "--no-prompt", log=logs / "deploy.log", timeout=300)
    return {"returncode": deploy, "log": logs / "deploy.log", "seconds": time.monotonic() - started}


def read_deployment(name: str):
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        return client.read_deployment_by_name(name)


def test_deploy_all_creates_the_deployments_with_their_schedules(deployed):
    assert deployed["returncode"] == 0, f"prefect deploy --all failed:\n{tail(deployed['log'])}"
    for name, (entrypoint, cron, timezone) in DEPLOYMENTS.items():
        deployment = read_deployment(name)
        assert deployment.entrypoint == entrypoint
        assert deployment.work_pool_name == POOL and deployment.work_queue_name == "default"
        assert "chanjiao" in deployment.tags and deployment.description
        assert deployment.parameters == {}, f"{name}: no fixed parameters (the nightly run has no year)"
        # Flow runs start in the project folder, recorded at deploy time (no environment variable needed).
        [step] = deployment.pull_steps
        assert step == {"prefect.deployments.steps.set_working_directory": {"directory": str(PROJECT)}}
        # One run at a time per deployment.
        assert deployment.global_concurrency_limit is not None and deployment.global_concurrency_limit.limit == 1
        assert deployment.concurrency_options is not None
        if cron is None:
            assert deployment.schedules == [], f"{name} runs on demand only"
            continue
        [schedule] = deployment.schedules
        assert schedule.active
        assert (schedule.schedule.cron, schedule.schedule.timezone) == (cron, timezone)
    assert read_deployment("annual-compliance/on-demand").concurrency_options.collision_strategy == "ENQUEUE"
    assert read_deployment("annual-compliance/nightly").concurrency_options.collision_strategy == "CANCEL_NEW"


# --- runs through a worker --------------------------------------------------------------------------------


def trigger(name: str, parameters: dict):
    """What `prefect deployment run NAME -p …` does: a flow run scheduled now, not waited for."""
    from prefect.deployments import run_deployment

    read_deployment(name)  # a clear ObjectNotFound when `prefect deploy` did not create it
    return run_deployment(name, parameters=parameters, timeout=0).id


def run_worker_once(server: PrefectServer, env: dict[str, str], log: Path):
    """`prefect worker start --pool chanjiao --run-once`: runs the pool's due flow runs, then exits."""
    started = time.monotonic()
    try:
        returncode = server.prefect(
            "worker", "start", "--pool", POOL, "--run-once", log=log, env=env, timeout=WORKER_TIMEOUT_S
        )
    except Exception as exc:
        raise AssertionError(f"worker did not finish: {exc}\n{tail(log)}") from exc
    assert returncode == 0, f"worker exited with {returncode}:\n{tail(log)}"
    return time.monotonic() - started


def final_state(flow_run_id, log: Path, timeout: float = 30):
    from prefect.client.orchestration import get_client

    deadline = time.monotonic() + timeout
    with get_client(sync_client=True) as client:
        while True:
            flow_run = client.read_flow_run(flow_run_id)
            if flow_run.state is not None and flow_run.state.is_final():
                return flow_run.state
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"flow run {flow_run_id} is {flow_run.state!r}, not finished; worker log:\n{tail(log)}"
                )
            time.sleep(0.5)


def data_env(server: PrefectServer, root: Path, inbox: Path) -> dict[str, str]:
    """The worker's environment: every chanjiao setting a `.env` in the project folder could also set."""
    return server.client_env(
        CHANJIAO_INBOX_DIR=str(inbox),
        CHANJIAO_REGISTRY_FILE=str(root / "registry.csv"),
        CHANJIAO_EXTENSIONS_FILE=str(root / "extensions.csv"),
        CHANJIAO_WAREHOUSE_DIR=str(root / "warehouse"),
        CHANJIAO_DATABASE_URL=f"sqlite:///{root / 'warehouse' / 'warehouse.db'}",
        CHANJIAO_FRAMEWORKS_DIR=str(PROJECT / "chanjiao" / "data" / "frameworks"),
    )


# --- outputs ----------------------------------------------------------------------------------------------


def snapshot(warehouse: Path) -> dict[str, tuple[str, int]]:
    """Every output file under the warehouse: relative path → (sha256, mtime_ns)."""
    return {
        path.relative_to(warehouse).as_posix(): (hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns)
        for path in sorted(warehouse.rglob("*"))
        if path.is_file()
        and not path.name.endswith(NOT_OUTPUTS)
        and path.relative_to(warehouse).parts[0] not in NOT_OUTPUT_FOLDERS
    }


def provinces_of(registry: Path) -> dict[str, str]:
    with open(registry, encoding="utf-8-sig", newline="") as handle:
        return {row["consortium_id"]: row["province_code"] for row in csv.DictReader(handle)}


def owner(path: str, province_of: dict[str, str]) -> str | None:
    """The province an output belongs to: reports/<year>/<province>/…, receipts/<year>/<consortium>-…;
    None for what all provinces share (reports/<year>/_rejected.csv)."""
    parts = path.split("/")
    if parts[0] == "reports" and len(parts) >= 4:
        return parts[2]
    if parts[0] == "receipts" and len(parts) == 3 and (match := RECEIPT.match(parts[2])):
        return province_of.get(match["id"])
    return None


def write_corrected_resubmission(inbox: Path, registry: Path) -> None:
    from chanjiao.intake.ingest import parse_submission
    from chanjiao.reference.catalogue import load_catalogue

    document = json.loads((inbox / ORIGINAL).read_text(encoding="utf-8"))
    fields = document["fields"]
    assert fields["consortium_id"] == CORRECTED_ID and fields["kind"] == "summary"
    assert fields["submitted_on"] < CORRECTED_ON
    fields["submitted_on"] = CORRECTED_ON
    fields["co_courses"] = str(int(fields["co_courses"]) + 8)
    document.setdefault("notes", {})["co_courses"] = "更正：补报下半年共建课程"
    content = json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")
    (inbox / CORRECTED).write_bytes(content)
    # The file is a valid new version (what the pipeline will accept), not a rejection.
    parsed = parse_submission(CORRECTED, content, load_catalogue(), set(provinces_of(registry)))
    assert (parsed.consortium_id, parsed.year, parsed.kind) == (CORRECTED_ID, 2025, "summary")


def read_csv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_rerun_of_one_province_changes_only_its_outputs(prefect_api, deployed, tmp_path):
    root = tmp_path
    inbox = root / "inbox"
    shutil.copytree(SAMPLE / "inbox", inbox)
    for name in ("registry.csv", "extensions.csv"):
        shutil.copy2(SAMPLE / name, root / name)
    warehouse = root / "warehouse"
    env = data_env(prefect_api, root, inbox)
    province_of = provinces_of(root / "registry.csv")

    # (a) a first full run of 2025
    first = trigger("annual-compliance/on-demand", {"year": 2025})
    seconds_full = run_worker_once(prefect_api, env, root / "worker-1.log")
    state = final_state(first, root / "worker-1.log")
    assert state.is_completed(), f"first run: {state!r}\n{tail(root / 'worker-1.log')}"
    before = snapshot(warehouse)
    assert any(owner(p, province_of) == "43" for p in before) and any(owner(p, province_of) == "14" for p in before)
    assert f"reports/2025/14/{CORRECTED_ID}.pdf" in before

    # (b) a corrected resubmission for a Shanxi consortium
    write_corrected_resubmission(inbox, root / "registry.csv")

    # (c) an operator re-runs province 14 of 2025
    second = trigger("annual-compliance/on-demand", {"year": 2025, "provinces": ["14"]})
    seconds_one = run_worker_once(prefect_api, env, root / "worker-2.log")
    state = final_state(second, root / "worker-2.log")
    assert state.is_completed() and state.name == "Completed", f"{state!r}\n{tail(root / 'worker-2.log')}"
    after = snapshot(warehouse)
    print(f"full run {seconds_full:.1f} s, province 14 re-run {seconds_one:.1f} s (worker start to exit)")

    # (d) nothing of Hunan (43), nor of any province but 14, changed: same bytes, same mtime, none added
    for path in sorted(set(before) | set(after)):
        if owner(path, province_of) not in (None, "14"):
            assert before.get(path) == after.get(path), f"{path} changed, but only province 14 was re-run"
    # what all provinces share may be written again, but says the same
    for path, (digest, _) in before.items():
        if owner(path, province_of) is None:
            assert path in after and after[path][0] == digest, f"{path} changed"
    # nothing is deleted (earlier versions of reports stay)
    assert not set(before) - set(after), f"deleted: {sorted(set(before) - set(after))}"

    new_receipts = {f"receipts/2025/{CORRECTED_ID}-summary-v2.html", f"receipts/2025/{CORRECTED_ID}-summary-v2.pdf"}
    assert new_receipts <= set(after) - set(before), "the new version's receipts were not written"
    changed = {p for p in after if before.get(p) != after[p]}
    unexpected = {
        p
        for p in changed
        if owner(p, province_of) is not None and not p.startswith("reports/2025/14/") and p not in new_receipts
    }
    assert not unexpected, f"outputs changed beyond province 14's reports and the new receipts: {sorted(unexpected)}"
    # and province 14's outputs did change: the new version is the one reported
    assert f"reports/2025/14/{CORRECTED_ID}.pdf" in changed
    assert "reports/2025/14/submissions.csv" in changed
    [row] = [
        r
        for r in read_csv(warehouse / "reports/2025/14/submissions.csv")
        if r["consortium_id"] == CORRECTED_ID and r["kind"] == "summary"
    ]
    assert row["version"] == "2" and row["source_file"].endswith(Path(CORRECTED).name), row


# --- failure notification ---------------------------------------------------------------------------------


def test_failed_run_notifies_the_webhook(prefect_api, deployed, webhook, tmp_path):
    from prefect.client.orchestration import get_client

    from chanjiao.operations.notifications import (
        BLOCK_TYPE_SLUG,
        DEFAULT_NAME,
        FAILURE_EVENTS,
        setup_failure_notification,
    )

    url, received = webhook
    # Idempotent: a second call updates (here: the URL) and keeps the ids; one automation of the name.
    first = setup_failure_notification(f"{url}/old-hook")
    block_id, automation_id = setup_failure_notification(f"{url}/hook?key=s3cret")
    assert (block_id, automation_id) == first
    with get_client(sync_client=True) as client:
        [automation] = client.read_automations_by_name(DEFAULT_NAME)
        block = client.read_block_document_by_name(DEFAULT_NAME, BLOCK_TYPE_SLUG)
    assert automation.id == automation_id and automation.enabled and block.id == block_id
    assert automation.trigger.expect == set(FAILURE_EVENTS)
    [action] = automation.actions
    assert action.type == "send-notification" and action.block_document_id == block_id

    # A run the flow rejects (its registry file does not exist), on an empty inbox and a warehouse of its own.
    (tmp_path / "inbox").mkdir()
    for name in ("registry.csv", "extensions.csv"):
        shutil.copy2(SAMPLE / name, tmp_path / name)
    missing = str(tmp_path / "no-such-registry.csv")
    failing = trigger("annual-compliance/on-demand", {"year": 2025, "registry_file": missing})
    run_worker_once(prefect_api, data_env(prefect_api, tmp_path, tmp_path / "inbox"), tmp_path / "worker.log")
    state = final_state(failing, tmp_path / "worker.log")
    assert state.is_failed(), f"{state!r}"

    started = time.monotonic()
    try:
        path, headers, body = received.get(timeout=WEBHOOK_TIMEOUT_S)
    except queue.Empty:
        raise AssertionError(
            f"no notification within {WEBHOOK_TIMEOUT_S} s; server log:\n{tail(prefect_api.log)}"
        ) from None
    print(f"notification {time.monotonic() - started:.1f} s after the worker exited")
    assert urlsplit(path).path == "/hook" and parse_qs(urlsplit(path).query) == {"key": ["s3cret"]}
    assert headers.get("Content-Type", "").startswith("application/json")
    message = json.loads(body.decode("utf-8"))
    assert message["source"] == "chanjiao" and message["notification"] == DEFAULT_NAME
    assert "运行失败" in message["subject"] and "Failed" in message["subject"]
    assert "annual-compliance/on-demand" in message["subject"]
    text = message["body"]
    assert "部署 Deployment: annual-compliance/on-demand" in text
    assert str(failing) in text and "状态 State: Failed" in text
    assert f'"registry_file": "{missing}"' in text and "no-such-registry.csv" in text.split("信息 Message:")[1]
    assert f"{prefect_api.url}/runs/flow-run/{failing}" in text
