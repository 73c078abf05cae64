"""When an unattended run fails, is skipped, or the nightly run stops happening, someone hears of it.

Three Prefect automations on the server send a message (Chinese first, then English) through one notification
block:

* ``chanjiao-run-failed`` — a flow run of a chanjiao deployment Failed, Crashed (its process died: killed, out of
  memory, the worker stopped) or TimedOut (a flow ``timeout_seconds``; its state type is FAILED). Deployment,
  flow run, state and its message, parameters, a link.
* ``chanjiao-run-skipped`` — a run was Cancelled by the deployment's concurrency limit
  (``concurrency_limit: {limit: 1, collision_strategy: CANCEL_NEW}`` in prefect.yaml): the previous run was
  still going, so this one was skipped. Prefect gives such a run the state Cancelled with the message
  "Deployment concurrency limit reached." (``SecureFlowConcurrencySlots`` when a worker submits it,
  ``EnforceDeploymentConcurrencyOnLate`` when it would be marked Late); the trigger matches that message, so a
  run an operator cancels notifies nobody.
* ``chanjiao-nightly-missed`` — no run of ``annual-compliance/nightly`` has COMPLETED within 26 hours (the
  window is a parameter). A *proactive* trigger evaluated by the server itself, so it also fires when the worker
  is dead (the runs then go Late and nothing else happens). The message names the deployment and the last run
  and its state.

The block is a Custom Webhook (a generic JSON POST, or the group-robot text message of 企业微信 WeCom and 钉钉
DingTalk), or, for a DingTalk robot secured with 加签, :class:`DingTalkRobotBlock` (defined here, loaded by the
server through the ``prefect.collections`` entry point): it signs every message when the server sends it.

:func:`setup_notifications` (``chanjiao notify``) creates the block and the automations, or updates them in place
when they exist (same ids), on the Prefect API of the current settings (``PREFECT_API_URL``). The files in
``ops/automations/`` are the same automations for ``prefect automation create --from-file``
(:func:`write_automation_files` writes them).

The server does the work: its ``triggers`` and ``actions`` services must run (they do by default in
``prefect server start``), and it needs ``PREFECT_UI_URL`` for the links.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit
from uuid import UUID

from chanjiao.common.project import AUTOMATIONS_DIR

DEFAULT_NAME = "chanjiao-run-failed"
BLOCK_TYPE_SLUG = "custom-webhook"
DINGTALK_BLOCK_TYPE_SLUG = "chanjiao-dingtalk-robot"

# The flows and deployments of prefect.yaml. A trigger matches a flow run of one of these flows through one
# of these deployments (by name, so re-deploying — new ids — does not break it); a run started by hand with
# `chanjiao run` has no deployment and notifies nobody: its operator is watching the terminal.
FLOW_NAMES = ("annual-compliance", "after-deadline", "deadline-reminder")
DEPLOYMENT_NAMES = ("nightly", "on-demand", "after-deadline", "deadline-reminder")
# Prefect names flow-run events after the state (prefect.server.models.events.flow_run_state_change_event):
# Crashed (the process died, e.g. out of memory or killed: the worker reports it) and TimedOut (a flow timeout:
# prefect.flow_engine sets Failed(name="TimedOut")) are distinct from Failed (the flow raised).
FAILURE_EVENTS = ("prefect.flow-run.Failed", "prefect.flow-run.Crashed", "prefect.flow-run.TimedOut")

# A run the deployment's concurrency limit cancelled (prefect.server.orchestration.core_policy): CANCEL_NEW, when
# a worker submits it or when it would be marked Late; and, rarer, a run whose slot lapsed while its process
# started and was taken by another run (ValidateDeploymentConcurrencyAtRunning).
SKIPPED_EVENT = "prefect.flow-run.Cancelled"
CONCURRENCY_CANCEL_MESSAGE = "Deployment concurrency limit reached."
SLOT_LOST_MESSAGE = "Deployment concurrency slot lost during provisioning - no slots available to continue execution"

# The nightly deployment, watched for a completed run.
NIGHTLY_FLOW, NIGHTLY_DEPLOYMENT = "annual-compliance", "nightly"
MISSED_WINDOW = timedelta(hours=26)
COMPLETED_EVENT = "prefect.flow-run.Completed"
# Every state a run of the nightly deployment goes through once it is due (not "Scheduled": the scheduler
# creates runs days ahead). Each one becomes the "last run" the missed-night message reports; Completed also
# restarts the window.
NIGHTLY_RUN_EVENTS = tuple(
    f"prefect.flow-run.{state}"
    for state in (
        "Late",
        "Pending",
        "Running",
        "Retrying",
        "AwaitingRetry",
        "AwaitingConcurrencySlot",
        "Paused",
        "Suspended",
        "Cancelling",
        "Cancelled",
        "Completed",
        "Failed",
        "TimedOut",
        "Crashed",
    )
)

# Jinja templates rendered by the server (sandboxed) with the triggering event and the flow run, flow and
# deployment it names.
SUBJECT = (
    "【产教联合体报送】运行失败 chanjiao run {{ flow_run.state.name }}: "
    "{{ flow.name }}/{{ deployment.name }} {{ flow_run.name }}"
)
BODY = """市域产教联合体年度报送流水线的一次运行未能完成，请处理。
A chanjiao pipeline run did not complete and needs attention.

