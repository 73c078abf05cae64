"""The notifications' pure parts, without a Prefect server: names and windows, the triggers (judged by Prefect's
own server-side matching), the templates (rendered by Prefect's own sandboxed template environment), DingTalk
signing, the signed DingTalk block against a local HTTP server, and the `notify` command's options."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import threading
import time
import tomllib
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from uuid import uuid4

import pytest

from chanjiao.operations import notifications as n

ROOT = Path(__file__).resolve().parents[2]
SECRET = "SECb1f4e8a0c3d2f5e6a7b8c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4"
TOKEN = "0123456789abcdef0123456789abcdef"


def test_automation_names_follow_the_block_name():
    assert n.automation_names() == {
        "failed": "chanjiao-run-failed",
        "skipped": "chanjiao-run-skipped",
        "missed": "chanjiao-nightly-missed",
    }
    assert n.automation_names("ops-alerts") == {
        "failed": "ops-alerts",
        "skipped": "ops-alerts-skipped",
        "missed": "ops-alerts-nightly-missed",
    }


@pytest.mark.parametrize(
    "window, zh, en",
    [
        (timedelta(hours=26), "26 小时", "26 hours"),
        (timedelta(hours=1), "1 小时", "1 hour"),
        (timedelta(minutes=90), "90 分钟", "90 minutes"),
        (timedelta(seconds=30), "30 秒", "30 seconds"),
        (timedelta(seconds=75), "75 秒", "75 seconds"),
    ],
)
def test_window_text(window, zh, en):
    assert n._window_text(window) == (zh, en)


def test_missed_templates_name_the_deployment_and_window():
    subject, body = n.missed_templates("annual-compliance", "nightly", timedelta(hours=26))
    assert "annual-compliance/nightly" in subject and "26 hours" in subject
    assert "部署 Deployment: annual-compliance/nightly" in body and "26 小时" in body
    assert "@" not in subject + body.replace("@ ", "")  # every placeholder filled in


# --- triggers, judged by the server's own code --------------------------------------------------------------


def _server_trigger(trigger):
    from prefect.server.events.schemas.automations import EventTrigger

    return EventTrigger.model_validate(trigger.model_dump(mode="json"))


def _event(name: str, *, flow="annual-compliance", deployment="nightly", message: str | None = None):
    from prefect.server.events.schemas.events import ReceivedEvent

    run_id = uuid4()
    return ReceivedEvent(
        occurred=datetime.now(UTC),
        event=name,
        id=uuid4(),
        resource={
            "prefect.resource.id": f"prefect.flow-run.{run_id}",
            "prefect.resource.name": "crafty-kudu",
            "prefect.state-name": name.rsplit(".", 1)[1],
            "prefect.state-message": message or "",
        },
        related=[
            {
                "prefect.resource.id": f"prefect.flow.{uuid4()}",
                "prefect.resource.role": "flow",
                "prefect.resource.name": flow,
            },
            {
                "prefect.resource.id": f"prefect.deployment.{uuid4()}",
                "prefect.resource.role": "deployment",
                "prefect.resource.name": deployment,
            },
        ],
    )


def test_failure_trigger_covers_failed_crashed_timedout_of_the_deployments_only():
    trigger = _server_trigger(n.failure_trigger())
    for name in n.FAILURE_EVENTS:
        assert trigger.covers(_event(name)) and trigger.covers(
            _event(name, flow="after-deadline", deployment="after-deadline")
        )
    assert not trigger.covers(_event("prefect.flow-run.Completed"))
    assert not trigger.covers(_event("prefect.flow-run.Failed", deployment="someone-elses"))
    assert trigger.posture == "Reactive" and trigger.immediate


def test_skipped_trigger_covers_only_the_concurrency_limits_cancellation():
    trigger = _server_trigger(n.skipped_trigger())
    assert trigger.covers(_event("prefect.flow-run.Cancelled", message="Deployment concurrency limit reached."))
    assert trigger.covers(
        _event(
            "prefect.flow-run.Cancelled",
            deployment="after-deadline",
            flow="after-deadline",
            message="Deployment concurrency limit reached.",
        )
    )
    assert trigger.covers(_event("prefect.flow-run.Cancelled", message=n.SLOT_LOST_MESSAGE))
    assert not trigger.covers(_event("prefect.flow-run.Cancelled", message="cancelled by an operator"))
    assert not trigger.covers(_event("prefect.flow-run.Cancelled"))
    assert not trigger.covers(_event("prefect.flow-run.Failed", message="Deployment concurrency limit reached."))


def test_the_concurrency_messages_are_the_ones_prefect_writes():
    """core_policy's concurrency rules write these messages; if a Prefect upgrade changes them, this fails."""
    import prefect

    source = (Path(prefect.__file__).parent / "server" / "orchestration" / "core_policy.py").read_text("utf-8")
    import re

    pattern = r"states\.Cancelled\(\s*message=" + re.escape(f'"{n.CONCURRENCY_CANCEL_MESSAGE}"') + r"\s*\)"
    assert len(re.findall(pattern, source)) == 2  # at Pending (worker) and at Late (no worker)
    head, tail = n.SLOT_LOST_MESSAGE.split(" - ")  # written as two adjacent literals
    assert f'"{head} - "' in source and f'"{tail}"' in source


