"""What: the sample's documents — each consortium's plan and summary per year as the submitter meant them
(typed values, notes), and the :class:`Draft` they are drawn into.

Every draw comes from the draft's one ``random.Random(seed)``, in a fixed order (consortium by consortium,
year by year, the summary before the plan), so the same seed gives the same documents. How a document is
then spoiled on purpose is ``defects``; how it is filed, ``filing``; how its cells are typed, ``cells``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from chanjiao.generated.consortia import Consortium, build_registry, person, phone
from chanjiao.generated.dates import MILESTONES, Calendar, milestone_timeline
from chanjiao.generated.figures import Figures, dec
from chanjiao.generated.scenario import (
    INCOMPLETE,
    MISSING,
    VIOLATION,
    VIOLATION_TEXT,
    YEARS,
    YOY_EXPLAINED,
    YOY_UNEXPLAINED,
)
from chanjiao.generated.texts import CASE_TITLES, case_study, innovation_text, park_text, plan_text, text_context
from chanjiao.reference.catalogue import Catalogue, load_catalogue


@dataclass
class Doc:
    """One file's document: what the submitter meant (typed values, notes), the deliberate faults it carries
    and how it is filed (format, encoding, cell style, file name)."""

    consortium: Consortium
    year: int
    kind: str
    values: dict[str, Any]  # typed values (what the submitter meant)
    notes: dict[str, str] = field(default_factory=dict)
    raw: dict[str, str] = field(default_factory=dict)  # code -> text written instead of the value
    unparseable: set[str] = field(default_factory=set)  # fields whose raw text is not of their type
    faults: list[dict[str, Any]] = field(default_factory=list)
    expected: str = "accepted"
    rejected_field: str | None = None
    folder_year: int | None = None
    fmt: str | None = None
    encoding: str | None = None
    filename: str | None = None
    version: int = 1
    kind_chinese: bool = False
    fullwidth_semicolon: bool = False
    row_edits: list[tuple[str, Any]] = field(default_factory=list)  # ("rename", (old, new)) / ("duplicate", code)
    truncate: bool = False
    style: dict[str, Any] = field(default_factory=dict)
    tags: set[str] = field(default_factory=set)

    @property
    def cid(self) -> str:
        return self.values.get("consortium_id") or self.consortium.consortium_id

    @property
    def key(self) -> tuple[str, int, str]:
        return (self.consortium.consortium_id, self.year, self.kind)

    @property
    def submitted_on(self) -> date | None:
        return self.values.get("submitted_on")


@dataclass
class Draft:
    """The sample while it is drawn: one random stream, the catalogue, the calendars, the registry and the
    documents so far, in drawing order (the order every later step visits them in)."""

    seed: int
    rng: random.Random
    cat: Catalogue
    calendar: Calendar
    consortia: list[Consortium]
    figures: Figures
    docs: list[Doc] = field(default_factory=list)

    @classmethod
    def start(cls, seed: int) -> Draft:
        rng = random.Random(seed)
        cat = load_catalogue()
        return cls(seed, rng, cat, Calendar(), build_registry(), Figures(rng, cat))

    def accepted(self, cid: str, year: int, kind: str) -> list[Doc]:
        """The documents of (consortium, year, kind) that must be accepted, in drawing order."""
        return [d for d in self.docs if d.key == (cid, year, kind) and d.expected == "accepted"]

    def latest(self, cid: str, year: int, kind: str) -> Doc | None:
        """The accepted document the pipeline keeps for (consortium, year, kind): the last submitted."""
        found = self.accepted(cid, year, kind)
        return max(found, key=lambda d: (d.submitted_on, d.filename)) if found else None

    def unusable(self, d: Doc) -> set[str]:
        """The fields of ``d`` whose values a fatal finding (or an unparseable text) makes unusable."""
        out = set(d.unparseable)
        for f in d.faults:
            if f["severity"] == "fatal":
                out.add(f["field"])
                for rule in self.cat[f["field"]].rules:
                    if rule.name == f["rule"]:
                        out.update(rule.fields)
        return {code for code in out if not self.cat[code].is_meta}


# ------------------------------------------------------------------------------------------------
# Drawing the documents
# ------------------------------------------------------------------------------------------------


def consortium_docs(draft: Draft, c: Consortium) -> list[Doc]:
    """The consortium's plans and summaries of the years it files for, as the submitter meant them (the
    scenario's missing ones left out): figures, milestones reached, a contact who may change between years."""
    rng = draft.rng
    docs: list[Doc] = []
    years = [y for y in YEARS if c.files_for(y)]
    dues = draft.calendar.milestone_dues(c)
    never = ("ms_talent_platform", "ms_tech_service_platform") if c.consortium_id == INCOMPLETE else ()
    timeline = milestone_timeline(rng, c, dues, never)
    contact = (person(rng), phone(rng, c))
    actual: dict[int, dict[str, Any]] = {}
    for year in years:
        if year == years[0]:
            actual[year] = draft.figures.profile(c)
            if c.consortium_id == "HN-2024-04":
                actual[year]["patents"] = round(actual[year]["research_outputs"] * 0.85)
        else:
            actual[year] = draft.figures.next_year(actual[year - 1])
            if c.consortium_id == YOY_EXPLAINED[0]:
                code, factor = YOY_EXPLAINED[1], YOY_EXPLAINED[2]
                actual[year][code] = draft.figures.scale(draft.cat[code], actual[year - 1][code], factor)
            if c.consortium_id == YOY_UNEXPLAINED[0]:
                code, factor = YOY_UNEXPLAINED[1], YOY_UNEXPLAINED[2]
                actual[year][code] = draft.figures.scale(draft.cat[code], actual[year - 1][code], factor)
            if c.consortium_id == "HN-2024-04":
                actual[year]["research_outputs"] = actual[year - 1]["research_outputs"]
        achieved = timeline["ms_tech_service_platform"]
        if achieved is None or achieved.year > year:
            actual[year]["tech_service_platforms"] = 0
        elif year > years[0] and actual[year - 1]["tech_service_platforms"] == 0:
            actual[year]["tech_service_platforms"] = rng.randint(1, 3)
        if rng.random() < 0.3 and year > years[0]:
            contact = (person(rng), phone(rng, c))
        # the summary first: the plan sets targets only for what its summary reports
        for kind in ("summary", "plan"):
            submitted, approved = draft.calendar.submission_dates(rng, c, year, kind)
            meta = {
                "consortium_id": c.consortium_id,
                "consortium_name": c.name,
                "year": year,
                "kind": kind,
                "submitted_on": submitted,
                "city_approved_on": approved,
                "contact_name": contact[0],
                "contact_phone": contact[1],
            }
            if kind == "summary":
                doc = summary = summary_doc(draft, c, year, meta, actual[year], timeline)
            else:
                doc = plan_doc(draft, c, year, meta, summary.values, timeline)
            if (c.consortium_id, year, kind) not in MISSING:
                docs.append(doc)
    return docs