部署 Deployment: {{ flow.name }}/{{ deployment.name }}
流程运行 Flow run: {{ flow_run.name }} ({{ flow_run.id }})
状态 State: {{ flow_run.state.name }}
信息 Message: {{ flow_run.state.message | truncate(800) }}
参数 Parameters: {{ flow_run.parameters | tojson }}
时间 Time (UTC): {{ event.occurred }}
链接 Link: {{ (flow_run | ui_url) or '(PREFECT_UI_URL is not set on the Prefect server)' }}

日志 Logs: prefect flow-run logs {{ flow_run.id }}
重跑 Re-run: prefect deployment run '{{ flow.name }}/{{ deployment.name }}' -p …"""

SKIPPED_SUBJECT = (
    "【产教联合体报送】运行已跳过 chanjiao run skipped: {{ flow.name }}/{{ deployment.name }} "
    "{{ flow_run.name }} — 上一次运行仍在进行 the previous run was still going"
)
SKIPPED_BODY = """本次运行已跳过（未执行）：该部署的上一次运行仍在进行，每个部署同一时间只运行一次。若上一次运行长时间不结束，请检查。
This run was skipped (it did not run): the previous run of the deployment was still going, and a deployment runs one run at a time (concurrency limit 1, CANCEL_NEW).

部署 Deployment: {{ flow.name }}/{{ deployment.name }}
跳过的运行 Skipped run: {{ flow_run.name }} ({{ flow_run.id }})
计划时间 Due (UTC): {{ flow_run.expected_start_time }}
状态 State: {{ flow_run.state.name }} — {{ event.resource['prefect.state-message'] }}
参数 Parameters: {{ flow_run.parameters | tojson }}
时间 Time (UTC): {{ event.occurred }}
链接 Link: {{ (flow_run | ui_url) or '(PREFECT_UI_URL is not set on the Prefect server)' }}

仍在进行的运行 The run still going: prefect flow-run ls --flow-name {{ flow.name }} --state Running"""

MISSED_SUBJECT = (
    "【产教联合体报送】夜间运行未完成 no completed run of @DEPLOYMENT@ in @WINDOW_EN@ — "
    "最近一次运行 last run: {{ flow_run.state.name or '无 none' }}"
)
MISSED_BODY = """部署 @DEPLOYMENT@ 已有 @WINDOW_ZH@没有一次运行成功完成（Completed）：夜间的报送处理可能没有进行。请检查 Prefect 工作进程（worker）是否在运行，以及最近一次运行。
No run of @DEPLOYMENT@ has completed in the last @WINDOW_EN@: the nightly processing may not be happening. Check that the Prefect worker is running, and the last run.

部署 Deployment: @DEPLOYMENT@
时限 Window: @WINDOW_ZH@ (@WINDOW_EN@)
{% if flow_run.id -%}
最近一次运行 Last run: {{ flow_run.name }} ({{ flow_run.id }})
最近一次运行的状态 Last run's state: {{ flow_run.state.name }}{% if flow_run.state.message %} — {{ flow_run.state.message | truncate(400) }}{% endif %}
状态时间 State since (UTC): {{ flow_run.state.timestamp }}
最近事件 Last event: {{ event.event }} at {{ event.occurred }} (UTC)
链接 Link: {{ (flow_run | ui_url) or '(PREFECT_UI_URL is not set on the Prefect server)' }}
{% else -%}
最近一次运行 Last run: 时限内没有该部署的任何运行 none in this window (schedule paused? scheduler or server stopped?)
{% endif -%}
时间 Time (UTC): {{ firing.triggered }}