def test_missed_trigger_is_proactive_over_the_nightly_deployments_run_events():
    trigger = _server_trigger(n.missed_trigger(within=timedelta(hours=26)))
    assert trigger.posture == "Proactive" and trigger.within == timedelta(hours=26) and trigger.threshold == 1
    assert trigger.for_each == set()  # one window for the deployment
    assert trigger.expects("prefect.flow-run.Completed") and not trigger.expects("prefect.flow-run.Failed")
    for state in ("Late", "Pending", "Running", "Completed", "Failed", "Crashed", "TimedOut", "Cancelled"):
        assert trigger.starts_after(f"prefect.flow-run.{state}")
        assert trigger.covers(_event(f"prefect.flow-run.{state}"))
    assert not trigger.starts_after("prefect.flow-run.Scheduled")  # made days ahead by the scheduler
    assert not trigger.covers(_event("prefect.flow-run.Completed", deployment="on-demand"))
    assert not trigger.covers(_event("prefect.flow-run.Completed", flow="after-deadline", deployment="nightly"))
    # Completed is both `after` and `expect`: the server's heartbeat case, which restarts the window
    assert trigger.starts_after(n.COMPLETED_EVENT) and trigger.expects(n.COMPLETED_EVENT)


def test_missed_trigger_refuses_a_window_below_prefects_minimum():
    with pytest.raises(ValueError, match="10"):
        n.missed_trigger(within=timedelta(seconds=5))


def test_automations_share_the_block_and_validate_as_the_server_reads_them():
    from prefect.server.events.schemas.automations import AutomationCore as ServerAutomationCore

    block_id = uuid4()
    automations = n.notification_automations(block_id, missed_within=timedelta(seconds=30))
    assert list(automations) == ["failed", "skipped", "missed"]
    for kind, automation in automations.items():
        assert automation.name == n.automation_names()[kind] and automation.enabled
        [action] = automation.actions
        assert action.type == "send-notification" and action.block_document_id == block_id
        server_side = ServerAutomationCore.model_validate(automation.model_dump(mode="json"))
        assert server_side.actions[0].subject == action.subject  # templates the server accepts
    assert automations["missed"].trigger.within == timedelta(seconds=30)
    assert "30 seconds" in automations["missed"].actions[0].subject


# --- templates, rendered as the server renders them ---------------------------------------------------------


@pytest.fixture
def render():
    from prefect.server.events.jinja_filters import all_filters
    from prefect.server.utilities.user_templates import register_user_template_filters, render_user_template_sync
    from prefect.settings import PREFECT_UI_URL, temporary_settings

    register_user_template_filters(all_filters)
    with temporary_settings({PREFECT_UI_URL: "http://prefect.example"}):
        yield render_user_template_sync


def _flow_run(state_type: str, state_name: str, message: str | None = None):
    from prefect.server.schemas.core import FlowRun
    from prefect.server.schemas.states import State, StateType

    return FlowRun(
        id=uuid4(),
        name="crafty-kudu",
        flow_id=uuid4(),
        parameters={"provinces": ["99"]},
        state=State(type=StateType(state_type), name=state_name, message=message),
    )


class _Named:
    def __init__(self, name: str):
        self.name = name


class _Firing:
    triggered = datetime(2025, 12, 20, 18, 30, tzinfo=UTC)


