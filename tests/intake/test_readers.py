"""Reading the three formats, and refusing broken and hostile files quickly."""

from datetime import datetime
from decimal import Decimal

import pytest
from builders import (
    billion_laughs_xlsx,
    csv_bytes,
    excel_style_xlsx,
    external_entity_xlsx,
    json_bytes,
    lying_zip_bomb_xlsx,
    many_members_xlsx,
    minimal_fields,
    ratio_bomb_xlsx,
    wide_row_xlsx,
    xlsx_bytes,
    zip_bomb_xlsx,
)

from chanjiao.common.errors import RejectedFile
from chanjiao.intake.normalize import FormulaWithoutResult, PercentCell
from chanjiao.intake.readers import ReadLimits, read_rows


def values(rows):
    return {row.code: row.value for row in rows}


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_encodings(encoding):
    content = csv_bytes(minimal_fields(consortium_name="大同市通用航空产教联合体"), {"year": "按年度"}, encoding)
    rows = read_rows("2025/a.csv", content)
    assert values(rows)["consortium_name"] == "大同市通用航空产教联合体"
    assert {r.code: r.note for r in rows}["year"] == "按年度"
    assert values(rows)["year"] == "2025"


def test_csv_blank_and_heading_rows_are_skipped():
    content = csv_bytes(minimal_fields(), rows=[["", "", "", ""], ["", "A 联合体概况", "", ""]])
    assert [r.code for r in read_rows("a.csv", content)] == ["consortium_id", "year", "kind", "submitted_on"]


def test_a_title_line_above_the_header_and_spaced_header_names_are_fine():
    content = (
        "2025年度工作计划\n字段代码 , 字段 名称,填报值,说明\n" + csv_bytes(minimal_fields()).decode().split("\n", 1)[1]
    )
    assert [r.code for r in read_rows("a.csv", content.encode())][:2] == ["consortium_id", "year"]


def test_csv_value_without_code_is_rejected():
    content = csv_bytes(minimal_fields(), rows=[["", "某字段", "12", ""]])
    with pytest.raises(RejectedFile, match="row 6 has a value but no 字段代码"):
        read_rows("a.csv", content)


def test_xlsx_cells_keep_their_excel_meaning():
    content = xlsx_bytes(
        minimal_fields(employment_rate_pct=0.85, submitted_on=datetime(2025, 1, 10), co_majors=12),
        formats={"employment_rate_pct": "0%", "submitted_on": "yyyy-mm-dd"},
    )
    found = values(read_rows("2025/a.xlsx", content))
    assert found["employment_rate_pct"] == PercentCell(Decimal("0.85"))
    assert found["submitted_on"] == datetime(2025, 1, 10)
    assert found["co_majors"] == 12


def test_json_reader_takes_notes_and_lists():
    content = json_bytes(minimal_fields(lists_published=["core_products", "tech_needs"]), {"year": "说明"})
    rows = read_rows("a.json", content)
    assert values(rows)["lists_published"] == "core_products;tech_needs"
    assert {r.code: r.note for r in rows}["year"] == "说明"


@pytest.mark.parametrize(
    "name, content, reason",
    [
        ("a.xls", b"\xd0\xcf\x11\xe0", "unsupported file type .xls"),
        ("a.txt", b"hello", "unsupported file type .txt"),
        ("a.csv", b"", "file is empty"),
        ("a.csv", b"foo,bar\n1,2\n", "lacks the column 字段代码"),
        ("a.csv", b"\xff\xfe\x00a\x00b", "neither UTF-8 nor GB18030"),
        ("a.csv", b"a\x00b", "NUL bytes"),
        ("a.json", b"{not json", "not valid JSON"),
        ("a.json", b'{"values": {}}', "not a submission"),
        ("a.json", b'{"fields": {"year": 2025, "year": 2024}}', "duplicate field code year"),
        ("a.json", b'{"fields": {"year": {"v": 1}}}', "value must be a number"),
        ("a.xlsx", b"PK\x03\x04 truncated", "not a valid .xlsx workbook"),
        ("a.xlsx", b"plain text pretending", "not a valid .xlsx workbook"),
    ],
)
def test_broken_files_are_rejected_with_a_reason(name, content, reason):
    with pytest.raises(RejectedFile, match=reason) as caught:
        read_rows(name, content)
    assert str(caught.value).startswith(name)