检查 Check: prefect flow-run ls --flow-name @FLOW@ --limit 5 ; systemctl status chanjiao-worker"""

# What the webhook receives (``{{subject}}``, ``{{body}}``, ``{{name}}`` are filled in by the block).
GENERIC_PAYLOAD: dict[str, Any] = {
    "source": "chanjiao",
    "notification": "{{name}}",
    "subject": "{{subject}}",
    "body": "{{body}}",
}
# 企业微信群机器人 and 钉钉自定义机器人 both take {"msgtype": "text", "text": {"content": …}}.
ROBOT_PAYLOAD: dict[str, Any] = {"msgtype": "text", "text": {"content": "{{subject}}\n\n{{body}}"}}
PAYLOADS: dict[str, dict[str, Any]] = {"generic": GENERIC_PAYLOAD, "wecom": ROBOT_PAYLOAD, "dingtalk": ROBOT_PAYLOAD}

_BLOCK_ID_PLACEHOLDER = "${CHANJIAO_NOTIFY_BLOCK_ID}"
_NO_BLOCK = "00000000-0000-0000-0000-000000000000"


# --- names and windows ------------------------------------------------------------------------------------


def automation_names(name: str = DEFAULT_NAME) -> dict[str, str]:
    """The three automations' names for a notification named ``name`` (the block's name and the failure
    automation's): ``chanjiao-run-failed`` → ``chanjiao-run-skipped``, ``chanjiao-nightly-missed``."""
    stem = name.removesuffix("-run-failed")
    if stem != name:
        return {"failed": name, "skipped": f"{stem}-run-skipped", "missed": f"{stem}-nightly-missed"}
    return {"failed": name, "skipped": f"{name}-skipped", "missed": f"{name}-nightly-missed"}


def _window_text(window: timedelta) -> tuple[str, str]:
    """(Chinese, English): 26 小时 / 26 hours; 90 秒 / 90 seconds."""
    seconds = window.total_seconds()
    for unit_seconds, zh, en in ((3600, "小时", "hour"), (60, "分钟", "minute"), (1, "秒", "second")):
        if unit_seconds == 1 or (seconds >= unit_seconds and seconds % unit_seconds == 0):
            amount = seconds / unit_seconds
            text = f"{amount:g}"
            return f"{text} {zh}", f"{text} {en}{'' if amount == 1 else 's'}"
    raise AssertionError("unreachable")


def missed_templates(
    flow_name: str = NIGHTLY_FLOW, deployment_name: str = NIGHTLY_DEPLOYMENT, window: timedelta = MISSED_WINDOW
) -> tuple[str, str]:
    """The missed-night subject and body (Jinja) for that deployment and window."""
    zh, en = _window_text(window)
    values = {
        "@DEPLOYMENT@": f"{flow_name}/{deployment_name}",
        "@FLOW@": flow_name,
        "@WINDOW_ZH@": zh,
        "@WINDOW_EN@": en,
    }
    subject, body = MISSED_SUBJECT, MISSED_BODY
    for placeholder, value in values.items():
        subject, body = subject.replace(placeholder, value), body.replace(placeholder, value)
    return subject, body


# --- triggers and automations -----------------------------------------------------------------------------


def _runs_of(flow_names: Sequence[str], deployment_names: Sequence[str]) -> list[dict[str, Any]]:
    return [
        {"prefect.resource.role": "flow", "prefect.resource.name": list(flow_names)},
        {"prefect.resource.role": "deployment", "prefect.resource.name": list(deployment_names)},
    ]


def failure_trigger(flow_names: Sequence[str] = FLOW_NAMES, deployment_names: Sequence[str] = DEPLOYMENT_NAMES):
    """Fires once per flow run of these flows and deployments that fails, crashes or times out."""
    from prefect.events.schemas.automations import EventTrigger, Posture

    return EventTrigger(
        expect=set(FAILURE_EVENTS),
        match={"prefect.resource.id": "prefect.flow-run.*"},
        match_related=_runs_of(flow_names, deployment_names),
        for_each={"prefect.resource.id"},
        posture=Posture.Reactive,
        threshold=1,
        within=timedelta(0),
    )