def test_failure_templates_render(render):
    run = _flow_run("FAILED", "TimedOut", "Flow run exceeded timeout of 3.0 second(s)")
    context = {
        "flow_run": run,
        "flow": _Named("after-deadline"),
        "deployment": _Named("after-deadline"),
        "event": _event("prefect.flow-run.TimedOut"),
    }
    subject, body = render(n.SUBJECT, context), render(n.BODY, context)
    assert subject.startswith("【产教联合体报送】运行失败") and "TimedOut" in subject
    assert body.index("市域产教联合体") < body.index("A chanjiao pipeline run")  # Chinese first
    assert "状态 State: TimedOut" in body and "exceeded timeout" in body
    assert f"http://prefect.example/runs/flow-run/{run.id}" in body and '"provinces": ["99"]' in body


def test_skipped_templates_render(render):
    run = _flow_run("CANCELLED", "Cancelled", n.CONCURRENCY_CANCEL_MESSAGE)
    event = _event("prefect.flow-run.Cancelled", message=n.CONCURRENCY_CANCEL_MESSAGE)
    context = {"flow_run": run, "flow": _Named("annual-compliance"), "deployment": _Named("nightly"), "event": event}
    subject, body = render(n.SKIPPED_SUBJECT, context), render(n.SKIPPED_BODY, context)
    assert "运行已跳过" in subject and "上一次运行仍在进行" in subject and "annual-compliance/nightly" in subject
    assert body.startswith("本次运行已跳过（未执行）：该部署的上一次运行仍在进行")
    assert "previous run of the deployment was still going" in body
    assert "状态 State: Cancelled — Deployment concurrency limit reached." in body


def test_missed_templates_render_the_last_run(render):
    subject, body = n.missed_templates(window=timedelta(hours=26))
    run = _flow_run("SCHEDULED", "Late")
    context = {"flow_run": run, "event": _event("prefect.flow-run.Late"), "firing": _Firing()}
    text = render(body, context)
    assert render(subject, context).endswith("最近一次运行 last run: Late")
    assert text.startswith("部署 annual-compliance/nightly 已有 26 小时没有一次运行成功完成")
    assert f"最近一次运行 Last run: crafty-kudu ({run.id})" in text
    assert "最近一次运行的状态 Last run's state: Late" in text and "Last event: prefect.flow-run.Late" in text
    assert "none in this window" not in text


def test_missed_templates_render_without_any_run(render):
    """The window ended with no event at all: no flow run in the context (Prefect's ChainableUndefined)."""
    subject, body = n.missed_templates(window=timedelta(hours=26))
    context = {"event": None, "firing": _Firing()}
    assert render(subject, context).endswith("last run: 无 none")
    text = render(body, context)
    assert "none in this window" in text and "Last run's state" not in text
    assert "时间 Time (UTC): 2025-12-20 18:30:00+00:00" in text


# --- DingTalk signing ------------------------------------------------------------------------------------


def _expected_sign(secret: str, timestamp: str) -> str:
    return base64.b64encode(
        hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    ).decode()


def test_dingtalk_sign_is_dingtalks_algorithm():
    assert n.dingtalk_sign("SECabc", 1700000000000) == _expected_sign("SECabc", "1700000000000")
    # a fixed point, computed once with DingTalk's published Python sample (hmac, base64, quote_plus →
    # "jcUpW0QmtKduN03n4JqQ0PBosVjqnM8gU7fIIvsDmCM%3D" in the URL)
    assert n.dingtalk_sign("SECabc", 1700000000000) == "jcUpW0QmtKduN03n4JqQ0PBosVjqnM8gU7fIIvsDmCM="
    url = n.dingtalk_signed_url("https://oapi.dingtalk.com/robot/send?access_token=x", "SECabc", 1700000000000)
    assert url.endswith("&timestamp=1700000000000&sign=jcUpW0QmtKduN03n4JqQ0PBosVjqnM8gU7fIIvsDmCM%3D")


def test_dingtalk_signed_url_encodes_the_sign_once_and_keeps_the_token():
    url = n.dingtalk_signed_url(
        f"https://oapi.dingtalk.com/robot/send?access_token={TOKEN}", SECRET, timestamp_ms=1700000000123
    )
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "oapi.dingtalk.com", "/robot/send")
    query = parse_qs(parts.query)
    assert query == {
        "access_token": [TOKEN],
        "timestamp": ["1700000000123"],
        "sign": [_expected_sign(SECRET, "1700000000123")],
    }
    assert "%25" not in parts.query and "+" not in parts.query and "/" not in parts.query
    # a stale timestamp and sign (a URL copied from a signed request) are replaced, not repeated
    again = parse_qs(urlsplit(n.dingtalk_signed_url(url, SECRET, timestamp_ms=1700000009999)).query)
    assert again["timestamp"] == ["1700000009999"] and again["sign"] == [_expected_sign(SECRET, "1700000009999")]


