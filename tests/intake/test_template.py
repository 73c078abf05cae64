"""The blank workbook comes from the catalogue and, once filled, is accepted by ingest unchanged."""

import io
from datetime import datetime

from openpyxl import load_workbook

from chanjiao.intake.ingest import parse_submission
from chanjiao.intake.template import blank_workbook


def test_template_rows_labels_and_comments_follow_the_catalogue(catalogue):
    book = load_workbook(io.BytesIO(blank_workbook(catalogue, 2025, "summary")))
    sheet = book["填报数据"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("字段代码", "字段名称", "填报值", "说明")
    codes = [r[0] for r in rows[1:]]
    assert codes == [f.code for f in catalogue.for_kind("summary")]
    assert "plan_text" not in codes and "case_1_title" in codes
    by_code = {r[0]: r for r in rows[1:]}
    assert by_code["year"][2] == 2025 and by_code["kind"][2] == "summary"
    assert by_code["funding_total_10k"][1] == "运行经费总额（万元）"
    comment = sheet.cell(codes.index("employment_rate_pct") + 2, 2).comment.text
    assert "取值范围：0 ～ 100" in comment and "必填" in comment and "百分比" in comment
    assert "字数上限：2000 字" in sheet.cell(codes.index("innovation_text") + 2, 2).comment.text
    assert "填报说明" in book.sheetnames


def test_template_speaks_the_reports_language(catalogue):
    """Kinds, sections and types come from chanjiao/data/labels.csv, in the wording the reports print."""
    book = load_workbook(io.BytesIO(blank_workbook(catalogue, 2025, "summary")))
    guide = list(book["填报说明"].iter_rows(values_only=True))
    assert guide[0][0] == "2025 年市域产教联合体年度工作总结（含典型案例）填报模板"
    sections = {row[1]: row[0] for row in guide if row[1] in catalogue}
    assert sections["secretariat_org"] == "A 基本情况" and sections["consortium_id"] == "基本信息"
    types = {row[1]: row[3] for row in guide if row[1] in catalogue}
    assert types["employment_rate_pct"] == "百分比（填 85 或 85%）" and types["co_majors"] == "整数"
    codes = [r[0] for r in book["填报数据"].iter_rows(min_row=2, values_only=True)]
    kind_hint = book["填报数据"].cell(codes.index("kind") + 2, 2).comment.text
    assert "可选：plan（年度工作计划） / summary（年度工作总结）" in kind_hint  # names intake reads back


def test_plan_template_has_the_plan_fields(catalogue):
    sheet = load_workbook(io.BytesIO(blank_workbook(catalogue, 2026, "plan")))["填报数据"]
    codes = [r[0] for r in sheet.iter_rows(min_row=2, values_only=True)]
    assert "plan_text" in codes and "case_1_title" not in codes


def test_a_filled_template_is_accepted(catalogue):
    book = load_workbook(io.BytesIO(blank_workbook(catalogue, 2025, "plan")))
    sheet = book["填报数据"]
    filled = {
        "consortium_id": "SX-2024-01",
        "submitted_on": datetime(2025, 1, 10),
        "co_majors": 12,
        "integrity_pledge": "是",
        "plan_text": "年度计划",
    }
    for row in sheet.iter_rows(min_row=2):
        if row[0].value in filled:
            row[2].value = filled[row[0].value]
    buffer = io.BytesIO()
    book.save(buffer)
    submission = parse_submission("2025/t.xlsx", buffer.getvalue(), catalogue, {"SX-2024-01"})
    assert (submission.consortium_id, submission.year, submission.kind) == ("SX-2024-01", 2025, "plan")
    assert submission.values["co_majors"].value == 12
    assert submission.values["integrity_pledge"].value is True
    assert submission.values["co_courses"].value is None  # blank rows are kept as missing