def skipped_trigger(flow_names: Sequence[str] = FLOW_NAMES, deployment_names: Sequence[str] = DEPLOYMENT_NAMES):
    """Fires once per flow run of these flows and deployments that the deployment's concurrency limit cancelled
    (the state message Prefect sets; a run cancelled by an operator has another message, or none)."""
    from prefect.events.schemas.automations import EventTrigger, Posture

    return EventTrigger(
        expect={SKIPPED_EVENT},
        match={
            "prefect.resource.id": "prefect.flow-run.*",
            # globs (fnmatch) on the messages as Prefect 3.8 writes them
            "prefect.state-message": [
                CONCURRENCY_CANCEL_MESSAGE.rstrip(".") + "*",
                SLOT_LOST_MESSAGE.split(" - ")[0] + "*",
            ],
        },
        match_related=_runs_of(flow_names, deployment_names),
        for_each={"prefect.resource.id"},
        posture=Posture.Reactive,
        threshold=1,
        within=timedelta(0),
    )


def missed_trigger(
    flow_name: str = NIGHTLY_FLOW, deployment_name: str = NIGHTLY_DEPLOYMENT, within: timedelta = MISSED_WINDOW
):
    """Fires when no run of the deployment has completed for ``within``.

    Proactive, one bucket (no ``for_each``): the server opens a window of ``within`` when the automation is
    loaded, and evaluates it itself when the window ends — no flow, no worker involved. Every state event of a
    run of the deployment (``after``) is kept as the window's last event (the server's ``ensure_bucket`` keeps
    the window and records the event), and a Completed event, both ``after`` and ``expect``, restarts the
    window from that moment (the server's "heartbeat" case of a proactive trigger). When the window ends with
    no Completed event, the automation fires with that last event as its triggering event, so the message's
    ``flow_run`` is the deployment's last run. After firing, the next window opens with the next run's event,
    or at the server's next proactive evaluation: while nothing completes, the message comes again every day
    or two.
    """
    from prefect.events.schemas.automations import EventTrigger, Posture

    return EventTrigger(
        after=set(NIGHTLY_RUN_EVENTS),
        expect={COMPLETED_EVENT},
        match={"prefect.resource.id": "prefect.flow-run.*"},
        match_related=_runs_of([flow_name], [deployment_name]),
        for_each=set(),
        posture=Posture.Proactive,
        threshold=1,
        within=within,
    )


def _automation(
    name: str, description: str, trigger, block_document_id: UUID | str, subject: str, body: str, enabled: bool
):
    """Every field set, so that an update leaves nothing of an earlier version."""
    from prefect.events.actions import SendNotification
    from prefect.events.schemas.automations import AutomationCore

    return AutomationCore(
        name=name,
        description=description,
        enabled=enabled,
        tags=["chanjiao"],
        trigger=trigger,
        actions=[SendNotification(block_document_id=block_document_id, subject=subject, body=body)],
        actions_on_trigger=[],
        actions_on_resolve=[],
    )


def failure_automation(
    block_document_id: UUID | str,
    *,
    name: str = DEFAULT_NAME,
    flow_names: Sequence[str] = FLOW_NAMES,
    deployment_names: Sequence[str] = DEPLOYMENT_NAMES,
    enabled: bool = True,
):
    """The failure automation: Failed, Crashed or TimedOut."""
    return _automation(
        name,
        ("Notify the province office when an unattended chanjiao run fails, crashes or times out (运行失败通知)."),
        failure_trigger(flow_names, deployment_names),
        block_document_id,
        SUBJECT,
        BODY,
        enabled,
    )


def skipped_automation(
    block_document_id: UUID | str,
    *,
    name: str = automation_names()["skipped"],
    flow_names: Sequence[str] = FLOW_NAMES,
    deployment_names: Sequence[str] = DEPLOYMENT_NAMES,
    enabled: bool = True,
):
    """The skipped-run automation: a run the deployment's concurrency limit cancelled."""
    return _automation(
        name,
        (
            "Notify the province office when a scheduled chanjiao run is skipped because the previous run "
            "was still going (运行跳过通知)."
        ),
        skipped_trigger(flow_names, deployment_names),
        block_document_id,
        SKIPPED_SUBJECT,
        SKIPPED_BODY,
        enabled,
    )