def test_dingtalk_signed_url_uses_the_current_time():
    before = round(time.time() * 1000)
    query = parse_qs(
        urlsplit(n.dingtalk_signed_url("https://oapi.dingtalk.com/robot/send?access_token=x", SECRET)).query
    )
    assert before <= int(query["timestamp"][0]) <= round(time.time() * 1000)


# --- the DingTalk block, against a local stand-in for DingTalk ----------------------------------------------


@pytest.fixture
def dingtalk():
    """127.0.0.1 answering like DingTalk: errcode 0 when the sign verifies and the timestamp is within an hour,
    310000 otherwise."""
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            query = parse_qs(urlsplit(self.path).query)
            timestamp, sign = query.get("timestamp", [""])[0], query.get("sign", [""])[0]
            fresh = timestamp.isdigit() and abs(int(timestamp) - time.time() * 1000) < 3600 * 1000
            ok = fresh and hmac.compare_digest(sign, _expected_sign(SECRET, timestamp))
            received.append({"path": self.path, "query": query, "json": json.loads(body), "ok": ok})
            answer = {"errcode": 0, "errmsg": "ok"} if ok else {"errcode": 310000, "errmsg": "sign not match"}
            data = json.dumps(answer).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/robot/send?access_token={TOKEN}", received
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def test_dingtalk_block_keeps_url_and_secret_secret():
    block = n.webhook_block(
        f"https://oapi.dingtalk.com/robot/send?access_token={TOKEN}", payload="dingtalk", secret=SECRET
    )
    assert type(block).__name__ == "DingTalkRobotBlock" and block.get_block_type_slug() == "chanjiao-dingtalk-robot"
    dumped = block.model_dump_json() + repr(block) + str(block.model_dump())
    assert SECRET not in dumped and TOKEN not in dumped
    assert "notify" in block.get_block_capabilities()
    assert block.secret.get_secret_value() == SECRET


def test_dingtalk_block_sends_a_signed_text_message(dingtalk):
    import asyncio

    url, received = dingtalk
    block = n.webhook_block(url, payload="dingtalk", secret=SECRET)
    with block.raise_on_failure():
        asyncio.run(block.notify("正文 body", subject="【产教联合体报送】标题"))
    [request] = received
    assert request["ok"], request
    assert request["query"]["access_token"] == [TOKEN]
    assert request["json"] == {"msgtype": "text", "text": {"content": "【产教联合体报送】标题\n\n正文 body"}}


def test_dingtalk_block_reports_a_refusal_without_its_secrets(dingtalk, caplog):
    import asyncio

    from prefect.blocks.abstract import NotificationError

    url, received = dingtalk
    block = n.webhook_block(url, payload="dingtalk", secret="SECnot0the0right0one")
    with block.raise_on_failure(), pytest.raises(NotificationError) as failure:
        asyncio.run(block.notify("正文"))
    assert "310000" in failure.value.log and "sign not match" in failure.value.log
    assert TOKEN not in failure.value.log and "SECnot0the0right0one" not in failure.value.log
    # outside raise_on_failure (a flow calling notify), a refusal is logged, not raised
    with caplog.at_level(logging.WARNING):
        asyncio.run(block.notify("正文"))
    assert "310000" in caplog.text and TOKEN not in caplog.text
    assert len(received) == 2 and not any(r["ok"] for r in received)


def test_dingtalk_block_reports_an_unreachable_robot():
    import asyncio
    import socket

    from prefect.blocks.abstract import NotificationError

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    block = n.webhook_block(
        f"http://127.0.0.1:{port}/robot/send?access_token={TOKEN}", payload="dingtalk", secret=SECRET, timeout=2
    )
    with block.raise_on_failure(), pytest.raises(NotificationError) as failure:
        asyncio.run(block.notify("正文"))
    assert "ConnectError" in failure.value.log and TOKEN not in failure.value.log


