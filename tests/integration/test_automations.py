"""The notifications against a real Prefect server: what Prefect 3.8.8 emits for a run that times out, crashes or
is skipped by its deployment's concurrency limit, and that the automations `setup_notifications` makes turn each
into a message; the proactive missed-night automation, evaluated by the server alone; a DingTalk robot with
加签, signed by the server when it sends.

A small project of its own (a temporary folder: flows named like the pipeline's, `annual-compliance` and
`after-deadline`, whose runs complete, sleep, fail, time out or kill their own process) is deployed on a
process pool and run with `prefect worker start --run-once`. Webhooks go to a local HTTP server.

The server loads the DingTalk block class through the `prefect.collections` entry point of chanjiao. Until
that entry point is installed (pyproject.toml, then `pip install -e .`), this module gives the server an
equivalent one: a distribution's metadata on its PYTHONPATH, holding the same entry point.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import threading
import time
from datetime import UTC, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from integration_support import PrefectServer, start_prefect_server, stop_prefect_server, tail

from chanjiao.operations.notifications import ENTRY_POINT, entry_point_installed

pytestmark = pytest.mark.integration

POOL = "chanjiao-test"
WORKER_TIMEOUT_S = 120
MESSAGE_TIMEOUT_S = 60
SECRET = "SEC0f1e2d3c4b5a69788796a5b4c3d2e1f00112233445566778899aabbccddeeff"
ACCESS_TOKEN = "a1b2c3d4e5f60718293a4b5c6d7e8f90"

FLOWS = '''\
"""Stand-ins for the pipeline's flows (same names), whose runs do what a test asks."""
import os
import signal
import time

from prefect import flow


@flow(name="annual-compliance", timeout_seconds=120)
def annual_compliance(mode: str = "ok", seconds: float = 0.0):
    time.sleep(seconds)
    return mode


@flow(name="after-deadline", timeout_seconds=3)
def after_deadline(mode: str = "ok"):
    if mode == "timeout":
        time.sleep(60)
    if mode == "crash":
        os.kill(os.getpid(), signal.SIGKILL)     # as the OOM killer would
    return mode