def missed_automation(
    block_document_id: UUID | str,
    *,
    name: str = automation_names()["missed"],
    flow_name: str = NIGHTLY_FLOW,
    deployment_name: str = NIGHTLY_DEPLOYMENT,
    within: timedelta = MISSED_WINDOW,
    enabled: bool = True,
):
    """The missed-night automation: no completed run of the nightly deployment within ``within``."""
    subject, body = missed_templates(flow_name, deployment_name, within)
    zh, en = _window_text(within)
    return _automation(
        name,
        (
            f"Notify the province office when no run of {flow_name}/{deployment_name} has completed within "
            f"{en} (夜间运行缺失通知: {zh}内没有成功完成的运行)."
        ),
        missed_trigger(flow_name, deployment_name, within),
        block_document_id,
        subject,
        body,
        enabled,
    )


def notification_automations(
    block_document_id: UUID | str,
    *,
    name: str = DEFAULT_NAME,
    flow_names: Sequence[str] = FLOW_NAMES,
    deployment_names: Sequence[str] = DEPLOYMENT_NAMES,
    nightly: tuple[str, str] = (NIGHTLY_FLOW, NIGHTLY_DEPLOYMENT),
    missed_within: timedelta = MISSED_WINDOW,
    enabled: bool = True,
) -> dict[str, Any]:
    """The three automations, by kind: ``failed``, ``skipped``, ``missed``."""
    names = automation_names(name)
    return {
        "failed": failure_automation(
            block_document_id,
            name=names["failed"],
            flow_names=flow_names,
            deployment_names=deployment_names,
            enabled=enabled,
        ),
        "skipped": skipped_automation(
            block_document_id,
            name=names["skipped"],
            flow_names=flow_names,
            deployment_names=deployment_names,
            enabled=enabled,
        ),
        "missed": missed_automation(
            block_document_id,
            name=names["missed"],
            flow_name=nightly[0],
            deployment_name=nightly[1],
            within=missed_within,
            enabled=enabled,
        ),
    }


# --- DingTalk 加签 ------------------------------------------------------------------------------------------


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's signature of a robot message (before URL encoding): base64(HMAC-SHA256(key=secret,
    msg=f"{timestamp}\\n{secret}"))."""
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def dingtalk_signed_url(webhook_url: str, secret: str, timestamp_ms: int | None = None) -> str:
    """The robot URL with ``&timestamp=…&sign=…`` for now (DingTalk refuses a timestamp more than an hour off its
    clock, so this is computed for each message). The sign is URL-encoded once, as DingTalk requires — not
    twice (Apprise's DingTalk plugin encodes it and hands it to ``requests`` as a parameter, which encodes it
    again). A ``timestamp`` or ``sign`` already in the URL is replaced."""
    timestamp_ms = round(time.time() * 1000) if timestamp_ms is None else timestamp_ms
    parts = urlsplit(webhook_url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in ("timestamp", "sign")]
    query += [("timestamp", str(timestamp_ms)), ("sign", dingtalk_sign(secret, timestamp_ms))]
    return urlunsplit(parts._replace(query=urlencode(query, quote_via=quote, safe="")))


def robot_message(body: str, subject: str | None = None) -> dict[str, Any]:
    """The text message of a DingTalk (and WeCom) group robot."""
    return {"msgtype": "text", "text": {"content": f"{subject}\n\n{body}" if subject else body}}


def _redact(text: str, *secrets: str) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


_block_lock = threading.Lock()


def _define_dingtalk_block():
    """The block class; Prefect is imported only when it is first used (see ``__getattr__`` below)."""
    import httpx
    from prefect.blocks.abstract import NotificationBlock, NotificationError
    from pydantic import Field, SecretStr, field_validator

    class DingTalkRobotBlock(NotificationBlock):
        """钉钉自定义机器人（加签）: a DingTalk group robot secured with a signing secret (加签). Every message is
        signed when it is sent (timestamp and HMAC-SHA256 sign added to the URL), so it works when the Prefect
        server sends it from an automation. The URL (with its access token) and the secret are stored as
        secrets."""

        _block_type_name = "Chanjiao DingTalk Robot"
        _block_type_slug = DINGTALK_BLOCK_TYPE_SLUG
        _description = (
            "钉钉自定义机器人（加签）: a DingTalk group robot secured with a signing secret; each message "
            "is signed when it is sent (chanjiao)."
        )

        webhook_url: SecretStr = Field(
            title="Webhook URL", description="The robot's URL: https://oapi.dingtalk.com/robot/send?access_token=…"
        )
        secret: SecretStr = Field(title="Secret (加签)", description="The robot's signing secret, SEC…")
        timeout: float = Field(default=10, title="Timeout", description="Seconds to wait for DingTalk.")

        @field_validator("webhook_url")
        @classmethod
        def _http_url(cls, value: SecretStr) -> SecretStr:
            if not value.get_secret_value().startswith(("http://", "https://")):
                raise ValueError("the webhook URL must start with http:// or https://")
            return value

        @field_validator("secret")
        @classmethod
        def _not_empty(cls, value: SecretStr) -> SecretStr:
            if not value.get_secret_value().strip():
                raise ValueError("the signing secret (加签) is empty")
            return value

        def signed_url(self, timestamp_ms: int | None = None) -> str:
            return dingtalk_signed_url(
                self.webhook_url.get_secret_value(), self.secret.get_secret_value(), timestamp_ms
            )

        async def notify(self, body: str, subject: str | None = None) -> None:
            """POST the text message to the signed URL. DingTalk answers 200 with ``errcode`` 0 when it took the
            message; anything else is a failure (raised inside ``raise_on_failure()``, as the server's
            automation does, else logged). Logs never show the URL's token, the sign or the secret."""
            url = self.webhook_url.get_secret_value()
            secrets = (url, self.secret.get_secret_value(), *(v for _, v in parse_qsl(urlsplit(url).query)))
            problem = None
            try:
                async with httpx.AsyncClient(timeout=self.timeout) as client:
                    response = await client.post(self.signed_url(), json=robot_message(body, subject))
                try:
                    answer = response.json()
                except ValueError:
                    answer = {}
                if response.status_code != 200:
                    problem = f"HTTP {response.status_code}"
                elif not isinstance(answer, dict) or answer.get("errcode", 0) != 0:
                    problem = f"errcode {answer.get('errcode')!r}: {answer.get('errmsg')!r}"
            except httpx.HTTPError as exc:
                problem = f"{type(exc).__name__}: {exc}"
            if problem is None:
                self.logger.info("DingTalk robot took the notification")
                return
            message = "DingTalk robot refused or did not take the notification: " + _redact(problem, *secrets)
            self.logger.warning(message)
            if self._raise_on_failure:
                raise NotificationError(log=message)

    DingTalkRobotBlock.__qualname__ = "DingTalkRobotBlock"
    return DingTalkRobotBlock


