"""When an unattended run fails, someone hears of it.

A Prefect automation on the server watches the flow runs of the chanjiao deployments; when one enters
Failed, Crashed or TimedOut, it sends a message (Chinese and English: deployment, flow run, state and its
message, parameters, a link) through a Custom Webhook notification block — a generic JSON POST, or the
group-robot format of 企业微信 (WeCom) and 钉钉 (DingTalk).

:func:`setup_failure_notification` creates both, or updates them in place when they exist (same ids), on
the Prefect API the process is configured for (``PREFECT_API_URL``). ``ops/automations/notify-on-failure.yaml``
is the same automation for ``prefect automation create --from-file`` (:func:`automation_document` writes it).

The server does the work: its ``triggers`` and ``actions`` services must run (they do by default in
``prefect server start``), and it needs ``PREFECT_UI_URL`` for the link.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

DEFAULT_NAME = "chanjiao-run-failed"
BLOCK_TYPE_SLUG = "custom-webhook"

# The flows and deployments of prefect.yaml. A trigger matches a flow run of one of these flows through one
# of these deployments (by name, so re-deploying — new ids — does not break it); a run started by hand with
# `chanjiao run` has no deployment and notifies nobody: its operator is watching the terminal.
FLOW_NAMES = ("annual-compliance", "after-deadline", "deadline-reminder")
DEPLOYMENT_NAMES = ("nightly", "on-demand", "after-deadline", "deadline-reminder")
# Prefect names flow-run events after the state: Crashed (the process died, e.g. out of memory or killed)
# and TimedOut (a flow timeout; its state type is FAILED) are distinct from Failed (the flow raised).
FAILURE_EVENTS = ("prefect.flow-run.Failed", "prefect.flow-run.Crashed", "prefect.flow-run.TimedOut")

# Jinja templates rendered by the server (sandboxed) with the flow run, its flow and deployment.
SUBJECT = ("【产教联合体报送】运行失败 chanjiao run {{ flow_run.state.name }}: "
           "{{ flow.name }}/{{ deployment.name }} {{ flow_run.name }}")
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

# What the webhook receives (``{{subject}}``, ``{{body}}``, ``{{name}}`` are filled in by the block).
GENERIC_PAYLOAD: dict[str, Any] = {"source": "chanjiao", "notification": "{{name}}", "subject": "{{subject}}",
                                   "body": "{{body}}"}
# 企业微信群机器人 and 钉钉自定义机器人 both take {"msgtype": "text", "text": {"content": …}}.
ROBOT_PAYLOAD: dict[str, Any] = {"msgtype": "text", "text": {"content": "{{subject}}\n\n{{body}}"}}
PAYLOADS: dict[str, dict[str, Any]] = {"generic": GENERIC_PAYLOAD, "wecom": ROBOT_PAYLOAD,
                                       "dingtalk": ROBOT_PAYLOAD}

_BLOCK_ID_PLACEHOLDER = "${CHANJIAO_NOTIFY_BLOCK_ID}"


def failure_trigger(flow_names: Sequence[str] = FLOW_NAMES, deployment_names: Sequence[str] = DEPLOYMENT_NAMES):
    """Fires once per flow run of these flows and deployments that fails, crashes or times out."""
    from datetime import timedelta

    from prefect.events.schemas.automations import EventTrigger, Posture

    return EventTrigger(
        expect=set(FAILURE_EVENTS),
        match={"prefect.resource.id": "prefect.flow-run.*"},
        match_related=[
            {"prefect.resource.role": "flow", "prefect.resource.name": list(flow_names)},
            {"prefect.resource.role": "deployment", "prefect.resource.name": list(deployment_names)},
        ],
        for_each={"prefect.resource.id"},
        posture=Posture.Reactive,
        threshold=1,
        within=timedelta(0),
    )


def failure_automation(block_document_id: UUID | str, *, name: str = DEFAULT_NAME,
                       flow_names: Sequence[str] = FLOW_NAMES,
                       deployment_names: Sequence[str] = DEPLOYMENT_NAMES, enabled: bool = True):
    """The automation (every field set, so that an update leaves nothing of an earlier version)."""
    from prefect.events.actions import SendNotification
    from prefect.events.schemas.automations import AutomationCore

    return AutomationCore(
        name=name,
        description=("Notify the province office when an unattended chanjiao run fails, crashes or times out "
                     "(运行失败通知)."),
        enabled=enabled,
        tags=["chanjiao"],
        trigger=failure_trigger(flow_names, deployment_names),
        actions=[SendNotification(block_document_id=block_document_id, subject=SUBJECT, body=BODY)],
        actions_on_trigger=[],
        actions_on_resolve=[],
    )


def webhook_block(webhook_url: str, *, name: str = DEFAULT_NAME,
                  payload: str | Mapping[str, Any] = "generic", headers: Mapping[str, str] | None = None,
                  timeout: float = 10):
    """A Custom Webhook notification block POSTing JSON. The URL is kept among the block's secrets (robot
    webhooks carry their key in it), so the UI and the API show it masked."""
    from prefect.blocks.notifications import CustomWebhookNotificationBlock

    if not webhook_url.startswith(("http://", "https://")):
        raise ValueError(f"the webhook URL must start with http:// or https:// (got {webhook_url!r})")
    if isinstance(payload, str):
        if payload not in PAYLOADS:
            raise ValueError(f"unknown payload format {payload!r} (known: {', '.join(PAYLOADS)})")
        payload = PAYLOADS[payload]
    return CustomWebhookNotificationBlock(
        name=name, url="{{webhook_url}}", method="POST", json_data=dict(payload),
        headers={"Content-Type": "application/json; charset=utf-8", **(headers or {})},
        timeout=timeout, secrets={"webhook_url": webhook_url},
    )


def setup_failure_notification(webhook_url: str, *, name: str = DEFAULT_NAME,
                               payload: str | Mapping[str, Any] = "generic",
                               headers: Mapping[str, str] | None = None,
                               flow_names: Sequence[str] = FLOW_NAMES,
                               deployment_names: Sequence[str] = DEPLOYMENT_NAMES,
                               enabled: bool = True) -> tuple[UUID, UUID]:
    """Create or update the notification block and the automation named ``name``; returns their ids.

    Idempotent: a second call updates both in place (same ids) — a new URL or payload, a paused automation
    enabled again — and removes any duplicate automation of that name (``prefect automation create`` run
    twice makes two). Uses the Prefect API of the current settings (``PREFECT_API_URL``).
    """
    from prefect.client.orchestration import get_client

    block_id = webhook_block(webhook_url, name=name, payload=payload, headers=headers).save(name, overwrite=True)
    automation = failure_automation(block_id, name=name, flow_names=flow_names,
                                    deployment_names=deployment_names, enabled=enabled)
    with get_client(sync_client=True) as client:
        # Most recently updated first: that one is kept.
        existing = [a for a in client.read_automations_by_name(name) if a.name == name]
        if not existing:
            return block_id, client.create_automation(automation)
        keep, *duplicates = existing
        client.update_automation(keep.id, automation)
        for duplicate in duplicates:
            client.delete_automation(duplicate.id)
        return block_id, keep.id


def automation_document(block_document_id: UUID | str = _BLOCK_ID_PLACEHOLDER, *, name: str = DEFAULT_NAME) -> dict:
    """The automation as ``prefect automation create --from-file`` reads it (JSON-able). Without a block id
    it holds the placeholder ``${CHANJIAO_NOTIFY_BLOCK_ID}`` for ``envsubst``: an automation refers to its
    notification block by id only, never by name."""
    placeholder = block_document_id == _BLOCK_ID_PLACEHOLDER
    automation = failure_automation("00000000-0000-0000-0000-000000000000" if placeholder else block_document_id,
                                    name=name)
    document = automation.model_dump(mode="json", exclude={"owner_resource"})
    for key in ("expect", "for_each"):                      # sets: a stable order for the file
        document["trigger"][key] = sorted(document["trigger"][key])
    if placeholder:
        document["actions"][0]["block_document_id"] = _BLOCK_ID_PLACEHOLDER
    return document


AUTOMATION_FILE_HEADER = """\
# The failure notification as a Prefect automation file: the automation `chanjiao notify` (that is,
# chanjiao.notifications.setup_failure_notification) creates. Generated — do not edit; regenerate with
#   .venv/bin/python -c "from chanjiao.notifications import automation_yaml; print(automation_yaml(), end='')" \\
#       > ops/automations/notify-on-failure.yaml
#
# An automation names its notification block by id only (not by name), so the id is filled in first:
#   export CHANJIAO_NOTIFY_BLOCK_ID=$(prefect api GET \\
#       /block_types/slug/custom-webhook/block_documents/name/chanjiao-run-failed | jq -r .id)
#   envsubst '$CHANJIAO_NOTIFY_BLOCK_ID' < ops/automations/notify-on-failure.yaml > /tmp/notify-on-failure.yaml
#   prefect automation create --from-file /tmp/notify-on-failure.yaml
# `create` always adds a new automation (run twice, two notifications); to change an existing one:
#   prefect automation update --id <automation id> --from-file /tmp/notify-on-failure.yaml
"""


def automation_yaml() -> str:
    """``ops/automations/notify-on-failure.yaml``: :func:`automation_document` with its templates as literal
    blocks, under a header saying how to use it."""
    import yaml

    class _Dumper(yaml.SafeDumper):
        pass

    def _text(dumper: yaml.SafeDumper, data: str):
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|" if "\n" in data else None)

    _Dumper.add_representer(str, _text)
    return AUTOMATION_FILE_HEADER + yaml.dump(automation_document(), Dumper=_Dumper, allow_unicode=True,
                                              sort_keys=False, width=200)