def summary_doc(
    draft: Draft,
    c: Consortium,
    year: int,
    meta: dict[str, Any],
    actual: dict[str, Any],
    timeline: dict[str, date | None],
) -> Doc:
    """A summary of the year's ``actual`` figures, milestones, texts and cases; a few optional fields left
    empty (never one a deliberate fault needs)."""
    rng = draft.rng
    v: dict[str, Any] = dict(meta)
    v.update(actual)
    v["industry_codes"] = c.industry_codes if (c.consortium_id == "HN-2024-05" or rng.random() < 0.5) else None
    ctx = text_context(c, year, actual, rng)
    v["park_industry_text"] = park_text(c, year, actual, rng)
    v["policy_text"] = (
        f"{c.city}先后出台《{c.city}深化产教融合实施方案》《关于支持市域产教联合体建设的若干措施》等文件，"
        f"将联合体建设纳入{c.city}教育事业发展规划，设立产教融合专项资金{rng.randint(200, 2000)}万元，"
        "对参与联合体建设的企业按规定落实“金融+财政+土地+信用”组合式激励政策。"
    )
    for code in MILESTONES:
        when = timeline[code]
        if when is None or when.year > year:
            v[code] = None
        elif when.year < year:
            v[code] = when if rng.random() < 0.5 else None  # carried over from the earlier summary
        else:
            v[code] = when
    v["teacher_awards_text"] = rng.choice(
        (
            f"{c.school}教师团队获全国职业院校技能大赛教学能力比赛二等奖1项。",
            f"{c.school}{c.majors[0]}专业教学团队入选省级职业教育教师教学创新团队。",
            None,
        )
    )
    v["talent_platform_text"] = (
        f"依托{c.dev_zone}人才服务中心建成人才供需信息平台，{year}年发布岗位需求"
        f"{rng.randint(300, 3000)}个，建立专业设置与产业需求动态对接机制，"
        f"调整优化专业{rng.randint(1, 4)}个。"
    )
    v["new_methods_text"] = (
        f"将{c.enterprise_short}等成员企业的新技术、新工艺、新规范纳入{c.majors[0]}等专业课程内容，"
        f"开发活页式、工作手册式教材{rng.randint(2, 12)}本。"
    )
    v["skills_contest_text"] = rng.choice(
        (
            f"学生在全国职业院校技能大赛中获一等奖1项、二等奖{rng.randint(1, 4)}项。",
            f"学生在省职业院校技能大赛中获一等奖{rng.randint(1, 5)}项。",
            None,
        )
    )
    v["innovation_text"] = innovation_text(ctx, rng)
    titles = rng.sample(CASE_TITLES, rng.randint(1, 3))
    for i in range(1, 4):
        if i <= len(titles):
            v[f"case_{i}_title"], v[f"case_{i}_text"] = case_study(ctx, rng, titles[i - 1])
        else:
            v[f"case_{i}_title"] = v[f"case_{i}_text"] = None
    v.update(compliance(c, year, "summary"))
    optional = [
        f.code
        for f in draft.cat.for_kind("summary")
        if f.required_in == "no"
        and not f.is_meta
        and f.code not in protected(c)
        and v.get(f.code) is not None
        and not f.code.startswith(("ms_", "case_", "violations"))
    ]
    for code in rng.sample(optional, rng.randint(2, 6)):
        v[code] = None
    return Doc(c, year, "summary", v)


