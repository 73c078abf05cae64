"""Accepting a file as a version, and every rejection reason of docs/DOMAIN.md naming file and field."""

from datetime import date, datetime
from decimal import Decimal

import pytest
from builders import csv_bytes, json_bytes, minimal_fields, xlsx_bytes

from chanjiao.common.errors import RejectedFile
from chanjiao.intake.ingest import content_hash, folder_year, parse_submission

REGISTRY = {"SX-2024-01", "SX-2024-02"}


def accept(catalogue, name, content):
    return parse_submission(name, content, catalogue, REGISTRY)


def reject(catalogue, name, content) -> RejectedFile:
    with pytest.raises(RejectedFile) as caught:
        parse_submission(name, content, catalogue, REGISTRY)
    return caught.value


def test_a_file_in_each_format_is_the_same_submission(catalogue):
    fields = minimal_fields(
        kind="summary",
        submitted_on="2025年12月1日",
        city_approved_on="2025/11/28",
        co_majors="1,234",
        employment_rate_pct="85%",
        integrity_pledge="是",
    )
    xlsx_fields = {**fields, "submitted_on": datetime(2025, 12, 1), "employment_rate_pct": 0.85, "co_majors": 1234}
    submissions = [
        accept(catalogue, "2025/a.csv", csv_bytes(fields, encoding="gb18030")),
        accept(catalogue, "2025/a.json", json_bytes(fields)),
        accept(
            catalogue,
            "2025/a.xlsx",
            xlsx_bytes(xlsx_fields, formats={"employment_rate_pct": "0%", "submitted_on": "yyyy-mm-dd"}),
        ),
    ]
    for submission in submissions:
        assert (submission.consortium_id, submission.year, submission.kind) == ("SX-2024-01", 2025, "summary")
        assert submission.submitted_on == date(2025, 12, 1)
        assert submission.city_approved_on == date(2025, 11, 28)
        assert submission.values["co_majors"].value == 1234
        assert submission.values["employment_rate_pct"].value == Decimal(85)
        assert submission.values["integrity_pledge"].value is True


def test_bad_values_are_kept_with_their_problem_not_rejected(catalogue):
    submission = accept(catalogue, "2025/a.csv", csv_bytes(minimal_fields(co_majors="十二", ms_council="下周")))
    assert submission.values["co_majors"].value is None
    assert submission.values["co_majors"].raw == "十二"
    assert "not a number" in submission.values["co_majors"].problem
    assert submission.values["ms_council"].problem


def test_notes_are_kept(catalogue):
    submission = accept(catalogue, "2025/a.csv", csv_bytes(minimal_fields(co_majors=40), {"co_majors": "新设专业群"}))
    assert submission.values["co_majors"].note == "新设专业群"


def test_hash_and_folder_year():
    assert content_hash(b"abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert folder_year("2025/a.csv") == 2025
    assert folder_year("2025/sub/a.csv") == 2025
    assert folder_year("misc/a.csv") is None


@pytest.mark.parametrize(
    "fields, field, reason",
    [
        (minimal_fields(co_majorz=3), "co_majorz", "unknown field code co_majorz"),
        ({k: v for k, v in minimal_fields().items() if k != "consortium_id"}, "consortium_id", "联合体编号 is missing"),
        ({k: v for k, v in minimal_fields().items() if k != "year"}, "year", "年度 is missing"),
        ({k: v for k, v in minimal_fields().items() if k != "kind"}, "kind", "材料类型 is missing"),
        ({k: v for k, v in minimal_fields().items() if k != "submitted_on"}, "submitted_on", "报送日期 is missing"),
        (minimal_fields(submitted_on=""), "submitted_on", "报送日期 is missing"),
        (minimal_fields(consortium_id="  "), "consortium_id", "联合体编号 is missing"),
        (minimal_fields(year="二〇二五"), "year", "年度 cannot be read"),
        (minimal_fields(kind="年报"), "kind", "材料类型 cannot be read"),
        (minimal_fields(submitted_on="下周一"), "submitted_on", "报送日期 cannot be read"),
        (minimal_fields(consortium_id="SX-2099-99"), "consortium_id", "SX-2099-99 is not in the consortium registry"),
        (minimal_fields(year=2024), "year", "differs from the inbox folder 2025"),
    ],
    ids=[
        "unknown-code",
        "no-consortium",
        "no-year",
        "no-kind",
        "no-date",
        "empty-date",
        "blank-consortium",
        "bad-year",
        "bad-kind",
        "bad-date",
        "unregistered",
        "wrong-folder",
    ],
)
def test_rejections_name_file_and_field(catalogue, fields, field, reason):
    error = reject(catalogue, "2025/bad.csv", csv_bytes(fields))
    assert error.field == field
    assert reason in error.reason
    line = str(error)
    assert line.startswith("2025/bad.csv") and f"field {field}" in line and "\n" not in line


def test_duplicate_field_code_is_rejected(catalogue):
    content = csv_bytes(minimal_fields(), rows=[["year", "", "2025", ""]])
    error = reject(catalogue, "2025/dup.csv", content)
    assert error.field == "year"
    assert "more than once (row 3, row 6)" in error.reason


def test_several_unknown_codes_are_all_named(catalogue):
    error = reject(catalogue, "2025/x.json", json_bytes(minimal_fields(foo=1, bar=2)))
    assert error.reason == "unknown field codes bar, foo"


def test_unparseable_file_is_rejected(catalogue):
    error = reject(catalogue, "2025/x.xlsx", b"PK\x03\x04garbage")
    assert error.field == "-"
    assert "not a valid .xlsx workbook" in str(error)


def test_full_width_consortium_id_is_folded_before_the_registry_lookup(catalogue):
    submission = accept(catalogue, "2025/a.csv", csv_bytes(minimal_fields(consortium_id="ＳＸ－２０２４－０２")))
    assert submission.consortium_id == "SX-2024-02"


def test_formula_without_a_saved_result_is_a_problem_or_a_rejection(catalogue):
    from builders import excel_style_xlsx

    rows = [
        ("consortium_id", "SX-2024-01", ""),
        ("year", 2025, ""),
        ("kind", "plan", ""),
        ("submitted_on", 45667, "date"),
        ("co_courses", ("=SUM(C20:C30)", None), ""),
    ]
    submission = accept(catalogue, "2025/f.xlsx", excel_style_xlsx(rows))
    assert "has no saved result" in submission.values["co_courses"].problem
    assert submission.values["co_courses"].raw == "=SUM(C20:C30)"
    rows[3] = ("submitted_on", ("=TODAY()", None), "date")
    error = reject(catalogue, "2025/f.xlsx", excel_style_xlsx(rows))
    assert error.field == "submitted_on" and "formula =TODAY() has no saved result" in error.reason


def test_a_nul_character_is_rejected_naming_the_field(catalogue):
    error = reject(catalogue, "2025/n.json", json_bytes(minimal_fields(plan_text="计划\x00正文")))
    assert error.field == "plan_text" and "NUL" in error.reason


def test_a_reason_is_always_one_line(catalogue):
    error = reject(catalogue, "2025/m.csv", csv_bytes(minimal_fields(), rows=[["co_\nmajors", "", "1", ""]]))
    assert "\n" not in str(error) and "unknown field code co_ majors" in str(error)


def test_a_date_with_a_time_of_day(catalogue):
    submission = accept(catalogue, "2025/t.csv", csv_bytes(minimal_fields(submitted_on="2025-01-10 10:30")))
    assert submission.submitted_on == date(2025, 1, 10)
