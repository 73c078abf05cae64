"""Deliberate defects: the faults, variants and rejected files of the scenario, put into the drawn documents,
and the findings each document must therefore raise (declared for the answer key and checked by
``selfcheck``).

Accepted files carry data-quality faults (a broken sum, a value over its limit, an unparseable number, an
overlong text, a name abbreviation, …) and contract variants (Chinese kind names, full-width separators, a
resubmission); the rejected files are copies with a renamed or duplicated field, a wrong folder year, an
unknown consortium, a missing or unreadable date, or a truncated workbook.
"""

from __future__ import annotations

import copy
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from chanjiao.generated.consortia import Consortium, person, phone
from chanjiao.generated.dates import milestone_timeline
from chanjiao.generated.documents import Doc, Draft, add_notes, summary_doc
from chanjiao.generated.scenario import (
    KIND_CHINESE,
    NAME_ABBREVIATION,
    NAME_NFKC_VARIANT,
    RESUBMITTED,
    YOY_EXPLAINED,
    YOY_UNEXPLAINED,
)
from chanjiao.generated.texts import CASE_TITLES, case_study, overlong, text_context
from chanjiao.reference.catalogue import Catalogue


def fault(cat: Catalogue, doc: Doc, code: str, rule: str, **extra: Any) -> None:
    """Declare a finding ``doc`` must raise (the answer key's ``faults``)."""
    doc.faults.append({"field": code, "rule": rule, "severity": severity(cat, code, rule), **extra})


def severity(cat: Catalogue, code: str, rule: str) -> str:
    """A finding's severity: a type or limit breach is fatal, a year-over-year jump a warning, a rule's own."""
    if rule in ("type", "min", "max", "max_chars", "required"):
        return "fatal"
    if rule == "yoy":
        return "warning"
    return next(r.severity for r in cat[code].rules if r.name == rule)


def apply_defects(draft: Draft, c: Consortium, drawn: list[Doc]) -> None:
    """Spoil the consortium's ``drawn`` documents as the scenario says (a first version inserted before its
    resubmission), add a few notes, and declare every finding each must raise."""
    cat, cid = draft.cat, c.consortium_id
    docs = {d.key: d for d in drawn}
    if cid == "SX-2024-03":
        d = docs[(cid, 2024, "summary")]
        d.values["funding_total_10k"] += Decimal("50")
        d.fmt, d.encoding = "csv", "utf-8"
        fault(cat, d, "funding_total_10k", "sum_eq")
    if cid == "HN-2024-04":
        d = docs[(cid, 2025, "summary")]
        d.values["patents"] = d.values["research_outputs"] + 2
        d.fmt = "json"
        fault(cat, d, "patents", "le")
    if cid == "SX-2024-07":
        d = docs[(cid, 2024, "summary")]
        d.values["employment_rate_pct"] = Decimal("105")
        d.raw["employment_rate_pct"] = "105%"
        d.fmt, d.encoding = "csv", "gb18030"
        fault(cat, d, "employment_rate_pct", "max")
    if cid == "HN-2024-08":
        d = docs[(cid, 2025, "summary")]
        d.values["co_majors"] = None
        d.raw["co_majors"], d.unparseable = "十二", {"co_majors"}
        d.fmt = "xlsx"
        fault(cat, d, "co_majors", "type")
    if cid == "HN-2024-02":
        d = docs[(cid, 2024, "summary")]
        d.values["employment_rate_pct"] = Decimal("100")
        d.fmt = "xlsx"
        fault(cat, d, "employment_rate_pct", "warn_equal", explained=False)
    if cid == "SX-2024-02":
        d = docs[(cid, 2025, "summary")]
        d.values["park_industry_text"] = overlong(d.values["park_industry_text"], cat["park_industry_text"].max_chars)
        d.fmt, d.encoding = "csv", "utf-8-sig"
        fault(cat, d, "park_industry_text", "max_chars")
    if cid == "HN-2024-07":
        d = docs[(cid, 2024, "summary")]
        d.values["practice_hours_pct"] = Decimal("46.5")
        fault(cat, d, "practice_hours_pct", "warn_below")
    if cid == YOY_EXPLAINED[0]:
        d = docs[(cid, 2025, "summary")]
        d.notes[YOY_EXPLAINED[1]] = YOY_EXPLAINED[3]
        fault(cat, d, YOY_EXPLAINED[1], "yoy", explained=True)
    if cid == YOY_UNEXPLAINED[0]:
        fault(cat, docs[(cid, 2025, "summary")], YOY_UNEXPLAINED[1], "yoy", explained=False)
    if cid == NAME_ABBREVIATION[0][0]:
        d = docs[NAME_ABBREVIATION[0]]
        d.values["consortium_name"] = NAME_ABBREVIATION[1]
        fault(cat, d, "consortium_name", "registry_name", explained=False)
    if cid == NAME_NFKC_VARIANT[0][0]:
        d = docs[NAME_NFKC_VARIANT[0]]
        d.values["consortium_name"] = NAME_NFKC_VARIANT[1]
        d.tags.add("name_variant_nfkc")
    if cid == "HN-2024-05":
        for d in docs.values():
            fault(cat, d, "industry_codes", "in_city_layout", explained=False)
    if cid == "HN-2024-01":
        plan = docs[(cid, 2025, "plan")]
        plan.fullwidth_semicolon, plan.values["industry_codes"] = True, c.industry_codes
    for key in KIND_CHINESE:
        if key in docs:
            docs[key].kind_chinese = True
    if cid == RESUBMITTED[0]:
        v2 = docs[RESUBMITTED]
        v1 = copy.deepcopy(v2)
        v1.values["case_2_title"] = (
            v1.values["case_2_title"]
            or case_study(text_context(c, 2025, v1.values, draft.rng), draft.rng, CASE_TITLES[-1])[0]
        )
        v1.values["case_2_text"] = None
        v1.values["case_3_title"] = v1.values["case_3_text"] = None
        if v2.values["case_2_title"] is None:
            v2.values["case_2_title"] = v1.values["case_2_title"]
            v2.values["case_2_text"] = case_study(
                text_context(c, 2025, v2.values, draft.rng), draft.rng, CASE_TITLES[-1]
            )[1]
        fault(cat, v1, "case_2_text", "required_if")
        v1.fmt, v1.filename = "xlsx", "SX-2024-06_2025_summary.xlsx"
        v2.values["submitted_on"] = draft.calendar.due(c, 2025, "summary") + timedelta(days=3)  # after the due date
        v2.values["city_approved_on"] = v2.values["submitted_on"] - timedelta(days=2)
        v2.version, v2.fmt, v2.filename = 2, "json", "SX-2024-06_2025_summary_v2（更正）.json"
        v2.notes["case_2_text"] = "补充典型案例2正文（首次报送时遗漏）"
        drawn.insert(drawn.index(v2), v1)
    for d in docs.values():  # a few 说明 on fields without findings, as submitters write them
        add_notes(draft.rng, d)
    for d in drawn:  # a reported violation is a veto finding (seed 003 附件2 7)
        if d.values.get("violations_count"):
            fault(cat, d, "violations_count", "veto", explained=False)


