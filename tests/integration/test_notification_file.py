"""The failure notification's definitions, without a server: the automation file operators can use instead
of `chanjiao notify` is the automation the function makes, and the block refuses what cannot work."""

from __future__ import annotations

import uuid

import pytest
import yaml
from integration_support import PROJECT

from chanjiao.notifications import (
    FAILURE_EVENTS,
    automation_document,
    automation_yaml,
    failure_automation,
    webhook_block,
)

AUTOMATION_FILE = PROJECT / "ops" / "automations" / "notify-on-failure.yaml"


def test_automation_file_is_generated_from_the_code():
    assert AUTOMATION_FILE.read_text(encoding="utf-8") == automation_yaml(), (
        "ops/automations/notify-on-failure.yaml is stale; regenerate it (see its header)")


def test_automation_file_with_a_block_id_is_the_automation_setup_creates():
    from prefect.events.schemas.automations import AutomationCore

    block_id = uuid.uuid4()
    text = AUTOMATION_FILE.read_text(encoding="utf-8").replace("${CHANJIAO_NOTIFY_BLOCK_ID}", str(block_id))
    from_file = AutomationCore.model_validate(yaml.safe_load(text))    # what `prefect automation create` does
    assert from_file == failure_automation(block_id)
    assert from_file.trigger.expect == set(FAILURE_EVENTS)
    assert automation_document(block_id)["actions"][0]["block_document_id"] == str(block_id)


def test_webhook_block_keeps_the_url_secret_and_knows_robot_formats():
    block = webhook_block("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc", payload="wecom")
    assert block.url == "{{webhook_url}}" and "abc" not in block.model_dump_json()
    request = block._build_request_args(body="正文", subject="标题")
    assert request["url"].endswith("key=abc")
    assert request["json"] == {"msgtype": "text", "text": {"content": "标题\n\n正文"}}
    with pytest.raises(ValueError, match="http"):
        webhook_block("qyapi.weixin.qq.com/send")
    with pytest.raises(ValueError, match="payload"):
        webhook_block("https://example.org/hook", payload="fax")