def __getattr__(name: str):
    # ``DingTalkRobotBlock`` is made on first use, so importing this module does not import Prefect. The
    # Prefect server finds it through the entry point ``chanjiao.operations.notifications:DingTalkRobotBlock`` of the
    # group ``prefect.collections`` (loading it registers the block type); see pyproject.toml.
    if name == "DingTalkRobotBlock":
        with _block_lock:
            if "DingTalkRobotBlock" not in globals():
                globals()["DingTalkRobotBlock"] = _define_dingtalk_block()
        return globals()["DingTalkRobotBlock"]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


ENTRY_POINT = "chanjiao.operations.notifications:DingTalkRobotBlock"


def entry_point_installed() -> bool:
    """Whether this environment has the ``prefect.collections`` entry point that lets a Prefect server load
    :class:`DingTalkRobotBlock` (pyproject.toml, installed by ``pip install -e .``). Without it the server's
    automation fails to load the block ("No block class found for slug 'chanjiao-dingtalk-robot'") and the
    message is not sent."""
    from importlib.metadata import entry_points

    return any(ep.value == ENTRY_POINT for ep in entry_points(group="prefect.collections"))


# --- blocks -----------------------------------------------------------------------------------------------


def webhook_block(
    webhook_url: str,
    *,
    name: str = DEFAULT_NAME,
    payload: str | Mapping[str, Any] = "generic",
    headers: Mapping[str, str] | None = None,
    timeout: float = 10,
    secret: str | None = None,
):
    """The notification block. A Custom Webhook block POSTing JSON; the URL is kept among the block's secrets
    (robot webhooks carry their key in it), so the UI and the API show it masked. With ``secret`` (a DingTalk
    robot's 加签 secret, ``payload="dingtalk"`` only) a :class:`DingTalkRobotBlock`, which signs each message
    when it is sent."""
    from prefect.blocks.notifications import CustomWebhookNotificationBlock

    if not webhook_url.startswith(("http://", "https://")):
        raise ValueError(f"the webhook URL must start with http:// or https:// (got {webhook_url!r})")
    if isinstance(payload, str) and payload not in PAYLOADS:
        raise ValueError(f"unknown payload format {payload!r} (known: {', '.join(PAYLOADS)})")
    if secret is not None:
        if payload != "dingtalk":
            raise ValueError("a signing secret (加签) is for DingTalk robots only: use it with the dingtalk format")
        if headers:
            raise ValueError("a DingTalk robot takes no custom headers")
        if not secret.strip():
            raise ValueError("the signing secret (加签) is empty")
        return __getattr__("DingTalkRobotBlock")(webhook_url=webhook_url, secret=secret.strip(), timeout=timeout)
    if isinstance(payload, str):
        payload = PAYLOADS[payload]
    return CustomWebhookNotificationBlock(
        name=name,
        url="{{webhook_url}}",
        method="POST",
        json_data=dict(payload),
        headers={"Content-Type": "application/json; charset=utf-8", **(headers or {})},
        timeout=timeout,
        secrets={"webhook_url": webhook_url},
    )


