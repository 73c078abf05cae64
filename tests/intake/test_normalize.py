"""Every normalisation case of the input contract (docs/DOMAIN.md, "Values as people type them")."""

from datetime import date, datetime
from decimal import Decimal

import pytest

from chanjiao.intake.normalize import (
    PercentCell,
    ValueProblem,
    from_storage,
    parse_bool,
    parse_codes,
    parse_date,
    parse_decimal,
    parse_enum,
    parse_int,
    parse_percent,
    parse_value,
    raw_text,
    to_storage,
)


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("１２３", 123),  # full-width digits
        ("1,234", 1234),  # thousands separator
        ("１，２３４", 1234),  # full-width comma as separator
        ("12 345", 12345),
        (" 42 ", 42),
        (7, 7),
        (7.0, 7),  # Excel stores whole numbers as floats
        ("-3", -3),
    ],
)
def test_int_forms(raw, expected):
    assert parse_int(raw) == expected


@pytest.mark.parametrize(
    "raw, reason",
    [
        ("十二", "not a number"),
        ("12.5", "not a whole number"),
        ("1,23", "not a number"),  # not a thousands grouping
        (True, "yes/no"),
        (datetime(2025, 1, 1), "date"),
    ],
)
def test_int_problems(raw, reason):
    with pytest.raises(ValueProblem, match=reason):
        parse_int(raw)


def test_decimal_keeps_exact_value():
    assert parse_decimal("1,234.50") == Decimal("1234.5")
    assert parse_decimal(0.1) == Decimal("0.1")  # repr, not binary float noise
    assert parse_decimal("３．５") == Decimal("3.5")


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("85%", Decimal(85)),
        ("85％", Decimal(85)),  # full-width percent sign
        ("85", Decimal(85)),
        (85, Decimal(85)),
        ("85.5 %", Decimal("85.5")),
        (PercentCell(Decimal("0.85")), Decimal(85)),  # Excel cell formatted as percent holding 0.85
        (PercentCell(Decimal("0.9125")), Decimal("91.25")),
    ],
)
def test_percent_forms(raw, expected):
    assert parse_percent(raw) == expected


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("2024-07-15", date(2024, 7, 15)),
        ("2024/7/15", date(2024, 7, 15)),
        ("2024年7月15日", date(2024, 7, 15)),
        ("２０２４年７月１５日", date(2024, 7, 15)),  # full-width digits in a Chinese date
        ("2024.07.15", date(2024, 7, 15)),
        ("2024-07-15 00:00:00", date(2024, 7, 15)),  # a date exported with a midnight time
        (datetime(2024, 7, 15), date(2024, 7, 15)),  # Excel date cell
        (date(2024, 7, 15), date(2024, 7, 15)),
        (45488, date(2024, 7, 15)),  # Excel serial day number that lost its format
    ],
)
def test_date_forms(raw, expected):
    assert parse_date(raw) == expected


@pytest.mark.parametrize("raw", ["下周一", "2024-02-30", "15/07/2024", "2024", 12])
def test_date_problems(raw):
    with pytest.raises(ValueProblem):
        parse_date(raw)


@pytest.mark.parametrize(
    "raw, expected",
    [("是", True), ("否", False), ("true", True), ("FALSE", False), (True, True), (0, False), ("ｙｅｓ", True)],
)
def test_bool_forms(raw, expected):
    assert parse_bool(raw) is expected


def test_bool_problem():
    with pytest.raises(ValueProblem, match="是/否"):
        parse_bool("也许")


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("plan", "plan"),
        ("Summary", "summary"),
        ("全年工作计划", "plan"),
        ("全年工作总结（含典型案例）", "summary"),
        ("总结", "summary"),
    ],
)
def test_kind_aliases(raw, expected):
    assert parse_enum(raw, ("plan", "summary")) == expected


def test_kind_problem():
    with pytest.raises(ValueProblem, match="plan/summary"):
        parse_enum("年报", ("plan", "summary"))


def test_codes_split_on_chinese_and_ascii_separators():
    assert parse_codes("A1；B2、C3, D4") == ("A1", "B2", "C3", "D4")


def test_empty_means_missing(catalogue):
    for code in ("co_majors", "ms_council", "policy_text", "integrity_pledge", "employment_rate_pct"):
        assert parse_value(catalogue[code], "  ") is None
        assert parse_value(catalogue[code], None) is None


def test_narrative_text_keeps_chinese_punctuation_but_ids_are_folded(catalogue):
    text = "联合体（试点）建设，成效明显：１２项。"
    assert parse_value(catalogue["innovation_text"], f"  {text}\n") == text
    assert parse_value(catalogue["consortium_id"], "ＳＸ－２０２４－０１") == "SX-2024-01"
    assert parse_value(catalogue["contact_phone"], "０３５１－７６５４５６７") == "0351-7654567"
    assert (
        parse_value(catalogue["consortium_name"], "太忻（智能制造）市域产教联合体") == "太忻（智能制造）市域产教联合体"
    )


def test_raw_text_shows_what_the_submitter_saw():
    assert raw_text(PercentCell(Decimal("0.85"))) == "85%"
    assert raw_text(datetime(2024, 7, 15)) == "2024-07-15"
    assert raw_text(12.0) == "12"
    assert raw_text(True) == "true"
    assert raw_text("") is None


@pytest.mark.parametrize(
    "code, raw",
    [
        ("co_majors", "1,234"),
        ("funding_total_10k", "12.50"),
        ("employment_rate_pct", "85%"),
        ("ms_council", "2024年7月1日"),
        ("integrity_pledge", "是"),
        ("industry_codes", "A1;B2"),
        ("kind", "总结"),
    ],
)
def test_storage_round_trip(catalogue, code, raw):
    field = catalogue[code]
    value = parse_value(field, raw)
    assert from_storage(field, to_storage(value)) == value
