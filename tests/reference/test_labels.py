"""The Chinese labels (chanjiao/data/labels.csv): one file, every key the code uses has a label, no group names a
key twice, and the places that print a label print the same one."""

from __future__ import annotations

import csv
import io
import re
from importlib import resources
from pathlib import Path

import pytest
from openpyxl import load_workbook

from chanjiao.common.errors import ReferenceDataError
from chanjiao.intake.normalize import parse_enum
from chanjiao.intake.template import blank_workbook
from chanjiao.quality.timeliness import STATUSES as TIMELINESS_STATUSES
from chanjiao.reference.catalogue import KINDS, SEVERITIES, TYPES
from chanjiao.reference.labels import (
    GROUPS,
    kind_full_label,
    kind_label,
    label,
    label_or_key,
    labels,
    level_label,
    list_code_label,
    milestone_label,
    parse_labels,
    rule_family_label,
    score_note_label,
    section_label,
    severity_label,
    statuses,
    timeliness_label,
    type_hint,
    type_label,
)
from chanjiao.reference.registry import LEVELS
from chanjiao.scoring.scores import NO_PLAN, NO_SUMMARY
from expectations.rules import default_rules

ROOT = Path(__file__).resolve().parents[2]
HEADER = "group,key,label,note\n"


def _rows() -> list[dict]:
    text = resources.files("chanjiao").joinpath("data", "labels.csv").read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def test_the_file_ships_with_the_package_and_every_group_has_labels():
    rows = _rows()
    assert [r["group"] for r in rows] == sorted((r["group"] for r in rows), key=GROUPS.index)  # grouped, in order
    assert {r["group"] for r in rows} == set(GROUPS)
    assert all(labels(group) for group in GROUPS)
    assert all(r["label"].strip() == r["label"] and r["label"] for r in rows)


def test_no_group_names_a_key_twice():
    pairs = [(r["group"], r["key"]) for r in _rows()]
    assert len(pairs) == len(set(pairs))


def test_closed_vocabularies_have_exactly_the_codes_keys():
    assert tuple(labels("kind")) == KINDS
    assert tuple(labels("kind_full")) == KINDS
    assert tuple(labels("kind_as_written")) == KINDS
    assert tuple(labels("severity")) == SEVERITIES
    assert set(labels("type")) == set(TYPES)
    assert set(labels("type_hint")) <= set(TYPES)
    assert set(labels("level")) == set(LEVELS)
    assert set(labels("score_note")) == {NO_SUMMARY, NO_PLAN}
    # The stored statuses, plus the filed-but-not-city-approved count the reports and the run summary show.
    assert set(labels("timeliness")) == {*TIMELINESS_STATUSES, "not_city_approved"}


def test_every_section_of_the_catalogue_has_a_label(catalogue):
    assert {field.section for field in catalogue} == set(labels("section"))


def test_every_rule_family_has_a_label():
    assert {spec.family for spec in default_rules()} <= set(labels("rule_family"))


def test_every_known_list_code_has_a_label(catalogue):
    codes = {code for field in catalogue for rule in field.rules if rule.name == "known_codes" for code in rule.codes}
    assert codes and codes == set(labels("list_code"))


def test_labels_within_a_group_are_distinct():
    for group in GROUPS:
        printed = list(labels(group).values())
        assert len(printed) == len(set(printed)), group


def test_a_kind_as_the_reports_and_as_consortia_write_it_is_read_back_by_intake():
    for group in ("kind", "kind_as_written"):
        for kind, text in labels(group).items():
            assert parse_enum(text, KINDS) == kind, (group, text)


def test_the_reports_wording_is_the_one_in_force():
    """The PDFs and receipts printed these before the labels had one source; the workbook adopted them."""
    assert [kind_label(k) for k in KINDS] == ["年度工作计划", "年度工作总结"]
    assert [kind_full_label(k) for k in KINDS] == ["年度工作计划", "年度工作总结（含典型案例）"]
    assert section_label("A_profile") == "A 基本情况"
    assert section_label("B_milestones") == "B 建设进度（里程碑）"
    assert [severity_label(s) for s in SEVERITIES] == ["严重", "警告", "提示"]
    assert statuses("timeliness") == ("按时", "逾期", "未报送", "未经地市审核", "未到截止日期")
    assert statuses("milestone") == ("按期完成", "逾期完成", "未完成", "未到期", "数据不可用")
    assert type_label("percent") == "百分比（0–100）" and type_hint("percent") == "百分比（填 85 或 85%）"
    assert type_hint("int") == type_label("int") == "整数"
    # The sample's file-name wording is a different thing from the reports' and stays as consortia write it.
    assert labels("kind_as_written")["plan"] == "全年工作计划"


def test_closed_vocabularies_refuse_an_unknown_key_and_open_ones_print_it():
    for accessor in (kind_label, kind_full_label, severity_label, timeliness_label, milestone_label, type_label):
        with pytest.raises(KeyError, match="nope"):
            accessor("nope")
    for accessor in (section_label, rule_family_label, list_code_label, level_label, score_note_label):
        assert accessor("X_own") == "X_own"
    assert label_or_key("section", "A_profile") == label("section", "A_profile")
    with pytest.raises(KeyError, match="no label group"):
        labels("kinds")


def test_loaded_once_and_read_only():
    assert labels("kind") is labels("kind")
    with pytest.raises(TypeError):
        labels("kind")["plan"] = "计划"  # type: ignore[index]


@pytest.mark.parametrize(
    ("body", "row", "reason"),
    [
        ("kind,plan,计划,\nkind,plan,计划书,\n", 3, "duplicate key 'plan' in group kind"),
        ("kinds,plan,计划,\n", 2, "unknown group 'kinds'"),
        ("kind,plan,,\n", 2, "must not be empty"),
    ],
)
def test_a_malformed_copy_is_refused_with_its_row(body, row, reason):
    with pytest.raises(ReferenceDataError, match=re.escape(reason)) as caught:
        parse_labels(HEADER + body, "labels.csv")
    assert caught.value.row == row


def test_a_copy_with_other_columns_is_refused():
    with pytest.raises(ReferenceDataError, match="columns must be"):
        parse_labels("group,key,name\nkind,plan,计划\n")


def test_the_workbook_prints_the_labels(catalogue):
    for kind in KINDS:
        book = load_workbook(io.BytesIO(blank_workbook(catalogue, 2025, kind)))
        guide = list(book["填报说明"].iter_rows(values_only=True))
        assert guide[0][0] == f"2025 年市域产教联合体{kind_full_label(kind)}填报模板"
        header = guide.index(("分组", "字段代码", "字段名称", "类型", "单位", "必填", "取值范围", "字数上限"))
        fields = {field.code: field for field in catalogue.for_kind(kind)}
        for row in guide[header + 1 :]:
            assert row[0] == section_label(fields[row[1]].section)
            assert row[3] == type_hint(fields[row[1]].type)


# The groups whose labels no code spells out any more: a literal copy of one of these is a table coming back.
_NO_COPIES = ("section", "severity", "rule_family", "list_code", "timeliness", "level", "score_note")


def test_no_module_spells_out_a_label_of_its_own():
    wanted = {f'"{text}"': (group, key) for group in _NO_COPIES for key, text in labels(group).items()}
    found = []
    for folder in ("chanjiao", "expectations", "tasks", "flows", "warehouse"):
        for path in (ROOT / folder).rglob("*.py"):
            source = path.read_text(encoding="utf-8")
            found += [(str(path.relative_to(ROOT)), literal) for literal in wanted if literal in source]
    assert found == []
