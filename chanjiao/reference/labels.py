"""Chinese labels (labels.csv): the one source of the names of kinds, sections, types, severities, rule
families, list codes, statuses, levels and score notes.

The workbook, the reports and their appendix, the receipts, the findings' messages, the charts and the CLI all
take their wording from here, so a label is changed in one place and everywhere at once. A group holds one
kind of name; a thing with two legitimately different wordings (a short name and a full title, the wording
consortia write in file names) has two groups rather than one merged entry.

Closed vocabularies (kinds, severities, statuses) refuse an unknown key; open ones (sections, rule families,
list codes, levels, score notes — a province's own catalogue or framework may bring more) print the key.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from functools import lru_cache
from importlib import resources
from types import MappingProxyType

from chanjiao.common.errors import ReferenceDataError

COLUMNS = ("group", "key", "label", "note")
GROUPS = (
    "kind",  # the document's short name
    "kind_full",  # the document's full name (the summary carries the typical cases)
    "kind_as_written",  # a wording consortia use in file names and cells
    "section",  # fields.csv sections
    "type",  # fields.csv types, as findings name them
    "type_hint",  # how to fill a type, where the workbook says more than its name
    "severity",
    "rule_family",
    "list_code",
    "timeliness",
    "milestone",
    "level",
    "score_note",
)
_SOURCE = "chanjiao/data/labels.csv"


def parse_labels(text: str, where: str = _SOURCE) -> dict[str, Mapping[str, str]]:
    """Every group's labels in file order. Refuses an unknown group, an empty key or label, a duplicate key."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    if tuple(reader.fieldnames or ()) != COLUMNS:
        raise ReferenceDataError(f"columns must be {','.join(COLUMNS)}", file=where)
    groups: dict[str, dict[str, str]] = {name: {} for name in GROUPS}
    for line, row in enumerate(reader, start=2):
        group, key, label = (row[c].strip() if row[c] else "" for c in ("group", "key", "label"))
        if group not in groups:
            raise ReferenceDataError(
                f"unknown group {group!r}; the groups are {', '.join(GROUPS)}", file=where, row=line, field="group"
            )
        if not key or not label:
            raise ReferenceDataError("key and label must not be empty", file=where, row=line, field="label")
        if key in groups[group]:
            raise ReferenceDataError(f"duplicate key {key!r} in group {group}", file=where, row=line, field="key")
        groups[group][key] = label
    return {name: MappingProxyType(labels) for name, labels in groups.items()}


@lru_cache(maxsize=1)
def _all() -> dict[str, Mapping[str, str]]:
    text = resources.files("chanjiao").joinpath("data", "labels.csv").read_text(encoding="utf-8")
    return parse_labels(text)


def labels(group: str) -> Mapping[str, str]:
    """One group's labels, key → label, in file order (read-only; loaded once per process)."""
    try:
        return _all()[group]
    except KeyError:
        raise KeyError(f"no label group {group!r}; the groups are {', '.join(GROUPS)}") from None


def label(group: str, key: str) -> str:
    """The label of ``key`` in ``group``; a KeyError naming both when there is none."""
    try:
        return labels(group)[key]
    except KeyError:
        raise KeyError(f"no {group} label for {key!r} ({_SOURCE})") from None


def label_or_key(group: str, key: str) -> str:
    """The label of ``key`` in ``group``, or ``key`` itself when the file has none."""
    return labels(group).get(key, key)


# --- closed vocabularies: an unknown key is a bug -------------------------------------------------------------


def kind_label(kind: str) -> str:
    """年度工作计划 / 年度工作总结."""
    return label("kind", kind)


def kind_full_label(kind: str) -> str:
    """年度工作计划 / 年度工作总结（含典型案例）."""
    return label("kind_full", kind)


def severity_label(severity: str) -> str:
    """严重 / 警告 / 提示."""
    return label("severity", severity)


def timeliness_label(status: str) -> str:
    """按时, 逾期, 未报送, 未经地市审核, 未到截止日期."""
    return label("timeliness", status)


def milestone_label(status: str) -> str:
    """按期完成, 逾期完成, 未完成, 未到期, 数据不可用."""
    return label("milestone", status)


def type_label(type_: str) -> str:
    """A field type as a finding's message names it."""
    return label("type", type_)


def type_hint(type_: str) -> str:
    """A field type as the workbook explains it: how to fill it where that says more than its name."""
    return labels("type_hint").get(type_) or type_label(type_)


def statuses(group: str) -> tuple[str, ...]:
    """A status group's labels in file order (the order the charts draw them)."""
    return tuple(labels(group).values())


# --- open vocabularies: a key the file does not know is printed as it is --------------------------------------


def section_label(section: str) -> str:
    return label_or_key("section", section)


def rule_family_label(family: str) -> str:
    return label_or_key("rule_family", family)


def list_code_label(code: str) -> str:
    return label_or_key("list_code", code)


def level_label(level: str) -> str:
    return label_or_key("level", level)


def score_note_label(note: str) -> str:
    return label_or_key("score_note", note)