# --- setting it up on the server --------------------------------------------------------------------------


@dataclass(frozen=True)
class NotificationSetup:
    block_id: UUID
    block_type_slug: str
    automation_ids: dict[str, UUID] = field(default_factory=dict)  # by kind: failed, skipped, missed
    automation_names: dict[str, str] = field(default_factory=dict)


def _upsert_automation(client, automation) -> UUID:
    """Create the automation, or update the one of that name in place (most recently updated first: that one is
    kept) and delete any duplicate (``prefect automation create`` run twice makes two)."""
    existing = [a for a in client.read_automations_by_name(automation.name) if a.name == automation.name]
    if not existing:
        return client.create_automation(automation)
    keep, *duplicates = existing
    client.update_automation(keep.id, automation)
    for duplicate in duplicates:
        client.delete_automation(duplicate.id)
    return keep.id


def setup_notifications(
    webhook_url: str,
    *,
    name: str = DEFAULT_NAME,
    payload: str | Mapping[str, Any] = "generic",
    secret: str | None = None,
    headers: Mapping[str, str] | None = None,
    flow_names: Sequence[str] = FLOW_NAMES,
    deployment_names: Sequence[str] = DEPLOYMENT_NAMES,
    nightly: tuple[str, str] = (NIGHTLY_FLOW, NIGHTLY_DEPLOYMENT),
    missed_within: timedelta = MISSED_WINDOW,
    enabled: bool = True,
) -> NotificationSetup:
    """Create or update the notification block named ``name`` and the three automations
    (:func:`automation_names`); returns their ids.

    Idempotent: a second call updates all in place (same ids) — a new URL, payload or window, a paused
    automation enabled again. Switching between a Custom Webhook and a signed DingTalk robot (``secret``)
    makes a block of the other type and deletes the previous one of that name. Uses the Prefect API of the
    current settings (``PREFECT_API_URL``).
    """
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound

    if missed_within < timedelta(seconds=10):
        raise ValueError("the nightly window must be at least 10 seconds (Prefect's minimum for a proactive trigger)")
    block = webhook_block(webhook_url, name=name, payload=payload, headers=headers, secret=secret)
    block_id = block.save(name, overwrite=True)
    slug = block.get_block_type_slug()
    automations = notification_automations(
        block_id,
        name=name,
        flow_names=flow_names,
        deployment_names=deployment_names,
        nightly=nightly,
        missed_within=missed_within,
        enabled=enabled,
    )
    with get_client(sync_client=True) as client:
        ids = {kind: _upsert_automation(client, automation) for kind, automation in automations.items()}
        for other in {BLOCK_TYPE_SLUG, DINGTALK_BLOCK_TYPE_SLUG} - {slug}:
            try:
                stale = client.read_block_document_by_name(name, other, include_secrets=False)
            except ObjectNotFound:
                continue
            client.delete_block_document(stale.id)
    return NotificationSetup(
        block_id=block_id,
        block_type_slug=slug,
        automation_ids=ids,
        automation_names={kind: a.name for kind, a in automations.items()},
    )


def setup_failure_notification(
    webhook_url: str,
    *,
    name: str = DEFAULT_NAME,
    payload: str | Mapping[str, Any] = "generic",
    headers: Mapping[str, str] | None = None,
    flow_names: Sequence[str] = FLOW_NAMES,
    deployment_names: Sequence[str] = DEPLOYMENT_NAMES,
    enabled: bool = True,
    **options,
) -> tuple[UUID, UUID]:
    """:func:`setup_notifications` (all three automations); returns the block's id and the failure
    automation's."""
    setup = setup_notifications(
        webhook_url,
        name=name,
        payload=payload,
        headers=headers,
        flow_names=flow_names,
        deployment_names=deployment_names,
        enabled=enabled,
        **options,
    )
    return setup.block_id, setup.automation_ids["failed"]


