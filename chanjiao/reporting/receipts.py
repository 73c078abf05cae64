"""The receipt (回执) of an accepted submission version: its findings and what to fix (docs/DOMAIN.md).

Built as a plain context for ``report_templates/receipt.html.j2``; personal data arrives masked.
"""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd

from chanjiao import __version__
from chanjiao.common.exports import beijing_time
from chanjiao.quality.checks import is_missing
from chanjiao.quality.timeliness import due_date
from chanjiao.reference.catalogue import Catalogue
from chanjiao.reference.labels import kind_full_label, severity_label
from chanjiao.reference.registry import ReferenceData

_SEVERITY_ORDER = {"fatal": 0, "warning": 1, "info": 2}


def receipt_name(version: dict) -> str:
    """``<consortium_id>-<kind>-v<N>.html``"""
    return f"{version['consortium_id']}-{version['kind']}-v{int(version['version'])}.html"


def plain_record(record: dict) -> dict:
    """A frame row with its missing cells (NaN, NaT) as None, so templates and tests see one kind of empty."""
    return {k: None if is_missing(v) else v for k, v in record.items()}


def finding_status(finding: dict) -> str:
    """What a submitter should read next to a finding."""
    if finding["severity"] == "fatal":
        return "须修改后重新报送"
    if finding["veto"]:
        return "一票否决（不可说明或豁免）"
    if finding.get("override_by"):
        at = finding.get("override_at")
        when = f"，{beijing_time(at):%Y-%m-%d}" if isinstance(at, datetime) else ""
        return f"审核人员已认可（{finding['override_by']}{when}）"
    if finding.get("explanation"):
        return "已说明"
    return "请核实或在“说明”栏解释" if finding["severity"] == "warning" else "供参考，无需修改"


def _verdict(counts: dict[str, int], open_warnings: int, vetoes: int = 0) -> str:
    if counts["fatal"]:
        return (
            f"本版本有 {counts['fatal']} 项严重问题，相关数据不能用于评分。"
            "请在截止日期前修改后重新报送完整文件（以最新版本为准）。"
        )
    if vetoes:
        return (
            f"本版本有 {vetoes} 项一票否决事项（不可说明或豁免），该联合体本年度不能列入推荐名单；"
            "如填报有误，请修改后重新报送。"
        )
    if open_warnings:
        return (
            f"本版本未发现严重问题；有 {open_warnings} 项警告尚未说明。请核实：如数据有误，请修改后重新报送；"
            "如数据无误，请在该行“说明”栏写明原因后重新报送，或等待审核人员认可。"
        )
    return "本版本未发现需要处理的数据质量问题。"


def receipt_context(
    version: dict,
    findings: pd.DataFrame,
    reference: ReferenceData,
    catalogue: Catalogue,
    *,
    generated_at: datetime,
    contact: str | None = None,
) -> dict:
    """Everything the receipt shows, ready to print."""
    consortium_id, year, kind = version["consortium_id"], int(version["year"]), version["kind"]
    registry = reference.registry.loc[consortium_id] if consortium_id in reference.registry.index else None
    due, extended = (
        due_date(registry, year, kind, reference.deadlines, reference.extensions)
        if registry is not None
        else (None, False)
    )
    submitted_on: date = version["submitted_on"]
    rows = sorted((plain_record(f) for f in findings.to_dict("records")), key=lambda f: _SEVERITY_ORDER[f["severity"]])
    counts = {s: sum(1 for f in rows if f["severity"] == s) for s in _SEVERITY_ORDER}
    open_warnings = sum(1 for f in rows if f["severity"] == "warning" and not f["veto"] and not f["explained"])
    vetoes = sum(1 for f in rows if f["veto"])
    if due is None:
        timing = "未找到截止日期"
    elif submitted_on <= due:
        timing = "在截止日期之前（含当日）"
    else:
        timing = f"晚于截止日期 {(submitted_on - due).days} 天"
    return {
        "title": "市域产教联合体年度材料报送回执",
        "consortium": {
            "id": consortium_id,
            "name": registry["name"] if registry is not None else consortium_id,
            "province": registry["province"] if registry is not None else "",
            "city": registry["city"] if registry is not None else "",
        },
        "document": {
            "year": year,
            "kind": kind_full_label(kind),
            "version": int(version["version"]),
            "source_file": version["source_file"],
            "sha256": version["sha256"],
            "submitted_on": submitted_on.isoformat(),
            "received_at": f"{beijing_time(version['ingested_at']):%Y-%m-%d %H:%M}"
            if version.get("ingested_at")
            else "",
            "due_date": due.isoformat() if due else "",
            "extended": extended,
            "timing": timing,
            "city_approved_on": version["city_approved_on"].isoformat()
            if isinstance(version.get("city_approved_on"), date)
            else "未填写（视为未经地市审核）",
            "contact": contact or "",
        },
        "counts": {severity_label(s): n for s, n in counts.items()},
        "verdict": _verdict(counts, open_warnings, vetoes),
        "verdict_class": "fatal" if counts["fatal"] else "warning" if open_warnings or vetoes else "clean",
        "findings": [
            {
                "severity": f["severity"],
                "severity_zh": severity_label(f["severity"]) + ("·否决" if f["veto"] else ""),
                "field": f["field"],
                "label": catalogue.label(f["field"]),
                "message": f["message"],
                "value": f["value"] or "",
                "fix": f["fix"],
                "explanation": f.get("explanation") or "",
                "status": finding_status(f),
            }
            for f in rows
        ],
        "footer": {
            "generated_at": f"{beijing_time(generated_at):%Y-%m-%d %H:%M}",
            "pipeline_version": __version__,
            "note": "是否按时以首次报送的版本判定；更正请重新报送完整文件，评分以截止时最新的有效版本为准。",
        },
    }