def test_webhook_block_choices():
    from prefect.blocks.notifications import CustomWebhookNotificationBlock

    assert isinstance(
        n.webhook_block("https://oapi.dingtalk.com/robot/send?access_token=x", payload="dingtalk"),
        CustomWebhookNotificationBlock,
    )  # no 加签: the plain robot message
    with pytest.raises(ValueError, match="DingTalk"):
        n.webhook_block("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=x", payload="wecom", secret=SECRET)
    with pytest.raises(ValueError, match="empty"):
        n.webhook_block("https://oapi.dingtalk.com/robot/send?access_token=x", payload="dingtalk", secret=" ")
    with pytest.raises(ValueError, match="http"):
        n.webhook_block("oapi.dingtalk.com/robot/send", payload="dingtalk", secret=SECRET)


def test_the_block_class_is_what_the_entry_point_loads():
    """The entry point `chanjiao.operations.notifications:DingTalkRobotBlock` (group prefect.collections) registers the
    block type, so a process that loads the collections — the Prefect server — finds it by its slug."""
    from importlib.metadata import EntryPoint

    from prefect.blocks.core import Block

    loaded = EntryPoint(
        name="chanjiao", value="chanjiao.operations.notifications:DingTalkRobotBlock", group="prefect.collections"
    ).load()
    assert loaded is n.DingTalkRobotBlock
    assert Block.get_block_class_from_key("chanjiao-dingtalk-robot") is loaded


def test_pyproject_declares_the_entry_point():
    """Fails until pyproject.toml has the entry point (and `pip install -e .` installed it): without it the
    server cannot load the signed DingTalk block and such notifications fail."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert (
        project.get("entry-points", {}).get("prefect.collections", {}).get("chanjiao")
        == "chanjiao.operations.notifications:DingTalkRobotBlock"
    )


def test_importing_the_module_does_not_import_prefect():
    import subprocess
    import sys

    code = "import sys, chanjiao.operations.notifications; print('prefect' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


# --- the notify command ------------------------------------------------------------------------------------


@pytest.fixture
def captured_setup(monkeypatch):
    from prefect.settings import PREFECT_API_URL, temporary_settings

    calls = []

    def fake_setup(webhook_url, **options):
        calls.append((webhook_url, options))
        ids = {kind: uuid4() for kind in n.AUTOMATION_KINDS}
        return n.NotificationSetup(
            block_id=uuid4(),
            block_type_slug="x",
            automation_ids=ids,
            automation_names=n.automation_names(options["name"]),
        )

    monkeypatch.setattr(n, "setup_notifications", fake_setup)
    monkeypatch.setattr("chanjiao.operations.cli.check_prefect_api", lambda url, timeout=None: None)  # no server here
    with temporary_settings({PREFECT_API_URL: "http://127.0.0.1:9/api"}):
        yield calls


def test_notify_command_passes_secret_and_window(captured_setup, capsys, monkeypatch):
    import io

    from chanjiao.operations.cli import main

    url = f"https://oapi.dingtalk.com/robot/send?access_token={TOKEN}"
    assert main(["notify", "--webhook-url", url, "--format", "dingtalk", "--secret", SECRET]) == 0
    [(called_url, options)] = captured_setup
    assert called_url == url and options["secret"] == SECRET and options["payload"] == "dingtalk"
    assert options["missed_within"] == timedelta(hours=26) and options["name"] == "chanjiao-run-failed"
    out = capsys.readouterr().out
    assert "chanjiao-run-skipped" in out and "chanjiao-nightly-missed" in out and SECRET not in out

    monkeypatch.setattr("sys.stdin", io.StringIO(SECRET + "\n"))
    assert (
        main(["notify", "--webhook-url", url, "--format", "dingtalk", "--secret", "-", "--nightly-window", "0.01"]) == 0
    )
    assert captured_setup[1][1]["secret"] == SECRET
    assert captured_setup[1][1]["missed_within"] == timedelta(hours=0.01)


def test_notify_command_refuses_a_secret_without_dingtalk(captured_setup, capsys):
    from chanjiao.operations.cli import main

    assert main(["notify", "--webhook-url", "https://example.org/hook", "--secret", SECRET]) == 2
    assert "--format dingtalk" in capsys.readouterr().err
    assert main(["notify", "--webhook-url", "https://example.org/hook", "--nightly-window", "0"]) == 2
    assert not captured_setup