def protected(c: Consortium) -> set[str]:
    """Optional fields a deliberate fault or warning needs filled."""
    keep = {"patents", "employment_rate_pct", "industry_codes", "practice_hours_pct"}
    if c.consortium_id == YOY_UNEXPLAINED[0]:
        keep.add(YOY_UNEXPLAINED[1])
    return keep


def compliance(c: Consortium, year: int, kind: str) -> dict[str, Any]:
    """Violations reported (the scenario's one, from its summary on) and the integrity pledge."""
    reported = (
        c.consortium_id == VIOLATION[0] and year >= VIOLATION[1] and not (year == VIOLATION[1] and kind == "plan")
    )
    return {
        "violations_count": 1 if reported else 0,
        "violations_text": VIOLATION_TEXT if reported else None,
        "integrity_pledge": True,
    }


def plan_doc(
    draft: Draft,
    c: Consortium,
    year: int,
    meta: dict[str, Any],
    actual: dict[str, Any],
    timeline: dict[str, date | None],
) -> Doc:
    """Targets below the year's actual figures (met), or above them for the incomplete consortium."""
    rng = draft.rng
    v: dict[str, Any] = dict(meta)
    fields = [f for f in draft.cat.for_kind("plan") if f.section[0] in "ABCDE" and f.is_numeric]
    incomplete = c.consortium_id == INCOMPLETE
    for f in fields:
        value = actual.get(f.code)
        if value is None or f.code in ("secretariat_staff_total", "funding_total_10k"):
            continue
        if f.required_in == "no" and rng.random() < 0.35:
            continue  # an optional target left empty
        if incomplete and rng.random() < 0.8:
            target = (
                min(value + dec(rng.uniform(2, 5), 1), Decimal("99.0"))
                if f.type == "percent"
                else draft.figures.scale(f, value, rng.uniform(1.2, 1.6), up=True)
            )
            if target <= value:
                target = value + (1 if f.type == "int" else Decimal("1"))
        elif f.type == "percent":
            target = max(value - dec(rng.uniform(1, 4), 1), Decimal(0))
        else:
            target = draft.figures.scale(f, value, rng.uniform(0.75, 0.95), up=False)
        v[f.code] = target
    if all(k in v for k in ("secretariat_staff_fulltime", "secretariat_staff_parttime")):
        v["secretariat_staff_total"] = v["secretariat_staff_fulltime"] + v["secretariat_staff_parttime"]
    funding = ("funding_lead_10k", "funding_government_10k", "funding_members_10k", "funding_other_10k")
    if all(k in v for k in funding):
        v["funding_total_10k"] = sum((v[k] for k in funding), Decimal(0))
    if "patents" in v and "research_outputs" in v:
        v["patents"] = min(v["patents"], v["research_outputs"])
    if "local_employment_rate_pct" in v and "employment_rate_pct" in v:
        v["local_employment_rate_pct"] = min(v["local_employment_rate_pct"], v["employment_rate_pct"])
    v["secretariat_org"] = c.school
    v["industry_codes"] = c.industry_codes if (c.consortium_id == "HN-2024-05" or rng.random() < 0.4) else None
    v["lists_published"] = actual["lists_published"] if rng.random() < 0.5 else None
    for code in MILESTONES:
        when = timeline[code]
        if when is not None and when.year < year:
            v[code] = None  # done in an earlier year
        elif when is None or when.year == year:
            planned = (when or date(year, 10, 31)) + timedelta(days=rng.randint(-20, 10))
            v[code] = min(max(planned, date(year, 1, 1)), date(year, 12, 31))
        else:
            v[code] = date(when.year, 6, 30) if rng.random() < 0.5 else None  # planned for next year
    if incomplete:
        v["ms_talent_platform"], v["ms_tech_service_platform"] = date(year, 10, 31), date(year, 12, 20)
    pending = [
        code
        for code in ("ms_talent_platform", "ms_tech_service_platform")
        if isinstance(v.get(code), date) and v[code].year == year
    ]
    ctx = text_context(c, year, {k: val for k, val in v.items() if val is not None}, rng)
    v["plan_text"] = plan_text(ctx, rng, pending, draft.cat)
    v.update(compliance(c, year, "plan"))
    return Doc(c, year, "plan", v)


def add_notes(rng: random.Random, d: Doc) -> None:
    """A few 说明 on fields without findings, as submitters write them."""
    flagged = {f["field"] for f in d.faults}
    pool = (
        ("secretariat_area_m2", "秘书处设在{school}行政楼"),
        ("staff_training_person_days", "含线上培训折算人日"),
        ("internship_person_months", "按实际在岗月数统计"),
        ("members_enterprise", "含本年度新加入成员企业"),
        ("teacher_practice_person_months", "含暑期集中实践"),
        ("ent_employees", "数据来源于园区统计年报"),
        ("co_courses", "含在线开放课程"),
    )
    count = rng.choice((0, 0, 1, 1, 2, 3)) if d.kind == "summary" else rng.choice((0, 0, 0, 1))
    for code, note in rng.sample(pool, count):
        if code not in flagged and d.values.get(code) is not None and code not in d.notes:
            d.notes[code] = note.format(school=d.consortium.school)