def rejected_files(draft: Draft) -> list[Doc]:
    """Extra files that must be rejected; each has an accepted counterpart, so none is 'missing'."""
    rng, rejected = draft.rng, []

    def copy_of(cid: str, year: int, kind: str, days_before: int) -> Doc:
        d = copy.deepcopy(draft.accepted(cid, year, kind)[0])
        d.faults, d.notes, d.expected, d.version = [], {}, "rejected", 0
        d.fmt = d.encoding = d.filename = None
        d.kind_chinese = d.fullwidth_semicolon = False
        d.tags = set()
        d.values["submitted_on"] -= timedelta(days=days_before)
        if d.values["city_approved_on"] is not None:
            d.values["city_approved_on"] = d.values["submitted_on"] - timedelta(days=2)
        return d

    d = copy_of("HN-2024-01", 2024, "summary", 5)
    d.row_edits.append(("rename", ("co_majors", "co_majorz")))
    d.rejected_field, d.fmt, d.filename = "co_majorz", "xlsx", "HN-2024-01_2024_summary_初稿.xlsx"
    rejected.append(d)

    d = copy_of("SX-2024-05", 2025, "plan", 3)
    d.row_edits.append(("duplicate", "co_courses"))
    d.rejected_field, d.fmt, d.encoding = "co_courses", "csv", "utf-8"
    d.filename = "太忻（智能制造）市域产教联合体2025年工作计划（第一版）.csv"
    rejected.append(d)

    d = copy_of("SX-2024-02", 2024, "summary", 0)
    d.folder_year, d.rejected_field, d.fmt = 2025, "year", "json"
    d.filename = "SX-2024-02-summary-2024.json"
    rejected.append(d)

    fake = Consortium(
        consortium_id="SX-2099-99",
        name="太原市现代服务业市域产教联合体",
        province_code="14",
        province="山西省",
        city="太原市",
        level="provincial",
        recognized_year=2025,
        dev_zone="太原经济技术开发区",
        lead_schools="太原城市职业技术学院",
        lead_enterprises="太原现代服务业发展集团有限公司",
        industry_codes=("C1",),
        theme="现代服务业",
        majors=("现代物流管理", "电子商务", "大数据与会计", "酒店管理与数字化运营"),
    )
    timeline = milestone_timeline(rng, fake, draft.calendar.milestone_dues(fake))
    submitted = date(2025, 12, 1) + timedelta(days=rng.randint(0, 10))
    meta = {
        "consortium_id": fake.consortium_id,
        "consortium_name": fake.name,
        "year": 2025,
        "kind": "summary",
        "submitted_on": submitted,
        "city_approved_on": submitted - timedelta(days=3),
        "contact_name": person(rng),
        "contact_phone": phone(rng, fake),
    }
    d = summary_doc(draft, fake, 2025, meta, draft.figures.profile(fake), timeline)
    d.expected, d.rejected_field, d.version = "rejected", "consortium_id", 0
    d.fmt, d.encoding = "csv", "gb18030"
    d.filename = "太原市现代服务业市域产教联合体2025年工作总结.csv"
    rejected.append(d)

    d = copy_of("HN-2024-06", 2025, "plan", 2)
    d.values["submitted_on"] = None
    d.raw["submitted_on"] = ""
    d.rejected_field, d.fmt = "submitted_on", "xlsx"
    d.filename = "衡阳市矿山装备市域产教联合体2025年度工作计划.xlsx"
    rejected.append(d)

    d = copy_of("SX-2024-08", 2025, "summary", 4)
    d.values["submitted_on"] = None
    d.raw["submitted_on"] = "下周一"
    d.rejected_field, d.fmt = "submitted_on", "json"
    d.filename = "晋城市光机电产教联合体-2025-总结.json"
    rejected.append(d)

    d = copy_of("HN-2024-07", 2024, "plan", 1)
    d.truncate, d.rejected_field, d.fmt = True, "-", "xlsx"
    d.filename = "常德市食品加工市域产教联合体2024年工作计划.xlsx"
    rejected.append(d)

    return rejected