def test_xlsx_without_the_data_sheet():
    with pytest.raises(RejectedFile, match="no sheet named 填报数据"):
        read_rows("a.xlsx", xlsx_bytes(minimal_fields(), sheet_name="Sheet1"))


def test_file_over_the_size_cap():
    with pytest.raises(RejectedFile, match="over the 100-byte limit"):
        read_rows("a.csv", csv_bytes(minimal_fields()), ReadLimits(max_file_bytes=100))


@pytest.mark.parametrize(
    "build, reason",
    [
        (zip_bomb_xlsx, r"unpacks to .*\(zip bomb\?\)"),
        (ratio_bomb_xlsx, "compresses .*:1"),
        (lying_zip_bomb_xlsx, "not a valid .xlsx workbook .*CRC"),
        (many_members_xlsx, "parts, over the limit"),
        (billion_laughs_xlsx, "declares a DTD or entities"),
        (external_entity_xlsx, "declares a DTD or entities"),
    ],
    ids=["zip-bomb", "ratio-bomb", "lying-zip-bomb", "many-members", "billion-laughs", "external-entity"],
)
def test_hostile_workbooks_are_rejected(build, reason):
    with pytest.raises(RejectedFile, match=reason):
        read_rows("2025/hostile.xlsx", build())


EXCEL_STYLE = [
    ("consortium_id", "SX-2024-01", ""),
    ("year", 2025, ""),
    ("kind", "plan", ""),
    ("submitted_on", 45667, "date"),
    ("employment_rate_pct", 0.855, "percent"),
    ("co_majors", "12", ""),
    ("secretariat_staff_total", ("=C10+C11", 5), ""),
    ("secretariat_staff_fulltime", 3, ""),
    ("secretariat_staff_parttime", 2, ""),
    ("co_courses", ("=SUM(C20:C30)", None), ""),
]


def test_a_workbook_written_the_excel_way():
    """Shared strings, styles by number format, a wrong <dimension>, a title row, the data sheet not first."""
    found = values(read_rows("2025/excel.xlsx", excel_style_xlsx(EXCEL_STYLE)))
    assert found["consortium_id"] == "SX-2024-01"
    assert found["submitted_on"] == datetime(2025, 1, 10)  # date cell (serial 45667, numFmt 14)
    assert found["employment_rate_pct"] == PercentCell(Decimal("0.855"))
    assert found["co_majors"] == "12"  # a number stored as text
    assert found["secretariat_staff_total"] == 5  # a formula's saved result
    assert found["co_courses"] == FormulaWithoutResult("=SUM(C20:C30)")  # a formula never calculated


def test_a_sheet_larger_than_any_submission_is_refused():
    with pytest.raises(RejectedFile, match="workbook XML is .* over the .*-byte limit"):
        read_rows("2025/wide.xlsx", wide_row_xlsx())


def test_xml_parts_must_be_utf8():
    with pytest.raises(RejectedFile, match="sheet1.xml is not UTF-8 XML"):
        read_rows("2025/u16.xlsx", excel_style_xlsx(EXCEL_STYLE, sheet_encoding="utf-16"))


def test_json_extra_top_level_keys_are_ignored_and_notes_keep_punctuation():
    content = json_bytes(minimal_fields(), {"year": "说明，含逗号（括号）"})[:-1] + b', "version": 2}'
    rows = read_rows("a.json", content)
    assert {r.code: r.note for r in rows}["year"] == "说明，含逗号（括号）"