'''

# --- the server, with the entry point ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def prefect_server(tmp_path_factory) -> PrefectServer:
    """The conftest's server, started with the `prefect.collections` entry point of chanjiao visible to it."""
    site = tmp_path_factory.mktemp("entry-point")
    if not entry_point_installed():
        dist = site / "chanjiao_notification_blocks-0.0.0.dist-info"
        dist.mkdir()
        (dist / "METADATA").write_text(
            "Metadata-Version: 2.1\nName: chanjiao-notification-blocks\nVersion: 0.0.0\n", encoding="utf-8"
        )
        (dist / "entry_points.txt").write_text(f"[prefect.collections]\nchanjiao = {ENTRY_POINT}\n", encoding="utf-8")
    before = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(site), before) if p)
    started = time.monotonic()
    try:
        for attempt in range(3):
            try:
                server = start_prefect_server(tmp_path_factory.mktemp("prefect-home"))
                break
            except RuntimeError as exc:  # the free port was taken by another process before the server bound it
                if "address already in use" not in str(exc) or attempt == 2:
                    raise
    finally:
        if before is None:
            del os.environ["PYTHONPATH"]
        else:
            os.environ["PYTHONPATH"] = before
    print(f"prefect server started in {time.monotonic() - started:.1f} s")
    yield server
    stop_prefect_server(server)


# --- a local webhook ----------------------------------------------------------------------------------------


class Inbox:
    """What the local webhook received: dicts with path, query (decoded once), raw_query, headers, json, at."""

    def __init__(self) -> None:
        self.messages: list[dict] = []
        self._changed = threading.Condition()

    def add(self, message: dict) -> None:
        with self._changed:
            self.messages.append(message)
            self._changed.notify_all()

    def wait_for(self, predicate, timeout: float = MESSAGE_TIMEOUT_S, server: PrefectServer | None = None) -> dict:
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for message in self.messages:
                    if predicate(message):
                        return message
                left = deadline - time.monotonic()
                if left <= 0:
                    received = "\n".join(_text(m)[:200] for m in self.messages)
                    log = f"\nserver log:\n{tail(server.log, 40)}" if server else ""
                    raise AssertionError(f"no such message within {timeout} s; received:\n{received}{log}")
                self._changed.wait(left)

    def matching(self, predicate) -> list[dict]:
        with self._changed:
            return [m for m in self.messages if predicate(m)]


def _text(message: dict) -> str:
    """The whole text of a message, generic ({subject, body}) or robot ({text: {content}})."""
    data = message["json"] or {}
    if "text" in data:
        return data["text"]["content"]
    return f"{data.get('subject', '')}\n\n{data.get('body', '')}"


@pytest.fixture(scope="module")
def webhook():
    inbox = Inbox()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            parts = urlsplit(self.path)
            try:
                data = json.loads(body.decode("utf-8"))
            except ValueError:
                data = None
            inbox.add(
                {
                    "path": parts.path,
                    "raw_query": parts.query,
                    "query": parse_qs(parts.query),
                    "headers": dict(self.headers),
                    "json": data,
                    "at": time.time(),
                }
            )
            answer = b'{"errcode":0,"errmsg":"ok"}'  # what DingTalk answers; others ignore it
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", inbox
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


# --- the project, deployed ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def project(prefect_api: PrefectServer, tmp_path_factory) -> Path:
    """The work pool and the deployments (as `prefect deploy` would make them from a prefect.yaml, in-process:
    two Prefect CLI start-ups less): nightly with prefect.yaml's one-run-at-a-time CANCEL_NEW limit."""
    from prefect import flow
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
    from prefect.workers.process import ProcessWorker

    folder = tmp_path_factory.mktemp("project")
    (folder / "stand_in_flows.py").write_text(FLOWS, encoding="utf-8")
    started = time.monotonic()
    with get_client(sync_client=True) as client:
        client.create_work_pool(
            WorkPoolCreate(name=POOL, type="process", base_job_template=ProcessWorker.get_default_base_job_template())
        )
    once = ConcurrencyLimitConfig(limit=1, collision_strategy=ConcurrencyLimitStrategy.CANCEL_NEW)
    for entrypoint, name, limit in (("annual_compliance", "nightly", once), ("after_deadline", "after-deadline", None)):
        flow.from_source(str(folder), f"stand_in_flows.py:{entrypoint}").deploy(
            name,
            work_pool_name=POOL,
            concurrency_limit=limit,
            build=False,
            push=False,
            print_next_steps=False,
            ignore_warnings=True,
        )
    with get_client(sync_client=True) as client:
        nightly = client.read_deployment_by_name("annual-compliance/nightly")
    assert nightly.concurrency_options.collision_strategy == "CANCEL_NEW"
    assert nightly.global_concurrency_limit.limit == 1
    assert nightly.pull_steps == [{"prefect.deployments.steps.set_working_directory": {"directory": str(folder)}}]
    print(f"pool and deployments in {time.monotonic() - started:.1f} s")
    return folder


@pytest.fixture(scope="module")
def notifications(prefect_api, project, webhook):
    from chanjiao.operations.notifications import setup_notifications

    url, _ = webhook
    return setup_notifications(f"{url}/hook")


def trigger(name: str, parameters: dict, due_seconds_ago: float = 0):
    """What `prefect deployment run NAME -p …` does (or the scheduler, for a run due some time ago)."""
    from datetime import datetime

    from prefect.deployments import run_deployment

    due = datetime.now(UTC) - timedelta(seconds=due_seconds_ago) if due_seconds_ago else None
    return run_deployment(name, parameters=parameters, timeout=0, scheduled_time=due).id


def run_worker_once(server: PrefectServer, log: Path) -> float:
    started = time.monotonic()
    try:
        code = server.prefect("worker", "start", "--pool", POOL, "--run-once", log=log, timeout=WORKER_TIMEOUT_S)
    except Exception as exc:
        raise AssertionError(f"worker did not finish: {exc}\n{tail(log)}") from exc
    assert code == 0, f"worker exited with {code}:\n{tail(log)}"
    return time.monotonic() - started


def read_flow_run(flow_run_id):
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        return client.read_flow_run(flow_run_id)


def final_state(flow_run_id, log: Path, timeout: float = 30):
    deadline = time.monotonic() + timeout
    while True:
        state = read_flow_run(flow_run_id).state
        if state is not None and state.is_final():
            return state
        if time.monotonic() > deadline:
            raise AssertionError(f"flow run {flow_run_id} is {state!r}, not finished; worker log:\n{tail(log)}")
        time.sleep(0.5)


def flow_run_events(server: PrefectServer, flow_run_id) -> list[dict]:
    """The events the server recorded for a flow run (oldest first)."""
    import httpx

    response = httpx.post(
        f"{server.api_url}/events/filter",
        json={"filter": {"resource": {"id": [f"prefect.flow-run.{flow_run_id}"]}, "order": "ASC"}, "limit": 50},
    )
    response.raise_for_status()
    return response.json()["events"]


def wait_for_event(server: PrefectServer, flow_run_id, name: str, timeout: float = 20) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        events = flow_run_events(server, flow_run_id)
        for event in events:
            if event["event"] == name:
                return event
        if time.monotonic() > deadline:
            raise AssertionError(f"no {name} event for {flow_run_id}: {[e['event'] for e in events]}")
        time.sleep(0.5)


# --- failed, timed out, crashed, skipped --------------------------------------------------------------------


@pytest.fixture(scope="module")
def unattended_runs(prefect_api, project, notifications, tmp_path_factory):
    """One worker pass over: a run that times out, one that kills its own process, and two nightly runs at
    once (the deployment's limit of one cancels whichever comes second)."""
    log = tmp_path_factory.mktemp("worker") / "worker.log"
    runs = {
        "timeout": trigger("after-deadline/after-deadline", {"mode": "timeout"}),
        "crash": trigger("after-deadline/after-deadline", {"mode": "crash"}),
        "nightly-1": trigger("annual-compliance/nightly", {"mode": "sleep", "seconds": 4}),
        "nightly-2": trigger("annual-compliance/nightly", {"mode": "sleep", "seconds": 4}),
    }
    seconds = run_worker_once(prefect_api, log)
    print(f"worker pass over 4 runs: {seconds:.1f} s")
    states = {key: final_state(run_id, log) for key, run_id in runs.items()}
    return {"ids": runs, "states": states, "log": log}


def test_timed_out_run_is_failed_named_timedout_and_notifies(prefect_api, webhook, unattended_runs):
    _, inbox = webhook
    run_id, state = unattended_runs["ids"]["timeout"], unattended_runs["states"]["timeout"]
    assert state.type.value == "FAILED" and state.name == "TimedOut", f"{state!r}\n{tail(unattended_runs['log'])}"
    assert "exceeded timeout of 3" in state.message
    event = wait_for_event(prefect_api, run_id, "prefect.flow-run.TimedOut")
    assert event["resource"]["prefect.state-type"] == "FAILED"

    started = time.monotonic()
    message = inbox.wait_for(lambda m: str(run_id) in _text(m), server=prefect_api)
    print(f"TimedOut notification after {time.monotonic() - started:.1f} s of waiting")
    assert message["path"] == "/hook"
    assert "运行失败" in message["json"]["subject"] and "TimedOut" in message["json"]["subject"]
    assert "after-deadline/after-deadline" in message["json"]["subject"]
    assert "状态 State: TimedOut" in message["json"]["body"]
    assert "exceeded timeout of 3" in message["json"]["body"]


def test_crashed_run_notifies(prefect_api, webhook, unattended_runs):
    _, inbox = webhook
    run_id, state = unattended_runs["ids"]["crash"], unattended_runs["states"]["crash"]
    assert state.type.value == "CRASHED" and state.name == "Crashed", f"{state!r}\n{tail(unattended_runs['log'])}"
    wait_for_event(prefect_api, run_id, "prefect.flow-run.Crashed")

    message = inbox.wait_for(lambda m: str(run_id) in _text(m), server=prefect_api)
    assert "运行失败" in message["json"]["subject"] and "Crashed" in message["json"]["subject"]
    assert "状态 State: Crashed" in message["json"]["body"]
    print("crash message:", message["json"]["body"].split("信息 Message:")[1].splitlines()[0])


def test_run_cancelled_by_the_concurrency_limit_notifies_as_skipped(prefect_api, webhook, unattended_runs):
    _, inbox = webhook
    states = unattended_runs["states"]
    pair = {key: states[key] for key in ("nightly-1", "nightly-2")}
    assert sorted(s.type.value for s in pair.values()) == ["CANCELLED", "COMPLETED"], (
        f"{pair!r}\n{tail(unattended_runs['log'])}"
    )
    [skipped] = [key for key, s in pair.items() if s.is_cancelled()]
    [ran] = [key for key, s in pair.items() if s.is_completed()]
    skipped_id, ran_id = unattended_runs["ids"][skipped], unattended_runs["ids"][ran]
    # What Prefect 3.8.8 gives such a run (SecureFlowConcurrencySlots, CANCEL_NEW): state and event.
    assert pair[skipped].name == "Cancelled"
    assert pair[skipped].message == "Deployment concurrency limit reached."
    event = wait_for_event(prefect_api, skipped_id, "prefect.flow-run.Cancelled")
    assert event["resource"]["prefect.state-message"] == "Deployment concurrency limit reached."

    message = inbox.wait_for(lambda m: str(skipped_id) in _text(m), server=prefect_api)
    subject, body = message["json"]["subject"], message["json"]["body"]
    assert "运行已跳过" in subject and "上一次运行仍在进行" in subject and "previous run was still going" in subject
    assert "annual-compliance/nightly" in subject
    assert "部署 Deployment: annual-compliance/nightly" in body
    assert "Deployment concurrency limit reached." in body
    assert f"{prefect_api.url}/runs/flow-run/{skipped_id}" in body
    # The run that ran and completed, and the failure automation, sent nothing about these two runs.
    assert len(inbox.matching(lambda m: str(skipped_id) in _text(m))) == 1
    assert not inbox.matching(lambda m: str(ran_id) in _text(m))


def test_an_operators_cancellation_notifies_nobody(prefect_api, webhook, notifications):
    """The skipped-run trigger matches the concurrency limit's message only."""
    from prefect.client.orchestration import get_client
    from prefect.states import Cancelled

    _, inbox = webhook
    run_id = trigger("annual-compliance/nightly", {"mode": "ok"})
    with get_client(sync_client=True) as client:
        client.set_flow_run_state(run_id, Cancelled(message="cancelled by an operator"), force=True)
    wait_for_event(prefect_api, run_id, "prefect.flow-run.Cancelled")
    time.sleep(6)  # the skipped message came within ~1 s above
    assert not inbox.matching(lambda m: str(run_id) in _text(m))


# --- the missed night (proactive) ---------------------------------------------------------------------------


def test_no_completed_nightly_run_in_the_window_notifies(
    prefect_api, project, webhook, notifications, unattended_runs, tmp_path
):
    """With the window compressed to 30 s:

    1. the worker is "dead": a nightly run is due, goes Late and nothing completes → the server sends the
       missed message, naming the deployment, that run and its state (Late), a window after the automation
       was set up;
    2. the worker comes back and runs it (12 s): Completed restarts the window — no message at the time the
       window that its Pending event opened would have ended, and the next message only a window after the
       completion (last run: Completed).
    """
    from chanjiao.operations.notifications import setup_notifications

    url, inbox = webhook
    window = 30
    setup = setup_notifications(f"{url}/hook", missed_within=timedelta(seconds=window))
    assert setup.automation_ids == notifications.automation_ids and setup.block_id == notifications.block_id
    missed = lambda m: "no completed run of annual-compliance/nightly in 30 seconds" in _text(m)  # noqa: E731
    t0 = time.time()

    # 1. a run due a minute ago that nobody runs (the server's late-runs service marks it Late within seconds)
    run_id = trigger("annual-compliance/nightly", {"mode": "sleep", "seconds": 12}, due_seconds_ago=60)
    first = inbox.wait_for(lambda m: missed(m) and m["at"] > t0, timeout=window + 40, server=prefect_api)
    print(f"missed message 1 at +{first['at'] - t0:.1f} s (window {window} s)")
    assert first["at"] - t0 >= window - 6  # not before the window (bucket from the setup on)
    assert read_flow_run(run_id).state.name == "Late"
    text = _text(first)
    assert "夜间运行未完成" in first["json"]["subject"] and "last run: Late" in first["json"]["subject"]
    assert "部署 Deployment: annual-compliance/nightly" in text
    assert f"最近一次运行 Last run: {read_flow_run(run_id).name} ({run_id})" in text
    assert "最近一次运行的状态 Last run's state: Late" in text
    assert "Last event: prefect.flow-run.Late" in text

    # 2. the worker runs it; it completes
    log = tmp_path / "worker.log"
    run_worker_once(prefect_api, log)
    state = final_state(run_id, log)
    assert state.is_completed(), f"{state!r}\n{tail(log)}"
    pending = wait_for_event(prefect_api, run_id, "prefect.flow-run.Pending")
    completed = wait_for_event(prefect_api, run_id, "prefect.flow-run.Completed")
    from datetime import datetime

    pending_at = datetime.fromisoformat(pending["occurred"]).timestamp()
    completed_at = datetime.fromisoformat(completed["occurred"]).timestamp()
    assert completed_at - pending_at >= 10, "the run must take long enough to tell the two windows apart"
    # Without the restart, the window opened by Pending would fire by pending_at + window + 5 s (the server's
    # proactive evaluation runs every 5 s); with it, nothing comes before completed_at + window.
    quiet_until = max(pending_at + window + 8, completed_at + window - 3)
    assert quiet_until < completed_at + window
    time.sleep(max(0.0, quiet_until - time.time()))
    early = inbox.matching(lambda m: missed(m) and m["at"] > first["at"])
    assert not early, f"missed message within the window of a completed run: {_text(early[0])}"

    second = inbox.wait_for(lambda m: missed(m) and m["at"] > first["at"], timeout=40, server=prefect_api)
    print(f"missed message 2 at +{second['at'] - completed_at:.1f} s after the run completed")
    assert second["at"] >= completed_at + window - 1
    assert "last run: Completed" in second["json"]["subject"]
    assert "最近一次运行的状态 Last run's state: Completed" in _text(second)

    # back to the production window
    setup_notifications(f"{url}/hook")


# --- DingTalk with 加签 --------------------------------------------------------------------------------------


def test_signed_dingtalk_robot_is_signed_by_the_server_when_it_sends(prefect_api, project, webhook, notifications):
    from prefect.client.orchestration import get_client

    from chanjiao.operations.notifications import BLOCK_TYPE_SLUG, DINGTALK_BLOCK_TYPE_SLUG, setup_notifications

    url, inbox = webhook
    robot = f"{url}/robot/send?access_token={ACCESS_TOKEN}"
    setup = setup_notifications(robot, payload="dingtalk", secret=SECRET)
    again = setup_notifications(robot, payload="dingtalk", secret=SECRET)
    assert again == setup and setup.block_type_slug == DINGTALK_BLOCK_TYPE_SLUG
    assert setup.automation_ids == notifications.automation_ids  # the automations were updated in place
    with get_client(sync_client=True) as client:
        block = client.read_block_document(setup.block_id, include_secrets=False)
        automations = [client.read_automation(i) for i in setup.automation_ids.values()]
        from prefect.exceptions import ObjectNotFound

        with pytest.raises(ObjectNotFound):  # the Custom Webhook block of that name is gone
            client.read_block_document_by_name("chanjiao-run-failed", BLOCK_TYPE_SLUG)
    assert all(a.actions[0].block_document_id == setup.block_id for a in automations)
    stored = block.model_dump_json() + "".join(a.model_dump_json() for a in automations)
    assert SECRET not in stored and ACCESS_TOKEN not in stored

    # A run of after-deadline marked Failed through the API (what the engine does when the flow raises; the
    # tests above prove the whole way from a worker): the server's automation sends the message.
    from prefect.states import Failed

    sent_after_ms = time.time() * 1000
    run_id = trigger("after-deadline/after-deadline", {})
    with get_client(sync_client=True) as client:
        client.set_flow_run_state(run_id, Failed(message="没有省份 99 no province 99"), force=True)
    assert read_flow_run(run_id).state.is_failed()

    message = inbox.wait_for(lambda m: m["path"] == "/robot/send" and str(run_id) in _text(m), server=prefect_api)
    received_ms = message["at"] * 1000
    assert message["query"]["access_token"] == [ACCESS_TOKEN]
    [timestamp], [sign] = message["query"]["timestamp"], message["query"]["sign"]
    # computed when the server sent it: after the run was triggered, and within seconds of receipt
    assert sent_after_ms <= int(timestamp) <= received_ms + 1000
    expected = base64.b64encode(
        hmac.new(SECRET.encode(), f"{timestamp}\n{SECRET}".encode(), hashlib.sha256).digest()
    ).decode()
    assert sign == expected  # the query decoded once is the signature
    assert "%25" not in message["raw_query"]  # not encoded twice
    content = message["json"]["text"]["content"]
    assert message["json"]["msgtype"] == "text"
    assert content.startswith("【产教联合体报送】运行失败") and "after-deadline/after-deadline" in content
    assert SECRET not in prefect_api.log.read_text(encoding="utf-8", errors="replace")