# --- the automation files ---------------------------------------------------------------------------------

AUTOMATION_KINDS = ("failed", "skipped", "missed")
AUTOMATION_FILES = {
    "failed": "notify-on-failure.yaml",
    "skipped": "notify-on-skipped-run.yaml",
    "missed": "notify-on-missed-nightly.yaml",
}


def automation_document(
    block_document_id: UUID | str = _BLOCK_ID_PLACEHOLDER,
    *,
    name: str = DEFAULT_NAME,
    kind: str = "failed",
    missed_within: timedelta = MISSED_WINDOW,
) -> dict:
    """An automation as ``prefect automation create --from-file`` reads it (JSON-able). Without a block id it
    holds the placeholder ``${CHANJIAO_NOTIFY_BLOCK_ID}`` for ``envsubst``: an automation refers to its
    notification block by id only, never by name."""
    placeholder = block_document_id == _BLOCK_ID_PLACEHOLDER
    automation = notification_automations(
        _NO_BLOCK if placeholder else block_document_id, name=name, missed_within=missed_within
    )[kind]
    document = automation.model_dump(mode="json", exclude={"owner_resource"})
    for key in ("after", "expect", "for_each"):  # sets: a stable order for the file
        document["trigger"][key] = sorted(document["trigger"][key])
    if placeholder:
        document["actions"][0]["block_document_id"] = _BLOCK_ID_PLACEHOLDER
    return document


AUTOMATION_FILE_HEADER = """\
# @WHAT@
# One of the automations `chanjiao notify` (chanjiao.operations.notifications.setup_notifications) creates, as a Prefect
# automation file. Generated — do not edit; regenerate all of ops/automations/ with
#   .venv/bin/python -c "from chanjiao.operations.notifications import write_automation_files; write_automation_files()"
#
# An automation names its notification block by id only (not by name), so the id is filled in first (the
# block made by `chanjiao notify`: a Custom Webhook, or a signed DingTalk robot with --secret):
#   export CHANJIAO_NOTIFY_BLOCK_ID=$(prefect api GET \\
#       /block_types/slug/custom-webhook/block_documents/name/chanjiao-run-failed | jq -r .id)
#   #  (signed DingTalk robot: /block_types/slug/chanjiao-dingtalk-robot/block_documents/name/chanjiao-run-failed)
#   envsubst '$CHANJIAO_NOTIFY_BLOCK_ID' < ops/automations/@FILE@ > /tmp/@FILE@
#   prefect automation create --from-file /tmp/@FILE@
# `create` always adds a new automation (run twice, two notifications); to change an existing one:
#   prefect automation update --id <automation id> --from-file /tmp/@FILE@
"""
_FILE_WHAT = {
    "failed": "Failure notification: a run of a chanjiao deployment Failed, Crashed or TimedOut.",
    "skipped": (
        "Skipped-run notification: a run the deployment's concurrency limit cancelled (previous run still going)."
    ),
    "missed": "Missed-night notification: no run of annual-compliance/nightly COMPLETED within 26 hours (server-side).",
}


def automation_yaml(kind: str = "failed") -> str:
    """The file ``ops/automations/<AUTOMATION_FILES[kind]>``: :func:`automation_document` with its templates as
    literal blocks, under a header saying how to use it."""
    import yaml

    class _Dumper(yaml.SafeDumper):
        pass

    def _text(dumper: yaml.SafeDumper, data: str):
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|" if "\n" in data else None)

    _Dumper.add_representer(str, _text)
    header = AUTOMATION_FILE_HEADER.replace("@WHAT@", _FILE_WHAT[kind]).replace("@FILE@", AUTOMATION_FILES[kind])
    return header + yaml.dump(
        automation_document(kind=kind), Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=200
    )


def write_automation_files(folder: Path | str | None = None) -> list[Path]:
    """Write ``ops/automations/*.yaml`` (or into ``folder``)."""
    folder = Path(folder) if folder is not None else AUTOMATIONS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for kind in AUTOMATION_KINDS:
        path = folder / AUTOMATION_FILES[kind]
        path.write_text(automation_yaml(kind), encoding="utf-8")
        written.append(path)
    return written
