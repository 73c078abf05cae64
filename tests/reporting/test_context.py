"""The reports' contents (chanjiao.reporting.context), on a small inline province: what each section says, and that the
templates render it escaped and masked."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from datetime import UTC, date, datetime

import pandas as pd
import pytest
from builders import REGISTRY_CSV

from chanjiao.intake.ingest import FieldValue
from chanjiao.quality.timeliness import TIMELINESS_COLUMNS
from chanjiao.reference.catalogue import data_text
from chanjiao.reference.frameworks import load_frameworks
from chanjiao.reference.registry import parse_milestones, parse_provinces, parse_registry
from chanjiao.reporting.context import (
    ProvinceYear,
    alignment_rows,
    appendix,
    consortium_attachment,
    consortium_context,
    finding_rows,
    indicator_medians,
    milestone_first_year,
    milestone_rows,
    paired,
    province_attachments,
    province_context,
    table_of_contents,
    timeliness_bars,
)
from chanjiao.reporting.pdf import render_html
from chanjiao.scoring.scores import CELL_COLUMNS

HUNAN = load_frameworks()["hunan-2024"]
HOSTILE = '<img src="file:///etc/passwd"><link rel=attachment href="file:///etc/passwd"></style><style>*{display:none}'
PROVINCES = parse_provinces(data_text("provinces.csv"))
REGISTRY = parse_registry(REGISTRY_CSV.replace("太原市测试产教联合体", "太原市测试产教联合体" + HOSTILE), PROVINCES)


def _score(cid: str, name: str, total: float, grade: str, rank: int, **extra) -> dict:
    return {
        "consortium_id": cid,
        "name": name,
        "total": total,
        "grade": grade,
        "rank": rank,
        "note": "",
        "plan_completed": True,
        "plan_targets": 10,
        "plan_targets_met": 9,
        "plan_reason": "",
        "plan_unmet": "",
        "plan_pending": "",
        "previous_plan_completed": None,
        "adjustment": False,
        "shortlisted": False,
        "shortlist_eligible": False,
        "ineligible_because": "",
        "framework_id": HUNAN.id,
        "framework_version": HUNAN.version,
        "framework_digest": HUNAN.digest,
        "pipeline_version": "0.1.0",
        **extra,
    }


def _indicators(cid: str, scores: dict[str, float], no_data: bool = False) -> list[dict]:
    return [
        {
            "consortium_id": cid,
            "indicator": i.code,
            "name_zh": i.name_zh,
            "weight": float(i.weight),
            "score": scores.get(i.code, 0.0),
            "no_data": no_data,
        }
        for i in HUNAN.indicators
    ]


def _timeliness(rows: list[tuple]) -> pd.DataFrame:
    records = []
    for cid, kind, status, approved, version in rows:
        records.append(
            {
                "consortium_id": cid,
                "name": REGISTRY.loc[cid, "name"],
                "province_code": "14",
                "year": 2025,
                "kind": kind,
                "due_date": date(2025, 12, 15) if kind == "summary" else date(2025, 1, 15),
                "extended": False,
                "status": status,
                "days_late": 3 if status == "late" else None,
                "city_approved": approved,
                "first_version": version,
                "first_submitted_on": date(2025, 12, 18)
                if status == "late"
                else (date(2025, 12, 1) if version else None),
                "source_file": "f.csv" if version else None,
                "version": version,
            }
        )
    frame = pd.DataFrame(records, columns=list(TIMELINESS_COLUMNS))
    for column in ("days_late", "first_version", "version"):
        frame[column] = frame[column].astype("Int64")
    return frame


def _version(vid: int, cid: str, year: int, kind: str, version: int = 1) -> dict:
    return {
        "version_id": vid,
        "consortium_id": cid,
        "year": year,
        "kind": kind,
        "version": version,
        "submitted_on": date(year, 12, 1) if kind == "summary" else date(year, 1, 10),
        "city_approved_on": date(year, 12, 2),
        "source_file": f"{year}/{cid}-{kind}.csv",
        "sha256": f"{vid:064x}",
        "ingested_at": datetime(year, 12, 3, 1, 0, tzinfo=UTC),
        "withdrawn": False,
    }


def _cells(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            (cid, year, "summary", vid, field, value, state, withheld, None)
            for cid, year, vid, field, value, state, withheld in rows
        ],
        columns=list(CELL_COLUMNS),
    )


@pytest.fixture
def province() -> ProvinceYear:
    """Shanxi 2025: SX-2024-01 (on time, good), SX-2024-02 (late summary, warning), SX-2025-01 (no summary)."""
    scores = [
        _score("SX-2024-01", "大同市通用航空产教联合体", 82.6, "良好", 1),
        _score(
            "SX-2024-02",
            "示范区晋中开发区纺机液压产教联合体",
            61.0,
            "合格",
            2,
            plan_completed=False,
            plan_reason="",
            plan_unmet="co_majors;apprentices",
            adjustment=True,
        ),
        _score(
            "SX-2025-01",
            REGISTRY.loc["SX-2025-01", "name"],
            0.0,
            "不合格",
            3,
            note="no summary",
            plan_completed=False,
            plan_reason="no summary",
        ),
    ]
    indicators = (
        _indicators("SX-2024-01", {"I1": 10.0, "I2": 12.0, "I3": 16.0})
        + _indicators("SX-2024-02", {"I1": 6.0, "I2": 9.0, "I3": 8.0, "I7": -10.0})
        + _indicators("SX-2025-01", {}, no_data=True)
    )
    points = [
        {
            "consortium_id": "SX-2024-01",
            "point": "1.1",
            "indicator": "I1",
            "score": 100.0,
            "no_data": False,
            "basis": "成员类型 6/6 类 → 100.0",
        }
    ]
    versions = pd.DataFrame(
        [
            _version(1, "SX-2024-01", 2024, "summary"),
            _version(2, "SX-2024-01", 2025, "plan"),
            _version(3, "SX-2024-01", 2025, "summary"),
            _version(4, "SX-2024-02", 2025, "summary"),
        ]
    )
    values = {
        2: {
            "contact_name": FieldValue("contact_name", "王小明", "王小明"),
            "contact_phone": FieldValue("contact_phone", "13812345678", "13812345678"),
            "funding_total_10k": FieldValue("funding_total_10k", "306.61", "306.61", note="其中 王小明 负责联络"),
            "plan_text": FieldValue("plan_text", None, "联系 0351-7654567 或王小明。" + HOSTILE),
            "industry_codes": FieldValue("industry_codes", "C1;B2", "C1;B2"),
        },
        3: {
            "case_1_title": FieldValue("case_1_title", None, "校企共育" + HOSTILE),
            "case_1_text": FieldValue("case_1_text", None, "正文" * 150),
            "co_majors": FieldValue("co_majors", "abc", None, problem="“abc” is not a whole number"),
        },
        1: {},
        4: {},
    }
    cells = _cells(
        [
            ("SX-2024-01", 2024, 1, "ms_council", date(2024, 6, 16), "ok", ""),
            ("SX-2024-01", 2025, 3, "ms_council", None, "empty", ""),
            ("SX-2024-01", 2025, 3, "ms_charter", date(2024, 8, 20), "ok", ""),
            ("SX-2024-01", 2025, 3, "ms_operating_rules", None, "unusable", "ms_operating_rules.not_after"),
            ("SX-2024-01", 2025, 3, "ms_talent_plan", None, "empty", ""),
        ]
    )
    findings = pd.DataFrame(
        [
            {
                "consortium_id": "SX-2024-02",
                "kind": "summary",
                "version": 1,
                "version_id": 4,
                "field": "apprentices",
                "rule": "yoy",
                "rule_id": "apprentices.yoy",
                "severity": "warning",
                "veto": False,
                "message": "变化超过±50%",
                "fix": "",
                "value": "443",
                "involves": "apprentices",
                "explained": True,
                "explanation": "新开设学徒制班",
                "override_by": None,
                "override_at": None,
                "override_reason": None,
                "year": 2025,
            },
            {
                "consortium_id": "SX-2024-02",
                "kind": "summary",
                "version": 1,
                "version_id": 4,
                "field": "co_majors",
                "rule": "type",
                "rule_id": "co_majors.type",
                "severity": "fatal",
                "veto": False,
                "message": "不是整数",
                "fix": "",
                "value": "abc",
                "involves": "co_majors",
                "explained": False,
                "explanation": None,
                "override_by": None,
                "override_at": None,
                "override_reason": None,
                "year": 2025,
            },
            {
                "consortium_id": "SX-2024-02",
                "kind": "summary",
                "version": 1,
                "version_id": 4,
                "field": "patents",
                "rule": "warn_equal",
                "rule_id": "patents.warn_equal",
                "severity": "warning",
                "veto": False,
                "message": "等于 0",
                "fix": "",
                "value": "0",
                "involves": "patents",
                "explained": True,
                "explanation": None,
                "override_by": "审核员甲",
                "override_at": None,
                "override_reason": "确无专利",
                "year": 2025,
            },
        ]
    )
    registry = REGISTRY[REGISTRY["province_code"] == "14"]
    return ProvinceYear(
        year=2025,
        as_of=date(2026, 1, 31),
        province_code="14",
        province_name="山西省",
        department="山西省教育厅",
        framework=HUNAN,
        registry=registry,
        scores=scores,
        indicators=indicators,
        points=points,
        timeliness=_timeliness(
            [
                ("SX-2024-01", "plan", "on_time", True, 1),
                ("SX-2024-01", "summary", "on_time", True, 1),
                ("SX-2024-02", "plan", "on_time", False, 1),
                ("SX-2024-02", "summary", "late", True, 1),
                ("SX-2025-01", "plan", "late", False, 2),
                ("SX-2025-01", "summary", "missing", False, None),
            ]
        ),
        findings=findings,
        versions=versions,
        values=values,
        cells=cells,
        milestones=parse_milestones(data_text("milestones.csv")),
        layout=pd.DataFrame(),
        history={
            2024: {
                "scores": [
                    _score("SX-2024-01", "大同市通用航空产教联合体", 70.0, "合格", 2),
                    _score("SX-2024-02", "示范区晋中开发区纺机液压产教联合体", 75.0, "良好", 1),
                ],
                "indicators": [],
            }
        },
        generated_at=datetime(2026, 1, 31, 8, 0, tzinfo=UTC),
    )


def test_chapters_are_numbered_in_order_and_absent_ones_leave_no_gap():
    entries, titles = table_of_contents(
        (("a", "甲"), ("b", "乙"), ("c", "丙")), {"a", "c"}, [("appendix", "附录"), ("appendix-0", "1. 计划")]
    )
    assert entries == [("a", "一、甲", 1), ("c", "二、丙", 1), ("appendix", "附录", 1), ("appendix-0", "1. 计划", 2)]
    assert titles["c"] == "二、丙"


def test_appendix_rows_pair_short_values_and_give_long_text_its_own_row():
    short = [{"label": str(n), "wide": False} for n in range(3)]
    wide = {"label": "w", "wide": True}
    rows = paired([short[0], wide, short[1], short[2], {"label": "x", "wide": False}])
    assert [[f["label"] for f in row] for row in rows] == [["0"], ["w"], ["1", "2"], ["x"]]


def test_medians_leave_out_consortia_without_a_summary(province):
    medians = indicator_medians(province)
    assert medians["I1"] == 8.0  # median of 10 and 6; the no-summary 0 is not counted
    assert medians["I7"] == -5.0  # deductions are shown negative


def test_milestones_against_due_dates(province, catalogue):
    rows = {r["code"]: r for r in milestone_rows(province, "SX-2024-01", catalogue)}
    # Shanxi's 2024 batch: council, charter and rules due 2024-07-31 (milestones.csv).
    council = rows["ms_council"]
    assert (council["done"], council["due"], council["status"]) == (date(2024, 6, 16), date(2024, 7, 31), "按期完成")
    assert council["carried"] == "（沿用 2024 年总结）" and council["label"] == "理事会（董事会）成立"
    charter = rows["ms_charter"]
    assert (charter["status"], charter["days_late"]) == ("逾期完成", 20)
    assert rows["ms_operating_rules"]["status"] == "数据不可用"
    assert rows["ms_talent_plan"]["status"] == "未完成" and rows["ms_talent_plan"]["done_text"] == "—"
    # A consortium recognised in 2025 whose milestones fall due at the end of its first year: not yet due in a
    # 2024 report would be impossible, so check a due date after the report year directly.
    later = milestone_rows(replace(province, year=2024), "SX-2025-01", catalogue)
    assert {r["status"] for r in later} == {"未到期"}
    assert milestone_first_year(list(rows.values()), 2025) == 2024


def test_timeliness_bars_never_count_a_document_twice(province):
    plan, summary = timeliness_bars(province.timeliness)
    assert plan.counts == {"按时": 1, "逾期": 0, "未报送": 0, "未经地市审核": 2, "未到截止日期": 0}
    assert summary.counts == {"按时": 1, "逾期": 1, "未报送": 1, "未经地市审核": 0, "未到截止日期": 0}
    assert sum(plan.counts.values()) == sum(summary.counts.values()) == 3


def test_findings_most_severe_first_with_explanation_or_override(province, catalogue):
    rows = finding_rows(province.findings, catalogue)
    assert [r["severity"] for r in rows] == ["fatal", "warning", "warning"]
    by_field = {r["field"]: r for r in rows}
    assert by_field["apprentices"]["handled"] == "填报说明：新开设学徒制班"
    assert by_field["patents"]["handled"] == "审核人员认可：确无专利（审核员甲）"
    assert by_field["co_majors"]["status"] == "须修改后重新报送"
    assert by_field["co_majors"]["label"] == catalogue.label("co_majors")


def test_appendix_masks_personal_data_and_names_its_provenance(province, catalogue):
    plan, summary = appendix(province, "SX-2024-01", catalogue)
    fields = {f["code"]: f for s in plan["sections"] for row in s["rows"] for f in row}
    assert fields["contact_name"]["value"] == "王**"
    assert fields["contact_phone"]["value"] == "138****5678"
    assert fields["plan_text"]["value"].startswith("联系 0351-****567 或王**。")
    assert fields["funding_total_10k"]["value"] == "306.61万元"
    assert fields["funding_total_10k"]["note"] == "其中 王** 负责联络"
    assert fields["industry_codes"]["value"] == "C1；B2"
    provenance = dict(plan["provenance"])
    assert provenance["来源文件"] == "2025/SX-2024-01-plan.csv"
    assert provenance["文件内容哈希（SHA-256）"] == f"{2:064x}"
    assert provenance["版本"] == "第 1 版" and provenance["报送日期"] == "2025-01-10"
    assert provenance["评价指标体系版本"].startswith(f"hunan-2024 {HUNAN.version}")
    assert provenance["生成程序版本"] == "chanjiao 0.1.0"
    unreadable = {f["code"]: f for s in summary["sections"] for row in s["rows"] for f in row}["co_majors"]
    assert (unreadable["value"], unreadable["status"]) == ("abc", "无法识别：“abc” is not a whole number")
    # Empty fields are named once per section, not given a row each.
    assert all(f["status"] != "未填报" for s in plan["sections"] for row in s["rows"] for f in row)
    assert "秘书处所在单位" in next(s["empty"] for s in plan["sections"] if s["name"] == "A 基本情况")


def test_attachment_holds_exactly_the_consortiums_rows(province):
    document = json.loads(consortium_attachment(province, "SX-2024-02"))
    assert document["score"]["total"] == 61.0 and document["score"]["adjustment"] is True
    assert {row["consortium_id"] for row in document["indicators"]} == {"SX-2024-02"}
    assert len(document["indicators"]) == len(HUNAN.indicators)
    assert [f["field"] for f in document["findings"]] == ["apprentices", "co_majors", "patents"]
    assert document["framework"] == {"id": HUNAN.id, "version": HUNAN.version, "digest": HUNAN.digest}


def _csv_rows(content: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


def test_province_attachments_hold_the_provinces_tables(province):
    """Written out here by hand, not re-derived with the exporters (the end-to-end test checks the bytes
    equal the exported files)."""
    files = {name: content for name, content, _ in province_attachments(province)}
    assert list(files) == ["scores.csv", "points.csv", "findings.csv"]
    scores = _csv_rows(files["scores.csv"])
    assert [(r["consortium_id"], r["total"], r["grade"], r["rank"]) for r in scores] == [
        ("SX-2024-01", "82.6", "良好", "1"),
        ("SX-2024-02", "61.0", "合格", "2"),
        ("SX-2025-01", "0.0", "不合格", "3"),
    ]
    assert (scores[0]["I1"], scores[1]["I7"], scores[1]["adjustment"], scores[2]["note"]) == (
        "10.00",
        "-10.00",
        "true",
        "no summary",
    )
    assert _csv_rows(files["points.csv"]) == [
        {"consortium_id": "SX-2024-01", "indicator": "I1", "point": "1.1", "score": "100.00", "no_data": "false"}
    ]
    findings = _csv_rows(files["findings.csv"])
    assert [(f["field"], f["severity"], f["explanation"], f["override_by"]) for f in findings] == [
        ("co_majors", "fatal", "", ""),
        ("apprentices", "warning", "新开设学徒制班", ""),
        ("patents", "warning", "", "审核员甲"),
    ]


def test_alignment_prefers_the_submitted_industries_and_flags_those_outside_the_city_layout(province):
    from chanjiao.reference.registry import parse_layout

    layout = parse_layout(data_text("industry_layout_hunan.csv"))
    registry = REGISTRY[REGISTRY.index == "HN-2024-01"]  # 株洲市, registry says C1
    versions = pd.DataFrame([_version(9, "HN-2024-01", 2025, "summary")])
    values = {9: {"industry_codes": FieldValue("industry_codes", "B2;A1", "B2;A1")}}
    data = replace(province, province_code="43", registry=registry, layout=layout, versions=versions, values=values)
    (row,) = alignment_rows(data)
    assert row["source"] == "报送数据"
    assert [(i["code"], i["in_layout"], i["level"]) for i in row["industries"]] == [
        ("B2", True, "核心"),
        ("A1", False, ""),
    ]
    assert row["aligned"] is False
    assert alignment_rows(province) == []  # Shanxi has no layout table: no alignment chapter


def test_consortium_report_shows_the_headline_and_escapes_submitted_text(province, catalogue):
    context = consortium_context(province, "SX-2024-01", catalogue)
    assert context["headline"]["total"] == "82.6" and context["headline"]["grade"]["text"] == "良好"
    assert (context["headline"]["rank"], context["headline"]["of"]) == (1, 3)
    assert [r["year"] for r in context["trend"]["rows"]] == [2024, 2025]
    assert context["document"]["author"] == "山西省教育厅"
    assert [title for _, title, _ in context["sections"]][:3] == [
        "一、总体评价",
        "二、指标得分与全省中位数",
        "三、历年得分趋势",
    ]
    html = render_html("consortium.html.j2", context)
    assert "<img" not in html and "<link rel=attachment" not in html and "</style><style>" not in html
    assert "&lt;img src=&#34;file:///etc/passwd&#34;&gt;" in html  # the case title, as text
    assert "王小明" not in html and "13812345678" not in html and "7654567" not in html


def test_province_report_lists_adjustment_no_summary_and_timeliness(province, catalogue):
    context = province_context(province, catalogue)
    assert [r["id"] for r in context["ranking"]] == ["SX-2024-01", "SX-2024-02", "SX-2025-01"]
    assert context["ranking"][2]["note"] == "未报送年度工作总结"
    assert [r["id"] for r in context["adjustment"]] == ["SX-2024-02"]
    assert context["adjustment"][0]["unmet"] == "、".join(catalogue.label(c) for c in ("co_majors", "apprentices"))
    assert "alignment" not in context["titles"]
    summary = next(r for r in context["timeliness"]["rows"] if r["kind"] == "年度工作总结")
    assert (summary["按时"], summary["逾期"], summary["未报送"]) == (1, 1, 1)
    problems = {(p["id"], p["kind"]): p["what"] for p in context["timeliness"]["problems"]}
    assert problems[("SX-2024-02", "年度工作总结")] == "逾期 3 天"
    assert problems[("SX-2024-02", "年度工作计划")] == "按时；未经地市审核"
    assert problems[("SX-2025-01", "年度工作总结")] == "未报送"
    assert context["quality"]["totals"] == {"严重": 1, "警告": 2, "提示": 0}
    html = render_html("province.html.j2", context)
    assert "<img" not in html and "&lt;img" in html  # the hostile registry name, as text


def test_milestones_without_a_summary_this_year_keep_what_earlier_summaries_said(province, catalogue):
    cells = pd.concat(
        [
            province.cells[province.cells["year"] == 2024],
            _cells([("SX-2024-01", 2024, 1, "ms_charter", date(2026, 3, 1), "ok", "")]),
        ]
    )
    data = replace(province, cells=cells)
    rows = {r["code"]: r for r in milestone_rows(data, "SX-2024-01", catalogue)}
    assert (rows["ms_council"]["status"], rows["ms_council"]["carried"]) == ("按期完成", "（沿用 2024 年总结）")
    # A date after the report year is scored as not achieved (chanjiao.scoring.scores.milestone_score): not "late".
    assert (rows["ms_charter"]["status"], rows["ms_charter"]["days_late"]) == ("未完成", None)
    assert rows["ms_charter"]["carried"] == "（填报日期晚于 2025 年底）"


def test_a_milestone_not_due_on_the_as_of_date_is_not_yet_due(province, catalogue):
    data = replace(province, year=2024, as_of=date(2024, 7, 1), cells=_cells([]))
    rows = {r["code"]: r["status"] for r in milestone_rows(data, "SX-2024-01", catalogue)}
    assert rows["ms_council"] == "未到期"  # due 2024-07-31
    assert rows["ms_talent_plan"] == "未到期"
    late = replace(data, as_of=date(2024, 8, 15))
    assert {r["code"]: r["status"] for r in milestone_rows(late, "SX-2024-01", catalogue)}["ms_council"] == "未完成"


def test_indicator_bars_are_out_of_100(province, catalogue, monkeypatch):
    from chanjiao.reporting import charts

    seen = []
    monkeypatch.setattr(charts, "indicator_chart", lambda bars: seen.extend(bars) or "")
    consortium_context(province, "SX-2024-01", catalogue)
    i3 = next(bar for bar in seen if bar.code == "I3")
    assert (i3.score, i3.weight, i3.median) == (16.0, 100.0, 12.0)


def test_the_appendix_names_each_section_as_the_workbook_does(province, catalogue):
    from openpyxl import load_workbook

    from chanjiao.intake.template import blank_workbook

    documents = appendix(province, "SX-2024-01", catalogue)
    for kind, document in zip(("plan", "summary"), documents, strict=True):
        guide = load_workbook(io.BytesIO(blank_workbook(catalogue, province.year, kind)))["填报说明"]
        in_workbook = {row[1]: row[0] for row in guide.iter_rows(values_only=True) if row[1] in catalogue}
        shown = [
            (f["code"], section["name"]) for section in document["sections"] for row in section["rows"] for f in row
        ]
        assert shown and all(in_workbook[code] == name for code, name in shown)
        assert {name for _, name in shown} <= set(in_workbook.values())
    assert "A 基本情况" in {section["name"] for section in documents[0]["sections"]}  # the reports' wording


def test_a_province_with_no_one_scored_still_gets_a_readable_report(province, catalogue):
    empty = replace(
        province,
        scores=[],
        indicators=[],
        points=[],
        timeliness=province.timeliness.iloc[0:0],
        findings=province.findings.iloc[0:0],
        registry=province.registry.iloc[0:0],
    )
    context = province_context(empty, catalogue)
    assert context["ranking"] == [] and context["total_median"] == "—"
    html = render_html("province.html.j2", context)
    assert "无参评联合体。" in html and "暂无评分" in html and "未发现数据质量问题。" in html
