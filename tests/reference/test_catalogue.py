"""The field catalogue loads, parses its rule grammar, and refuses a malformed copy with row and field."""

from decimal import Decimal

import pytest

from chanjiao.common.errors import CatalogueError
from chanjiao.reference.catalogue import load_catalogue, parse_catalogue

HEADER = (
    "code,section,label_zh,applies_to,type,unit,required_in,min,max,max_chars,rule,rule_severity,check_note,source\n"
)
IDENTITY = (
    "consortium_id,meta,编号,both,text,,both,,,32,,,,\nyear,meta,年度,both,int,,both,2023,2100,,,,,\n"
    "kind,meta,类型,both,enum(plan|summary),,both,,,,,,,\nsubmitted_on,meta,日期,both,date,,both,,,,,,,\n"
)


def test_project_catalogue(catalogue):
    assert len(catalogue) == 101
    funding = catalogue["funding_total_10k"]
    (rule,) = funding.rules
    assert rule.name == "sum_eq" and rule.tolerance == Decimal("0.01") and len(rule.fields) == 4
    assert rule.severity == "fatal"
    employment = catalogue["employment_rate_pct"].rules
    assert [(r.name, r.number, r.severity) for r in employment] == [
        ("warn_below", 50, "warning"),
        ("warn_equal", 100, "warning"),
    ]
    council = catalogue["ms_council"].rules[0]
    assert council.summary_only and council.applies_to("summary") and not council.applies_to("plan")
    assert catalogue["kind"].enum_values == ("plan", "summary")
    assert catalogue["internship_posts"].rules[0].number == Decimal("0.10")
    assert "core_products" in catalogue["lists_published"].rules[0].codes
    assert [f.code for f in catalogue.for_kind("plan")][:4] == ["consortium_id", "consortium_name", "year", "kind"]
    assert "plan_text" in catalogue.codes and "plan_text" not in [f.code for f in catalogue.for_kind("summary")]
    assert load_catalogue() is catalogue  # loaded once per process


@pytest.mark.parametrize(
    "row, message",
    [
        ("x,A,标签,both,float,,no,,,,,,,\n", "unknown type 'float'"),
        ("x,A,标签,both,int,,no,,,,frobnicate:y,fatal,,\n", "unknown rule 'frobnicate'"),
        ("x,A,标签,both,int,,no,,,,le:nowhere,fatal,,\n", "unknown field(s) nowhere"),
        ("x,A,标签,both,int,,no,,,,warn_below:abc,warning,,\n", "malformed rule"),
        ("x,A,标签,both,int,,no,,,,le:year,severe,,\n", "rule_severity 'severe'"),
        ("x,A,标签,sometimes,int,,no,,,,,,,\n", "applies_to must be"),
        ("x,A,标签,both,int,,no,ten,,,,,,\n", "min 'ten' is not a number"),
        ("year,A,标签,both,int,,no,,,,,,,\n", "duplicate field code"),
    ],
)
def test_malformed_catalogue_is_refused_with_its_row(row, message):
    with pytest.raises(CatalogueError, match=message.replace("(", r"\(").replace(")", r"\)")) as caught:
        parse_catalogue(HEADER + IDENTITY + row, "fields.csv")
    assert "fields.csv" in str(caught.value)


def test_adding_a_field_is_a_data_change():
    catalogue = parse_catalogue(HEADER + IDENTITY + "new_count,C,新指标,both,int,个,summary,0,10,,le:year,fatal,,\n")
    assert catalogue["new_count"].required("summary") and not catalogue["new_count"].required("plan")
    assert catalogue["new_count"].rules[0].fields == ("year",)
