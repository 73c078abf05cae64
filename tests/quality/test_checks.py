"""The pure half of data quality: the frame, derived columns, and what findings mean afterwards."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pandas as pd
import pytest

from chanjiao.common.errors import ConfigurationError, NotFoundError
from chanjiao.intake.ingest import FieldValue
from chanjiao.quality import checks as q


def fv(code, value, raw=None, problem=None, note=None):
    return FieldValue(code, raw if raw is not None else value, value, problem, note)


VERSIONS = pd.DataFrame(
    [
        {"version_id": 1, "consortium_id": "SX-2024-01", "year": 2025, "kind": "summary", "version": 1},
        {"version_id": 2, "consortium_id": "HN-2024-01", "year": 2025, "kind": "summary", "version": 1},
    ]
)


def frame(catalogue, reference, values, previous=None):
    context = q.QualityContext(registry=reference.registry, layout=reference.layout, previous=previous or {})
    return q.derive_columns(q.submission_frame(VERSIONS, values, catalogue), catalogue, context)


def test_the_frame_has_typed_columns_and_the_text_that_did_not_parse(catalogue, reference):
    values = {
        1: {
            "co_majors": fv("co_majors", None, raw="十二", problem="not a number"),
            "ms_council": fv("ms_council", "2025-03-01"),
            "employment_rate_pct": fv("employment_rate_pct", "92.5"),
        },
        2: {},
    }
    f = frame(catalogue, reference, values)
    assert f.loc[0, "co_majors__unparsed"] == "十二" and pd.isna(f.loc[0, "co_majors"])
    assert f.loc[0, "employment_rate_pct"] == 92.5 and f["employment_rate_pct"].dtype == "float64"
    assert f.loc[0, "ms_council"] == pd.Timestamp("2025-03-01")
    assert list(f["kind"]) == ["summary", "summary"] and list(f["consortium_id"]) == ["SX-2024-01", "HN-2024-01"]
    assert f.loc[0, "co_majors__submitted"] is True and f.loc[1, "co_majors__submitted"] is None


def test_the_sum_residual_is_exact_and_missing_parts_leave_it_unevaluated(catalogue, reference):
    parts = {
        "funding_lead_10k": "0.1",
        "funding_government_10k": "0.2",
        "funding_members_10k": "0",
        "funding_other_10k": "0",
    }
    values = {
        1: {"funding_total_10k": fv("funding_total_10k", "0.3"), **{k: fv(k, v) for k, v in parts.items()}},
        2: {"funding_total_10k": fv("funding_total_10k", "5"), "funding_lead_10k": fv("funding_lead_10k", "5")},
    }
    f = frame(catalogue, reference, values)
    assert f.loc[0, "funding_total_10k__sum_residual"] == 0.0  # 0.1 + 0.2 is 0.3 in decimal arithmetic
    assert pd.isna(f.loc[1, "funding_total_10k__sum_residual"])


def test_year_over_year_uses_only_a_usable_nonzero_previous_value(catalogue, reference):
    values = {
        1: {
            "apprentices": fv("apprentices", "160"),
            "field_engineers": fv("field_engineers", "40"),
            "co_majors": fv("co_majors", "9"),
        },
        2: {"apprentices": fv("apprentices", "10")},
    }
    previous = {
        "SX-2024-01": q.usable_previous(
            catalogue,
            {
                "apprentices": fv("apprentices", "100"),
                "field_engineers": fv("field_engineers", "0"),
                "co_majors": fv("co_majors", "5000"),  # out of range last year: unusable
                "employment_rate_pct": fv("employment_rate_pct", None, raw="x", problem="bad"),
            },
        )
    }
    f = frame(catalogue, reference, values, previous)
    assert f.loc[0, "apprentices__yoy_change"] == pytest.approx(0.6)
    assert f.loc[0, "apprentices__previous"] == 100.0
    assert pd.isna(f.loc[0, "field_engineers__yoy_change"]) and pd.isna(f.loc[0, "co_majors__yoy_change"])
    assert pd.isna(f.loc[1, "apprentices__yoy_change"])  # no previous summary at all
    assert previous["SX-2024-01"] == {"apprentices": 100, "field_engineers": 0}


def test_layout_uses_a_usable_submitted_value_else_the_registry(catalogue, reference):
    values = {
        1: {"industry_codes": fv("industry_codes", "A1")},  # Shanxi: no layout table
        2: {"industry_codes": fv("industry_codes", "C1;Z9")},
    }  # unknown code: registry's C1 is used
    f = frame(catalogue, reference, values)
    assert pd.isna(f.loc[0, "industry_codes__outside_layout"])
    assert f.loc[1, "industry_codes__unknown_codes"] == "Z9"
    assert pd.isna(f.loc[1, "industry_codes__outside_layout"])


def test_names_compare_after_nfkc_without_whitespace():
    assert q.normalise_name("大同市 通用航空　产教联合体（Ａ）") == "大同市通用航空产教联合体(A)"


FINDINGS = pd.DataFrame(
    [
        {
            "version_id": 1,
            "field": "apprentices",
            "rule": "yoy",
            "rule_id": "apprentices.yoy",
            "severity": "warning",
            "veto": False,
            "message": "m",
            "fix": "f",
            "value": "100人 → 160人",
            "involves": "apprentices",
            "explanation": None,
        },
        {
            "version_id": 1,
            "field": "employment_rate_pct",
            "rule": "warn_equal",
            "rule_id": "employment_rate_pct.warn_equal",
            "severity": "warning",
            "veto": False,
            "message": "m",
            "fix": "f",
            "value": "100%",
            "involves": "employment_rate_pct",
            "explanation": "全部就业",
        },
        {
            "version_id": 1,
            "field": "secretariat_staff_total",
            "rule": "sum_eq",
            "rule_id": "secretariat_staff_total.sum_eq",
            "severity": "fatal",
            "veto": False,
            "message": "m",
            "fix": "f",
            "value": "13人 ≠ 12人",
            "involves": "secretariat_staff_total;secretariat_staff_fulltime;secretariat_staff_parttime",
            "explanation": "含退休返聘",
        },
        {
            "version_id": 1,
            "field": "violations_count",
            "rule": "veto",
            "rule_id": "violations_count.veto",
            "severity": "warning",
            "veto": True,
            "message": "m",
            "fix": "f",
            "value": "1件",
            "involves": "violations_count",
            "explanation": "已整改",
        },
        {
            "version_id": 1,
            "field": "consortium_id",
            "rule": "type",
            "rule_id": "consortium_id.type",
            "severity": "fatal",
            "veto": False,
            "message": "m",
            "fix": "f",
            "value": "=A1",
            "involves": "consortium_id",
            "explanation": None,
        },
    ]
)
AT = datetime(2025, 12, 20, 2, 0, tzinfo=UTC)


def override(rule, field, value, **extra):
    return q.Override(
        consortium_id="SX-2024-01",
        year=2025,
        kind="summary",
        field=field,
        rule=rule,
        value=value,
        reason="已核实",
        by="李审核",
        at=AT,
        **extra,
    )


def test_a_warning_is_explained_by_its_note_or_an_override_with_an_unchanged_value():
    annotated = q.annotate(FINDINGS, VERSIONS, [override("yoy", "apprentices", "100人 → 160人")])
    by_rule = annotated.set_index("rule")
    assert by_rule.loc["yoy", "explained"] and by_rule.loc["yoy", "override_by"] == "李审核"
    assert by_rule.loc["warn_equal", "explained"] and by_rule.loc["warn_equal", "override_by"] is None
    changed = q.annotate(FINDINGS, VERSIONS, [override("yoy", "apprentices", "100人 → 150人")])
    assert not changed.set_index("rule").loc["yoy", "explained"]


def test_fatal_and_veto_findings_are_never_explained():
    annotated = q.annotate(FINDINGS, VERSIONS, [override("veto", "violations_count", "1件")]).set_index("rule")
    assert not annotated.loc["sum_eq", "explained"] and annotated.loc["sum_eq", "explanation"] == "含退休返聘"
    assert not annotated.loc["veto", "explained"] and annotated.loc["veto", "override_by"] is None


def test_a_fatal_rule_makes_every_non_meta_field_it_involves_unusable(catalogue):
    assert q.unusable_fields(FINDINGS, catalogue) == {
        1: frozenset({"secretariat_staff_total", "secretariat_staff_fulltime", "secretariat_staff_parttime"})
    }


def test_override_target_names_the_one_finding_or_says_why_not():
    records = FINDINGS.to_dict("records")
    kwargs = dict(consortium_id="SX-2024-01", where="the 2025 summary v1")
    assert q.override_target(records, "yoy", None, **kwargs)["field"] == "apprentices"
    assert q.override_target(records, "apprentices.yoy", "apprentices", **kwargs)["rule"] == "yoy"
    with pytest.raises(NotFoundError, match="no le finding"):
        q.override_target(records, "le", None, **kwargs)
    with pytest.raises(ConfigurationError, match="fatal and cannot be overridden"):
        q.override_target(records, "sum_eq", None, **kwargs)
    with pytest.raises(ConfigurationError, match="veto and cannot be overridden"):
        q.override_target(records, "veto", None, **kwargs)
    twice = records + [{**records[0], "field": "field_engineers", "rule_id": "field_engineers.yoy"}]
    with pytest.raises(ConfigurationError, match="say which with --field"):
        q.override_target(twice, "yoy", None, **kwargs)


def test_counts_by_rule_and_severity_put_fatal_first():
    annotated = q.annotate(FINDINGS, VERSIONS, [])
    table = q.severity_counts(annotated)
    assert list(table["severity"]) == ["fatal", "fatal", "warning", "warning", "warning"]
    assert table.set_index("rule").loc["warn_equal", "explained"] == 1
    assert list(q.severity_counts(annotated.iloc[0:0]).columns) == [
        "rule",
        "severity",
        "findings",
        "versions",
        "explained",
    ]


def test_receipt_contacts_are_masked():
    values = {
        1: {"contact_name": fv("contact_name", "王小明"), "contact_phone": fv("contact_phone", "13812345678")},
        2: {"contact_name": fv("contact_name", "李四")},
    }
    assert q.masked_contacts(values) == {1: "王**（138****5678）", 2: "李*"}


def test_limits_are_the_catalogues(catalogue):
    assert q.within_limits(catalogue["employment_rate_pct"], Decimal("100"))
    assert not q.within_limits(catalogue["employment_rate_pct"], Decimal("100.1"))


def test_usable_values_withhold_what_a_fatal_finding_involves_and_say_why(catalogue):
    stored = {
        "secretariat_staff_total": fv("secretariat_staff_total", "13"),
        "secretariat_staff_fulltime": fv("secretariat_staff_fulltime", "8"),
        "apprentices": fv("apprentices", "160"),
        "co_majors": fv("co_majors", None, raw="十二", problem="bad"),
        "consortium_id": fv("consortium_id", "SX-2024-01"),
    }
    values, withheld = q.usable_values(catalogue, stored, FINDINGS, 1)
    assert values["apprentices"] == 160 and values["consortium_id"] == "SX-2024-01"
    assert values["secretariat_staff_total"] is None and values["secretariat_staff_fulltime"] is None
    assert values["co_majors"] is None
    assert withheld == {
        "secretariat_staff_total": ["secretariat_staff_total.sum_eq"],
        "secretariat_staff_fulltime": ["secretariat_staff_total.sum_eq"],
        "secretariat_staff_parttime": ["secretariat_staff_total.sum_eq"],
        "co_majors": ["co_majors.type"],
    }


def test_override_reasons_are_masked_like_notes():
    from chanjiao.intake.ingest import FieldValue
    from chanjiao.quality.checks import mask_override_reasons

    findings = pd.DataFrame({"version_id": [7, 7], "override_reason": ["已电话核实（联系人王小明 13812345678）", None]})
    values = {
        7: {
            "contact_name": FieldValue("contact_name", "王小明", "王小明"),
            "contact_phone": FieldValue("contact_phone", "13812345678", "13812345678"),
        }
    }
    masked = mask_override_reasons(findings, values)
    assert masked["override_reason"].tolist() == ["已电话核实（联系人王** 138****5678）", None]


# --- validation digests: a version whose inputs did not change is not validated again ---------------------------

DIGEST_VERSIONS = pd.DataFrame(
    [
        {
            "version_id": 11,
            "consortium_id": "SX-2024-01",
            "year": 2025,
            "kind": "summary",
            "version": 1,
            "sha256": "a" * 64,
        },
        {
            "version_id": 12,
            "consortium_id": "SX-2024-01",
            "year": 2025,
            "kind": "plan",
            "version": 1,
            "sha256": "b" * 64,
        },
        {
            "version_id": 13,
            "consortium_id": "SX-2024-02",
            "year": 2025,
            "kind": "summary",
            "version": 1,
            "sha256": "c" * 64,
        },
        {
            "version_id": 14,
            "consortium_id": "HN-2024-01",
            "year": 2025,
            "kind": "summary",
            "version": 1,
            "sha256": "d" * 64,
        },
    ]
)
LAST_SUMMARIES = pd.DataFrame(
    [
        {"version_id": 3, "consortium_id": "SX-2024-01", "year": 2024, "kind": "summary", "sha256": "e" * 64},
        {"version_id": 4, "consortium_id": "HN-2024-01", "year": 2024, "kind": "summary", "sha256": "f" * 64},
    ]
)


def digests(reference, versions=DIGEST_VERSIONS, registry=None, layout=None, last=LAST_SUMMARIES, rules="rules-1"):
    return q.validation_digests(
        versions,
        reference.registry if registry is None else registry,
        reference.layout if layout is None else layout,
        last,
        rules,
    )


def changed(before: dict, after: dict) -> set[int]:
    assert before.keys() == after.keys()
    return {vid for vid in before if before[vid] != after[vid]}


def test_the_same_inputs_give_the_same_digest_per_version(reference):
    first = digests(reference)
    assert set(first) == {11, 12, 13, 14} and all(isinstance(vid, int) for vid in first)
    assert all(len(value) == 64 for value in first.values())
    assert len(set(first.values())) == 4
    again = q.validation_digests(
        DIGEST_VERSIONS.copy(), reference.registry.copy(), reference.layout.copy(), LAST_SUMMARIES.copy(), "rules-1"
    )
    assert again == first
    # Row order does not matter, neither of the versions nor of the layout.
    shuffled = digests(
        reference,
        versions=DIGEST_VERSIONS.sample(frac=1, random_state=6),
        layout=reference.layout.sample(frac=1, random_state=6),
    )
    assert shuffled == first


def test_a_new_file_changes_only_its_versions_digest(reference):
    versions = DIGEST_VERSIONS.copy()
    versions.loc[versions["version_id"] == 13, "sha256"] = "9" * 64
    assert changed(digests(reference), digests(reference, versions=versions)) == {13}


def test_a_registry_change_reaches_only_that_consortiums_versions(reference):
    registry = reference.registry.copy()
    registry.loc["SX-2024-01", "name"] = "大同市通用航空产教联合体（更名）"
    assert changed(digests(reference), digests(reference, registry=registry)) == {11, 12}
    registry = reference.registry.copy()
    registry.loc["SX-2024-02", "city"] = "太原市"
    assert changed(digests(reference), digests(reference, registry=registry)) == {13}
    registry = reference.registry.copy()
    registry.loc["SX-2025-01", "name"] = "别的联合体"  # no version of it here
    assert changed(digests(reference), digests(reference, registry=registry)) == set()


def test_last_years_summary_changes_that_consortiums_digests(reference):
    last = LAST_SUMMARIES.copy()
    last.loc[last["consortium_id"] == "SX-2024-01", "sha256"] = "0" * 64
    assert changed(digests(reference), digests(reference, last=last)) == {11, 12}
    last = LAST_SUMMARIES.copy()
    last.loc[last["consortium_id"] == "HN-2024-01", "version_id"] = 5  # a later version, same bytes
    assert changed(digests(reference), digests(reference, last=last)) == {14}
    added = pd.concat(
        [
            LAST_SUMMARIES,
            pd.DataFrame(
                [{"version_id": 6, "consortium_id": "SX-2024-02", "year": 2024, "kind": "summary", "sha256": "1" * 64}]
            ),
        ],
        ignore_index=True,
    )
    assert changed(digests(reference), digests(reference, last=added)) == {13}
    assert changed(digests(reference), digests(reference, last=LAST_SUMMARIES.iloc[0:0])) == {11, 12, 14}


def test_the_layout_and_the_rules_change_every_digest(reference):
    layout = reference.layout.copy()
    layout.loc[layout.index[0], "level"] = "core" if layout.loc[layout.index[0], "level"] != "core" else "key"
    assert changed(digests(reference), digests(reference, layout=layout)) == {11, 12, 13, 14}
    assert changed(digests(reference), digests(reference, layout=reference.layout.iloc[0:0])) == {11, 12, 13, 14}
    assert changed(digests(reference), digests(reference, rules="rules-2")) == {11, 12, 13, 14}


def test_a_consortium_not_in_the_registry_still_gets_a_digest(reference):
    versions = pd.DataFrame(
        [
            {
                "version_id": 21,
                "consortium_id": "XX-9999-01",
                "year": 2025,
                "kind": "plan",
                "version": 1,
                "sha256": "7" * 64,
            }
        ]
    )
    found = digests(reference, versions=versions)
    assert set(found) == {21} and len(found[21]) == 64
    assert digests(reference, versions=versions) == found
    assert q.validation_digests(versions.iloc[0:0], reference.registry, reference.layout, LAST_SUMMARIES, "r") == {}
