"""The notifications' definitions, without a server: the automation files operators can use instead of
`chanjiao notify` are the automations the functions make, and the block refuses what cannot work."""

from __future__ import annotations

import uuid

import pytest
import yaml
from integration_support import PROJECT

from chanjiao.operations.notifications import (
    AUTOMATION_FILES,
    AUTOMATION_KINDS,
    FAILURE_EVENTS,
    automation_document,
    automation_yaml,
    failure_automation,
    notification_automations,
    webhook_block,
)

FOLDER = PROJECT / "ops" / "automations"
AUTOMATION_FILE = FOLDER / "notify-on-failure.yaml"


@pytest.mark.parametrize("kind", AUTOMATION_KINDS)
def test_automation_files_are_generated_from_the_code(kind):
    path = FOLDER / AUTOMATION_FILES[kind]
    assert path.read_text(encoding="utf-8") == automation_yaml(kind), (
        f"ops/automations/{path.name} is stale; regenerate ops/automations/ (see the file's header)"
    )


def test_no_other_automation_file():
    assert sorted(p.name for p in FOLDER.iterdir()) == sorted(AUTOMATION_FILES.values())


@pytest.mark.parametrize("kind", AUTOMATION_KINDS)
def test_automation_file_with_a_block_id_is_the_automation_setup_creates(kind):
    from prefect.events.schemas.automations import AutomationCore

    block_id = uuid.uuid4()
    text = (FOLDER / AUTOMATION_FILES[kind]).read_text(encoding="utf-8")
    text = text.replace("${CHANJIAO_NOTIFY_BLOCK_ID}", str(block_id))
    from_file = AutomationCore.model_validate(yaml.safe_load(text))  # what `prefect automation create` does
    assert from_file == notification_automations(block_id)[kind]
    assert automation_document(block_id, kind=kind)["actions"][0]["block_document_id"] == str(block_id)


def test_failure_file_is_the_failure_automation():
    from prefect.events.schemas.automations import AutomationCore

    block_id = uuid.uuid4()
    text = AUTOMATION_FILE.read_text(encoding="utf-8").replace("${CHANJIAO_NOTIFY_BLOCK_ID}", str(block_id))
    from_file = AutomationCore.model_validate(yaml.safe_load(text))
    assert from_file == failure_automation(block_id)
    assert from_file.trigger.expect == set(FAILURE_EVENTS)


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
