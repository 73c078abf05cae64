"""Receipts (回执): what a submitter reads after filing, in Chinese, with nothing personal unmasked."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pandas as pd

from chanjiao.reporting.pdf import render_html
from chanjiao.reporting.receipts import finding_status, receipt_context, receipt_name
from chanjiao.reporting.versions import VOLATILE_CLOSE, VOLATILE_OPEN

VERSION = {
    "version_id": 7,
    "consortium_id": "SX-2024-01",
    "year": 2025,
    "kind": "summary",
    "version": 2,
    "submitted_on": date(2025, 12, 16),
    "city_approved_on": None,
    "source_file": "2025/a.csv",
    "sha256": "ab" * 32,
    "ingested_at": datetime(2025, 12, 16, 1, 30, tzinfo=UTC),
}
GENERATED = datetime(2025, 12, 17, 0, 0, tzinfo=UTC)


def finding(severity="warning", rule="yoy", **extra):
    return {
        "version_id": 7,
        "field": "apprentices",
        "rule": rule,
        "rule_id": f"apprentices.{rule}",
        "severity": severity,
        "veto": False,
        "message": "「中国特色学徒制培养」<b>变化</b>超过±50%。",
        "fix": "请说明",
        "value": "100人 → 160人",
        "explanation": None,
        "explained": False,
        "override_by": None,
        "override_at": None,
        "override_reason": None,
        **extra,
    }


def test_a_receipt_names_the_version_and_says_what_to_fix(reference, catalogue):
    findings = pd.DataFrame(
        [finding(), finding("fatal", "max", field="co_majors", message="「共建专业」为5000个，超过上限1000个。")]
    )
    context = receipt_context(
        VERSION, findings, reference, catalogue, generated_at=GENERATED, contact="王**（138****5678）"
    )
    assert receipt_name(VERSION) == "SX-2024-01-summary-v2.html"
    assert context["document"]["timing"] == "晚于截止日期 1 天"  # Shanxi summaries are due 12-15
    assert context["document"]["city_approved_on"].startswith("未填写")
    assert [f["severity"] for f in context["findings"]] == ["fatal", "warning"]  # fatal first
    assert context["verdict_class"] == "fatal" and "1 项严重问题" in context["verdict"]
    html = render_html("receipt.html.j2", context)
    assert "大同市通用航空产教联合体（SX-2024-01）" in html and "第 2 版" in html
    assert "王**（138****5678）" in html
    assert "&lt;b&gt;变化&lt;/b&gt;" in html and "<b>变化</b>" not in html  # submitted text cannot inject markup
    printed = html.replace(VOLATILE_OPEN, "").replace(VOLATILE_CLOSE, "")  # the marks of volatile spans
    assert "生成时间 2025-12-17 08:00（北京时间）" in printed


def test_a_clean_version_says_so(reference, catalogue):
    context = receipt_context(
        VERSION, pd.DataFrame(columns=list(finding())), reference, catalogue, generated_at=GENERATED
    )
    assert context["verdict_class"] == "clean" and context["findings"] == []
    assert "未发现数据质量问题。" in render_html("receipt.html.j2", context)


def test_each_finding_says_where_it_stands():
    assert finding_status(finding("fatal", "max")) == "须修改后重新报送"
    assert finding_status(finding(rule="veto", veto=True)) == "一票否决（不可说明或豁免）"
    assert finding_status(finding(explanation="新开学徒制班")) == "已说明"
    assert (
        finding_status(finding(override_by="李审核", override_at=datetime(2025, 12, 20, 2, tzinfo=UTC)))
        == "审核人员已认可（李审核，2025-12-20）"
    )
    assert finding_status(finding()) == "请核实或在“说明”栏解释"
    assert finding_status(finding("info", "warn_below")) == "供参考，无需修改"


def test_a_veto_is_never_called_clean(reference, catalogue):
    """A violation (一票否决) cannot be explained away, so the receipt says what it means instead of 'nothing to do'."""
    findings = pd.DataFrame(
        [finding(rule="veto", veto=True, field="violations_count", message="近3年有重大违法违规事件")]
    )
    context = receipt_context(VERSION, findings, reference, catalogue, generated_at=GENERATED)
    assert context["verdict_class"] == "warning"
    assert context["verdict"].startswith("本版本有 1 项一票否决事项（不可说明或豁免）")


def test_a_receipt_names_the_document_and_severities_as_the_reports_do(reference, catalogue):
    """Labels from chanjiao/data/labels.csv; the receipt's wording is the one the labels kept."""
    findings = pd.DataFrame([finding(), finding("info", "warn_below"), finding(rule="veto", veto=True)])
    summary = receipt_context(VERSION, findings, reference, catalogue, generated_at=GENERATED)
    assert summary["document"]["kind"] == "年度工作总结（含典型案例）"
    assert summary["counts"] == {"严重": 0, "警告": 2, "提示": 1}
    assert [f["severity_zh"] for f in summary["findings"]] == ["警告", "警告·否决", "提示"]
    plan = receipt_context({**VERSION, "kind": "plan"}, findings.iloc[:0], reference, catalogue, generated_at=GENERATED)
    assert plan["document"]["kind"] == "年度工作计划"
