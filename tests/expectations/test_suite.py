"""The suites are generated from the catalogue, use GE's own means, and are built once per process."""

from __future__ import annotations

from chanjiao.reference.catalogue import data_text, load_catalogue, parse_catalogue
from expectations.rules import build_rules, default_rules


def test_the_validator_is_built_once_per_process(validator):
    from expectations.suite import validator_for

    assert validator_for(load_catalogue()) is validator


def test_every_rule_is_an_expectation_in_the_suite_of_each_kind_it_applies_to(validator):
    ids = {kind: [e.meta["rule_id"] for e in suite.expectations] for kind, suite in validator.suites.items()}
    for spec in default_rules():
        for kind in ("plan", "summary"):
            assert (spec.rule_id in ids[kind]) == (spec.family == "type" or kind in spec.kinds), (spec.rule_id, kind)
    assert len(set(ids["summary"])) == len(ids["summary"])


def test_ge_own_means_are_used(validator):
    by_id = {e.meta["rule_id"]: e for suite in validator.suites.values() for e in suite.expectations}
    assert by_id["patents.le"].expectation_type == "expect_column_pair_values_a_to_be_greater_than_b"
    assert by_id["ms_council.not_after"].expectation_type == "expect_column_pair_values_a_to_be_greater_than_b"
    assert by_id["case_2_text.required_if"].row_condition is not None
    assert by_id["employment_rate_pct.warn_below"].severity.value == "warning"
    assert by_id["practice_hours_pct.warn_below"].severity.value == "info"
    assert by_id["co_majors.max"].severity.value == "critical"


def test_adding_a_field_with_a_rule_to_the_catalogue_adds_its_checks():
    from expectations.suite import expectation_for

    row = (
        "digital_courses,C_education,数字化课程数,both,int,门,summary,0,500,,le:co_courses,warning,"
        "must not exceed co_courses,project default\n"
    )
    catalogue = parse_catalogue(data_text("fields.csv") + row, "fields.csv + digital_courses")
    added = [spec for spec in build_rules(catalogue) if spec.field == "digital_courses"]
    assert [spec.rule_id for spec in added] == [
        "digital_courses.type",
        "digital_courses.required",
        "digital_courses.min",
        "digital_courses.max",
        "digital_courses.le",
        "digital_courses.yoy",
    ]
    le = next(spec for spec in added if spec.family == "le")
    assert le.severity == "warning" and le.message == "「数字化课程数」为{value}，大于「共建课程」的{other}。"
    assert expectation_for(le).column_B == "digital_courses"
