"""A seeded, deterministic sample inbox: registry, extensions, two years of submissions and a manifest.

``generate_sample(out_dir, seed)`` writes a realistic inbox for the pipeline to chew on: the ten real
Shanxi consortia of the first provincial batch and a dozen synthetic Hunan ones, a plan and a summary per
consortium and year in all three formats of the input contract (``.xlsx``, ``.csv`` in UTF-8 / UTF-8 with
BOM / GB18030, ``.json``), every normalisation case of the contract, and a set of deliberate faults.
``manifest.json`` is the answer key: for every file, whether it must be accepted or rejected (and on which
field), the data-quality findings it must raise, and which normalisations it exercises; plus the missing,
late and not-city-approved submissions, the extensions and the plan-completion outcome per consortium and
year.

Everything is drawn from ``random.Random(seed)`` and the xlsx archives are rewritten with fixed entry times
and a fixed core-properties timestamp, so the same seed gives byte-identical files. The generator checks
its own output: every typed value is run through the catalogue's limits and rules and the findings must
be exactly the deliberate ones, so the manifest cannot drift from the files.
"""

from __future__ import annotations

import argparse
import copy
import csv
import io
import json
import logging
import math
import random
import re
import shutil
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from chanjiao.intake.normalize import nfc, nfkc
from chanjiao.intake.readers import HEADER, SHEET_NAME
from chanjiao.reference.catalogue import Catalogue, Field, data_text, load_catalogue
from chanjiao.reference.labels import labels
from chanjiao.reference.registry import EXTENSION_COLUMNS, REGISTRY_COLUMNS, REGISTRY_OPTIONAL

logger = logging.getLogger(__name__)

DEFAULT_SEED = 20250101
YEARS = (2024, 2025)
FIXED_DATETIME = datetime(2025, 1, 1, 0, 0, 0)
ZIP_DATE_TIME = (2025, 1, 1, 0, 0, 0)
FORMAT_SHARES = (("xlsx", 0.5), ("csv", 0.3), ("json", 0.2))
CSV_ENCODINGS = ("utf-8", "utf-8", "utf-8-sig", "gb18030", "utf-8", "gb18030", "utf-8-sig", "utf-8")

# Every normalisation case of the input contract; the sample exercises each at least once (tested).
NORMALISATIONS = (
    "fullwidth_digits",
    "fullwidth_percent",
    "fullwidth_comma",
    "fullwidth_semicolon",
    "thousands_separator",
    "percent_sign",
    "percent_plain",
    "percent_cell",
    "date_iso",
    "date_slash",
    "date_cjk",
    "date_cell",
    "bool_shi_fou",
    "bool_true_false",
    "bool_json",
    "numeric_cell",
    "numeric_string",
    "json_number",
    "json_string",
    "kind_chinese",
    "name_variant_nfkc",
    "empty_optional",
    "data_sheet_not_first",
)

_KIND_ZH = labels("kind_as_written")  # the wording consortia write, not the reports' (labels.csv)
_KIND_SHORT = {"plan": "工作计划", "summary": "工作总结"}
_FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
_ORDINALS = "一二三四五六七八"


# ------------------------------------------------------------------------------------------------
# Who: the registry
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Consortium:
    consortium_id: str
    name: str
    province_code: str
    province: str
    city: str
    level: str
    recognized_year: int
    dev_zone: str
    lead_schools: str
    lead_enterprises: str
    industry_codes: tuple[str, ...]
    theme: str
    majors: tuple[str, ...]
    status: str = "active"
    status_year: int | None = None
    row: dict[str, str] | None = None  # the Shanxi batch row, copied as it is

    @property
    def school(self) -> str:
        return re.split(r"[；;]", self.lead_schools)[0]

    @property
    def enterprise(self) -> str:
        return re.split(r"[；;]", self.lead_enterprises)[0]

    @property
    def enterprise_short(self) -> str:
        name = self.enterprise
        for suffix in ("股份有限公司", "集团有限公司", "有限责任公司", "有限公司"):
            if name.endswith(suffix):
                name = name[: -len(suffix)]
                break
        for prefix in (self.province, self.province.rstrip("省")):
            if name.startswith(prefix) and len(name) > len(prefix) + 1:
                name = name[len(prefix) :]
                break
        if len(name) <= 2:
            return name + "集团"
        return name + "公司" if name.endswith(("投资", "管理", "服务")) else name

    def files_for(self, year: int) -> bool:
        """Expected to file for ``year``: recognised by then and not withdrawn from an earlier year."""
        if self.recognized_year > year:
            return False
        return not (self.status == "withdrawn" and self.status_year is not None and self.status_year <= year)


# Industry theme, majors and plausible industry codes (the A1..D4 scheme of Hunan's layout) of the
# real Shanxi consortia; the registry rows themselves are copied from consortia_shanxi_batch1.csv.
_SHANXI_THEMES = {
    "SX-2024-01": ("通用航空", ("飞机机电设备维修", "无人机应用技术", "通用航空器维修", "通用航空航务技术"), ("C4",)),
    "SX-2024-02": (
        "纺织机械与液压",
        ("液压与气动技术", "机械制造及自动化", "智能制造装备技术", "工业机器人技术"),
        ("B1", "A4"),
    ),
    "SX-2024-03": ("高端装备制造", ("数控技术", "机电一体化技术", "智能焊接技术", "工业机器人技术"), ("B1",)),
    "SX-2024-04": (
        "数智制造",
        ("智能制造装备技术", "工业互联网应用", "机械设计与制造", "电气自动化技术"),
        ("B1", "C1"),
    ),
    "SX-2024-05": ("智能制造", ("智能制造装备技术", "模具设计与制造", "数控技术", "工业机器人技术"), ("B1", "D1")),
    "SX-2024-06": ("数字经济", ("大数据技术", "云计算技术应用", "大数据与会计", "电子商务"), ("C1", "D1")),
    "SX-2024-07": (
        "汽车及新能源汽车",
        ("新能源汽车技术", "汽车制造与试验技术", "汽车检测与维修技术", "智能网联汽车技术"),
        ("C2", "B1"),
    ),
    "SX-2024-08": (
        "光机电",
        ("光电制造与应用技术", "电子信息工程技术", "机电一体化技术", "智能光电制造技术"),
        ("C1", "D4"),
    ),
    "SX-2024-09": ("现代农业（畜牧）", ("畜牧兽医", "动物医学", "现代农业技术", "食品检验检测技术"), ("B3", "A3")),
    "SX-2024-10": (
        "先进制造与现代服务",
        ("现代物流管理", "机电一体化技术", "电气自动化技术", "人力资源管理"),
        ("B1", "A2"),
    ),
}

# Synthetic Hunan consortia: (id, name, city, dev zone, lead schools, lead enterprises, theme, majors, codes).
# HN-2024-05 carries C2, which is neither core nor key for 娄底市 (a deliberate layout warning).
_HUNAN = (
    (
        "HN-2024-01",
        "株洲市轨道交通市域产教联合体",
        "株洲市",
        "株洲高新技术产业开发区",
        "株洲轨道交通职业技术学院",
        "湘江轨道装备股份有限公司",
        "轨道交通",
        ("城市轨道交通车辆技术", "动车组检修技术", "铁道信号自动控制", "铁道机车运用与维护"),
        ("B2", "C4"),
    ),
    (
        "HN-2024-02",
        "长沙经济技术开发区工程机械市域产教联合体",
        "长沙市",
        "长沙经济技术开发区",
        "长沙工程机械职业技术学院；湖南星城职业技术学院",
        "湘麓重工机械股份有限公司",
        "工程机械",
        ("工程机械运用技术", "机械制造及自动化", "工业机器人技术", "智能控制技术"),
        ("B1", "D1"),
    ),
    (
        "HN-2024-03",
        "湘潭市新能源装备市域产教联合体",
        "湘潭市",
        "湘潭高新技术产业开发区",
        "湘潭电气职业技术学院",
        "湘电新能源装备有限公司",
        "新能源装备",
        ("新能源装备技术", "风力发电工程技术", "光伏工程技术", "电气自动化技术"),
        ("C2", "C1"),
    ),
    (
        "HN-2024-04",
        "岳阳市绿色化工市域产教联合体",
        "岳阳市",
        "岳阳绿色化工高新技术产业开发区",
        "岳阳石化职业技术学院",
        "巴陵新材料化工有限公司",
        "绿色化工",
        ("应用化工技术", "石油化工技术", "化工装备技术", "精细化工技术"),
        ("A1", "D4"),
    ),
    (
        "HN-2024-05",
        "娄底市钢铁新材料市域产教联合体",
        "娄底市",
        "娄底经济技术开发区",
        "娄底冶金职业技术学院",
        "湘中精品钢材有限公司",
        "钢铁新材料",
        ("钢铁智能冶金技术", "金属材料检测技术", "材料成型及控制技术", "机械制造及自动化"),
        ("A2", "D4", "C2"),
    ),
    (
        "HN-2024-06",
        "衡阳市矿山装备市域产教联合体",
        "衡阳市",
        "衡阳高新技术产业开发区",
        "衡阳工业职业技术学院",
        "衡岳矿山装备有限公司",
        "矿山装备与新材料",
        ("矿山机电与智能装备", "金属与非金属矿开采技术", "机电一体化技术", "材料工程技术"),
        ("A2", "D4"),
    ),
    (
        "HN-2024-07",
        "常德市食品加工市域产教联合体",
        "常德市",
        "常德经济技术开发区",
        "常德农业职业技术学院",
        "桃花源食品集团有限公司",
        "食品加工",
        ("食品智能加工技术", "食品检验检测技术", "农产品加工与质量检测", "现代物流管理"),
        ("A3", "B3"),
    ),
    (
        "HN-2024-08",
        "郴州市有色金属新材料市域产教联合体",
        "郴州市",
        "郴州高新技术产业开发区",
        "郴州有色金属职业技术学院",
        "湘南有色金属集团有限公司",
        "有色金属新材料",
        ("有色金属智能冶金技术", "材料工程技术", "矿山智能开采技术", "分析检验技术"),
        ("A2", "D4"),
    ),
    (
        "HN-2024-09",
        "怀化市中医药大健康市域产教联合体",
        "怀化市",
        "怀化高新技术产业开发区",
        "怀化医药职业技术学院",
        "五溪中药材产业有限公司",
        "中医药大健康",
        ("中药学", "药品生产技术", "中药材生产与加工", "健康管理"),
        ("C3", "B3"),
    ),
    (
        "HN-2024-10",
        "邵阳经济技术开发区轻工制造市域产教联合体",
        "邵阳市",
        "邵阳经济技术开发区",
        "邵阳工贸职业技术学院",
        "宝庆轻工制品有限公司",
        "轻工制造",
        ("服装设计与工艺", "鞋类设计与工艺", "包装工程技术", "电子商务"),
        ("A4", "C1"),
    ),
    (
        "HN-2025-01",
        "张家界市文化旅游市域产教联合体",
        "张家界市",
        "张家界经济开发区",
        "张家界旅游职业技术学院",
        "武陵源文旅发展集团有限公司",
        "文化旅游",
        ("旅游管理", "导游", "酒店管理与数字化运营", "民宿管理与运营"),
        ("B4", "C3"),
    ),
    (
        "HN-2025-02",
        "益阳市现代农业市域产教联合体",
        "益阳市",
        "益阳高新技术产业开发区",
        "益阳农林职业技术学院",
        "洞庭湖生态农业集团有限公司",
        "现代农业",
        ("现代农业技术", "茶叶生产与加工技术", "农产品加工与质量检测", "智慧农业技术"),
        ("B3", "A3"),
    ),
)
_WITHDRAWN = ("HN-2024-09", 2025)

_AREA_CODES = {
    "太原市": "0351",
    "大同市": "0352",
    "阳泉市": "0353",
    "晋中市": "0354",
    "长治市": "0355",
    "晋城市": "0356",
    "临汾市": "0357",
    "吕梁市": "0358",
    "运城市": "0359",
    "忻州市": "0350",
    "朔州市": "0349",
    "长沙市": "0731",
    "株洲市": "0731",
    "湘潭市": "0731",
    "衡阳市": "0734",
    "邵阳市": "0739",
    "岳阳市": "0730",
    "常德市": "0736",
    "张家界市": "0744",
    "益阳市": "0737",
    "郴州市": "0735",
    "永州市": "0746",
    "怀化市": "0745",
    "娄底市": "0738",
    "湘西土家族苗族自治州": "0743",
}


def _read_csv_rows(name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data_text(name))))


def _build_registry() -> list[_Consortium]:
    consortia = []
    for row in _read_csv_rows("consortia_shanxi_batch1.csv"):
        theme, majors, codes = _SHANXI_THEMES[row["consortium_id"]]
        consortia.append(
            _Consortium(
                consortium_id=row["consortium_id"],
                name=row["name"],
                province_code=row["province_code"],
                province=row["province"],
                city=row["city"],
                level=row["level"],
                recognized_year=int(row["recognized_year"]),
                dev_zone=row["dev_zone"],
                lead_schools=row["lead_schools"],
                lead_enterprises=row["lead_enterprises"],
                industry_codes=codes,
                theme=theme,
                majors=majors,
                row=dict(row),
            )
        )
    for cid, name, city, zone, schools, enterprises, theme, majors, codes in _HUNAN:
        withdrawn = cid == _WITHDRAWN[0]
        consortia.append(
            _Consortium(
                consortium_id=cid,
                name=name,
                province_code="43",
                province="湖南省",
                city=city,
                level="provincial",
                recognized_year=int(cid[3:7]),
                dev_zone=zone,
                lead_schools=schools,
                lead_enterprises=enterprises,
                industry_codes=codes,
                theme=theme,
                majors=majors,
                status="withdrawn" if withdrawn else "active",
                status_year=_WITHDRAWN[1] if withdrawn else None,
            )
        )
    return consortia


def _registry_csv(consortia: list[_Consortium]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    columns = (*REGISTRY_COLUMNS, *REGISTRY_OPTIONAL)
    writer.writerow(columns)
    for c in consortia:
        base = c.row or {
            "consortium_id": c.consortium_id,
            "name": c.name,
            "province_code": c.province_code,
            "province": c.province,
            "city": c.city,
            "level": c.level,
            "recognized_year": str(c.recognized_year),
            "dev_zone": c.dev_zone,
            "lead_schools": c.lead_schools,
            "lead_enterprises": c.lead_enterprises,
        }
        extra = {
            "industry_codes": ";".join(c.industry_codes),
            "status": c.status,
            "status_year": "" if c.status_year is None else str(c.status_year),
        }
        writer.writerow([{**base, **extra}[column] for column in columns])
    return out.getvalue()


# ------------------------------------------------------------------------------------------------
# When: deadlines and milestones (read from the project's own calendars, independently of the pipeline)
# ------------------------------------------------------------------------------------------------


def _due_date(deadlines: list[dict[str, str]], c: _Consortium, year: int, kind: str) -> date:
    """The most specific deadline row: the province's own over ``*``, a batch row over a general one."""

    def matches(row: dict[str, str], province: str) -> bool:
        return (
            row["province_code"] == province
            and row["kind"] == kind
            and (not row["recognized_year"] or int(row["recognized_year"]) == c.recognized_year)
            and int(row["year_from"] or 0) <= year <= int(row["year_to"] or 9999)
        )

    for province in (c.province_code, "*"):
        rows = sorted((r for r in deadlines if matches(r, province)), key=lambda r: r["recognized_year"] == "")
        if rows:
            month, day = (int(x) for x in rows[0]["due_month_day"].split("-"))
            return date(year, month, day)
    raise LookupError(f"no deadline for {c.consortium_id} {year} {kind}")


def _milestone_dues(milestones: list[dict[str, str]], c: _Consortium, codes: list[str]) -> dict[str, date | None]:
    """Due date per milestone: milestones.csv for the province and batch, else 12-31 of the first year."""
    own = {
        r["milestone_code"]: r["due_date"]
        for r in milestones
        if r["province_code"] == c.province_code and r["recognized_year"] == str(c.recognized_year)
    }
    if own:
        return {code: date.fromisoformat(own[code]) if own.get(code) else None for code in codes}
    return {code: date(c.recognized_year, 12, 31) for code in codes}


# ------------------------------------------------------------------------------------------------
# What: the documents
# ------------------------------------------------------------------------------------------------


@dataclass
class _Doc:
    consortium: _Consortium
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


def _q(value: float, places: int) -> Decimal:
    return Decimal(f"{value:.{places}f}")


def _dec_text(value: Decimal) -> str:
    if value == value.to_integral_value():
        return str(int(value))
    return format(value.normalize(), "f")


class _Values:
    """Realistic figures for one consortium: a first-year profile, then year-on-year changes."""

    INT_FIELDS_FIXEDISH = (
        "members_government",
        "members_research",
        "members_higher_vocational",
        "members_undergraduate",
        "talent_demand_reports",
        "master_studios",
        "tech_service_platforms",
        "co_industry_colleges",
    )

    def __init__(self, rng: random.Random, cat: Catalogue) -> None:
        self.rng = rng
        self.cat = cat

    def profile(self, c: _Consortium) -> dict[str, Any]:
        r = self.rng
        s = r.uniform(0.6, 1.6)

        def si(lo: int, hi: int) -> int:
            return max(1, round(r.randint(lo, hi) * s))

        v: dict[str, Any] = {}
        v["secretariat_org"] = c.school
        v["secretariat_area_m2"] = _q(r.randint(120, 600) + r.choice((0, 0, 0.5)), 1)
        v["secretariat_staff_fulltime"] = r.randint(3, 10)
        v["secretariat_staff_parttime"] = r.randint(4, 18)
        v["members_secondary_vocational"] = si(3, 12)
        v["members_secondary_vocational_students"] = v["members_secondary_vocational"] * r.randint(1200, 2600)
        v["members_higher_vocational"] = r.randint(1, 4)
        v["members_higher_vocational_students"] = v["members_higher_vocational"] * r.randint(5000, 12000)
        v["members_undergraduate"] = r.choice((0, 1, 1, 2))
        v["members_undergraduate_students"] = v["members_undergraduate"] * r.randint(12000, 25000)
        v["members_government"] = r.randint(2, 7)
        v["members_enterprise"] = si(30, 120)
        v["members_research"] = r.randint(1, 8)
        v["funding_lead_10k"] = _q(r.uniform(80, 400) * s, 2)
        v["funding_government_10k"] = _q(r.uniform(50, 300) * s, 2)
        v["funding_members_10k"] = _q(r.uniform(30, 300) * s, 2)
        v["funding_other_10k"] = r.choice((Decimal("0"), _q(r.uniform(5, 60), 2)))
        v["park_output_100m"] = _q(r.uniform(80, 1200) * s, 1)
        v["co_majors"] = si(6, 20)
        v["co_courses"] = v["co_majors"] * r.randint(2, 4)
        v["co_textbooks"] = r.randint(3, 20)
        v["co_training_bases"] = r.randint(3, 15)
        v["co_industry_colleges"] = r.randint(1, 5)
        v["ent_teachers_persons"] = si(40, 160)
        v["ent_teachers_hours"] = v["ent_teachers_persons"] * r.randint(24, 64)
        v["inter_school_teachers_persons"] = r.randint(5, 40)
        v["inter_school_teachers_hours"] = v["inter_school_teachers_persons"] * r.randint(16, 40)
        v["teacher_practice_person_months"] = _q(r.uniform(60, 360) * s, 1)
        v["apprentices"] = si(60, 400)
        v["field_engineers"] = si(20, 150)
        v["other_joint_training"] = si(100, 600)
        v["talent_demand_reports"] = r.randint(1, 3)
        v["apprentice_post_ratio_pct"] = _q(r.uniform(6, 18), 1)
        v["internship_person_months"] = _q(r.uniform(600, 4000) * s, 1)
        v["ent_tech_posts"] = si(2500, 12000)
        v["internship_posts"] = round(v["ent_tech_posts"] * r.uniform(0.16, 0.32))
        v["ent_employees"] = si(12000, 60000)
        v["ent_large_medium_employees"] = round(v["ent_employees"] * r.uniform(0.55, 0.85))
        v["teacher_practice_posts"] = math.ceil(v["ent_large_medium_employees"] * r.uniform(0.009, 0.02))
        v["practice_hours_pct"] = _q(r.uniform(55, 68), 1)
        v["through_secondary_higher"] = si(120, 500)
        v["through_secondary_higher_bachelor"] = r.randint(20, 90)
        v["bachelor_admissions"] = r.randint(10, 80)
        v["exam_progression_pct"] = _q(r.uniform(12, 38), 1)
        v["employment_rate_pct"] = _q(r.uniform(88.5, 97.8), 1)
        v["local_employment_rate_pct"] = _q(float(v["employment_rate_pct"]) * r.uniform(0.55, 0.85), 1)
        v["gold_majors"] = r.randint(1, 3)
        v["gold_courses"] = r.randint(1, 8)
        v["gold_textbooks"] = r.randint(1, 5)
        v["gold_teachers"] = r.randint(2, 15)
        v["gold_bases"] = r.randint(1, 3)
        lists = self.cat["lists_published"].rules[0].codes
        v["lists_published"] = tuple(code for code in lists if r.random() < 0.5) or lists[:2]
        v["tech_service_platforms"] = r.randint(1, 4)
        v["rd_conversion_rate_pct"] = _q(r.uniform(12, 38), 1)
        v["rd_income_10k"] = _q(r.uniform(60, 600) * s, 2)
        v["research_outputs"] = si(15, 70)
        v["patents"] = round(v["research_outputs"] * r.uniform(0.3, 0.6))
        v["skill_certifications"] = si(800, 4500)
        v["master_studios"] = r.randint(1, 6)
        v["staff_training_person_days"] = si(3000, 18000)
        v["social_training_person_days"] = si(1500, 9000)
        v["ent_assets_10k"] = _q(r.uniform(200000, 3000000) * s, 1)
        v["ent_sales_10k"] = _q(float(v["ent_assets_10k"]) * r.uniform(0.4, 1.1), 1)
        v["coop_benefit_10k"] = _q(r.uniform(300, 4000) * s, 1)
        v["ent_above_scale"] = round(v["members_enterprise"] * r.uniform(0.35, 0.7))
        v["ent_above_quota"] = round(v["members_enterprise"] * r.uniform(0.05, 0.2))
        return self.derive(v)

    @staticmethod
    def derive(v: dict[str, Any]) -> dict[str, Any]:
        """Re-establish the catalogue's arithmetic: sums, ≤ relations."""
        v["secretariat_staff_total"] = v["secretariat_staff_fulltime"] + v["secretariat_staff_parttime"]
        v["funding_total_10k"] = (
            v["funding_lead_10k"] + v["funding_government_10k"] + v["funding_members_10k"] + v["funding_other_10k"]
        )
        v["patents"] = min(v["patents"], v["research_outputs"])
        v["local_employment_rate_pct"] = min(v["local_employment_rate_pct"], v["employment_rate_pct"])
        v["ent_large_medium_employees"] = min(v["ent_large_medium_employees"], v["ent_employees"])
        v["ent_above_scale"] = min(v["ent_above_scale"], v["members_enterprise"])
        v["ent_above_quota"] = min(v["ent_above_quota"], v["members_enterprise"])
        return v

    def next_year(self, prev: dict[str, Any]) -> dict[str, Any]:
        """The next year's figures: most within 0.9–1.3 × the previous, never beyond ±45 %."""
        r = self.rng
        v = dict(prev)
        for code, value in prev.items():
            spec = self.cat[code]
            if not spec.is_numeric or code in ("secretariat_staff_total", "funding_total_10k"):
                continue
            if code in self.INT_FIELDS_FIXEDISH or code == "secretariat_area_m2":
                factor = 1.0 if r.random() < 0.7 else r.uniform(0.95, 1.3)
            elif spec.type == "percent":
                factor = r.uniform(0.95, 1.06)
            else:
                factor = r.uniform(0.9, 1.3)
            v[code] = self.scale(spec, value, factor, bounded=True)
        v["employment_rate_pct"] = min(v["employment_rate_pct"], Decimal("98.9"))
        v["practice_hours_pct"] = max(v["practice_hours_pct"], Decimal("52.0"))
        return self.derive(v)

    @staticmethod
    def scale(spec: Field, value: Any, factor: float, *, bounded: bool = False, up: bool | None = None) -> Any:
        """``value × factor`` in the field's type; ``up`` rounds away from / toward zero (targets)."""
        if spec.type == "int":
            raw = value * factor
            out = math.ceil(raw) if up else math.floor(raw) if up is False else round(raw)
            if bounded and value:
                out = min(max(out, math.ceil(value * 0.6)), math.floor(value * 1.45))
            return max(out, 0)
        places = 1 if spec.type == "percent" else max(-value.as_tuple().exponent, 1)
        step = Decimal(1).scaleb(-places)
        raw = Decimal(str(float(value) * factor)).quantize(step)
        if up and raw < value * Decimal(str(factor)):
            raw += step
        if up is False and raw > value * Decimal(str(factor)):
            raw -= step
        if bounded and value:
            raw = min(max(raw, (value * Decimal("0.6")).quantize(step)), (value * Decimal("1.45")).quantize(step))
        if spec.max is not None:
            raw = min(raw, spec.max)
        return max(raw, Decimal(0))


# Milestones in order; Shanxi's due dates come from milestones.csv, others are due 12-31 of year one.
_MILESTONES = (
    "ms_council",
    "ms_charter",
    "ms_operating_rules",
    "ms_talent_plan",
    "ms_staff_training_plan",
    "ms_talent_platform",
    "ms_tech_service_platform",
)


def _milestone_timeline(
    rng: random.Random, c: _Consortium, dues: dict[str, date | None], never: tuple[str, ...] = ()
) -> dict[str, date | None]:
    """Actual dates: usually on or before the due date, some later; the platforms may slip a year."""
    y = c.recognized_year
    start = date(y, 4, 1) if c.province_code == "14" else date(y, 3, 1)
    council = start + timedelta(days=rng.randint(0, 100))
    cap = date(y, 11, 15)  # before any summary of the year is submitted
    actual: dict[str, date | None] = {
        "ms_council": council,
        "ms_charter": council - timedelta(days=rng.choice((0, 0, 3, 7))),
    }
    actual["ms_operating_rules"] = council + timedelta(days=rng.randint(5, 40))
    actual["ms_talent_plan"] = council + timedelta(days=rng.randint(30, 90))
    actual["ms_staff_training_plan"] = actual["ms_talent_plan"] + timedelta(days=rng.randint(0, 20))
    for code in ("ms_council", "ms_charter", "ms_operating_rules", "ms_talent_plan", "ms_staff_training_plan"):
        due = dues.get(code)
        if due is not None and actual[code] > due and rng.random() < 0.8:  # most keep the deadline
            actual[code] = max(due - timedelta(days=rng.randint(0, 20)), council)
        actual[code] = min(actual[code], cap)
    roll = rng.random()
    actual["ms_talent_platform"] = (
        date(y, 9, 1) + timedelta(days=rng.randint(0, 70))
        if roll < 0.8
        else date(y + 1, 3, 1) + timedelta(days=rng.randint(0, 150))
    )
    roll = rng.random()
    actual["ms_tech_service_platform"] = (
        date(y, 8, 1) + timedelta(days=rng.randint(0, 100))
        if roll < 0.4
        else date(y + 1, 4, 1) + timedelta(days=rng.randint(0, 200))
    )
    for code in never:
        actual[code] = None
    return actual


# ------------------------------------------------------------------------------------------------
# Texts, assembled from phrase lists
# ------------------------------------------------------------------------------------------------

_SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红文斌辉鹏宇晨玲云海波婷瑞凯欣怡浩然丹峰琳"
_MOBILE = (
    "138",
    "139",
    "135",
    "137",
    "150",
    "151",
    "152",
    "158",
    "159",
    "182",
    "187",
    "188",
    "130",
    "131",
    "132",
    "155",
    "156",
    "186",
    "133",
    "153",
    "180",
    "189",
    "177",
    "199",
)

_CHAINS = (
    "研发设计—核心部件—整机制造—运维服务",
    "原料供应—精深加工—检验检测—物流销售",
    "基础材料—关键零部件—系统集成—应用服务",
    "技术研发—中试孵化—规模生产—市场服务",
)
_INNOVATIONS = (
    "创新“理事会+秘书处+专门委员会”治理架构，由{zone}管委会负责同志担任理事长，{school}和{ent}分别担任副理事长单位，"
    "形成政府统筹、园区主导、校企协同的运行机制",
    "推行“园区即校区、车间即课堂”的场景化教学，在{ent}等成员企业设立教学工场{n1}个，学生在真实生产环境中完成"
    "{major1}专业核心课程的学习",
    "建立“双向流动、双岗双薪”的师资共享机制，遴选企业技术骨干{n2}人担任产业导师，专任教师每年到企业实践不少于1个月",
    "搭建共性技术服务平台，面向园区中小企业开展技术攻关、产品检测和工艺改进服务，累计解决企业技术难题{n3}项",
    "构建“岗课赛证”融通的课程体系，将{major2}等专业的职业技能等级证书标准融入专业教学标准和课程内容",
    "实施“招生即招工、入校即入企”的中国特色学徒制，与{ent}联合开设学徒制班{n4}个，实行校企双导师培养",
    "建立专业设置与{theme}产业需求动态对接机制，每年发布人才需求报告，据此调整优化专业结构和招生计划",
    "探索“政府搭台、企业出题、院校答题”的协同创新模式，校企联合申报科研项目，推动研发成果在园区就地转化",
)
_CASE_TITLES = (
    "“{short}订单班”：校企共育{major1}高技能人才",
    "共建{theme}产业学院，打造“专业+产业”融合发展新样板",
    "现场工程师专项培养计划助力{ent}转型升级",
    "“{short}共性技术服务平台”赋能园区中小企业创新发展",
    "“双师”互聘互用，建强{major2}专业教学团队",
    "中国特色学徒制“{short}模式”的探索与实践",
    "产教融合实训基地共建共享的{city}实践",
)
_CASE_BACKGROUND = (
    "{zone}{theme}企业普遍面临一线技术技能人才招不来、留不住的问题，院校培养的学生与岗位要求之间存在一定差距。",
    "随着{theme}产业加快向高端化、智能化、绿色化转型，园区企业对复合型技术技能人才的需求日益迫切。",
    "园区中小企业数量多、研发能力弱，在工艺改进和产品检测方面长期依赖外部机构，成本高、周期长。",
)
_CASE_MEASURES = (
    "校企共同制订人才培养方案，按照岗位能力要求重构课程体系",
    "企业派出技术骨干担任兼职教师，承担专业核心课程和实践教学任务",
    "学校在企业设立教师工作站，专任教师定期到企业参与技术改造项目",
    "共建共享实训基地，引入企业真实生产项目开展教学",
    "实行学校、企业双导师制，学生在企业完成岗位轮训和顶岗实习",
    "建立学徒培养质量评价标准，由企业对学徒技能水平进行考核认定",
    "依托共性技术服务平台承接企业委托项目，师生共同参与技术攻关",
)
_CASE_LESSONS = (
    "实践表明，只有让企业真正参与人才培养的全过程，才能实现教育链、人才链与产业链、创新链的有机衔接。",
    "校企双方建立了责任共担、利益共享的长效合作机制，为联合体实体化运行积累了经验。",
    "该模式已在联合体成员单位中推广，下一步将扩大合作企业范围，形成可复制、可推广的经验做法。",
)
_PLAN_ITEMS = (
    "完善理事会议事规则和秘书处运行机制，推动联合体实体化运作",
    "新增共建专业{co_majors}个、共建课程{co_courses}门，共建实训基地{co_training_bases}个",
    "培养中国特色学徒{apprentices}人、现场工程师{field_engineers}人",
    "面向园区企业员工开展培训{staff_training_person_days}人日",
    "组织专任教师到企业实践，推动企业兼职教师{ent_teachers_persons}人次参与教学",
    "发布{theme}产业人才需求报告，动态调整专业设置",
    "推进共性技术服务平台建设，联合开展技术攻关和成果转化",
)


def _fill(template: str, ctx: dict[str, Any]) -> str:
    return template.format(**ctx)


def _text_ctx(c: _Consortium, year: int, v: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    short = re.split(r"[及与（]", c.theme)[0]
    return {
        "zone": c.dev_zone,
        "school": c.school,
        "ent": c.enterprise_short,
        "city": c.city,
        "theme": c.theme,
        "short": short,
        "major1": c.majors[0],
        "major2": c.majors[1],
        "year": year,
        "n1": rng.randint(3, 9),
        "n2": rng.randint(20, 80),
        "n3": rng.randint(12, 60),
        "n4": rng.randint(2, 6),
        **{
            k: v[k]
            for k in (
                "co_majors",
                "co_courses",
                "co_training_bases",
                "apprentices",
                "field_engineers",
                "staff_training_person_days",
                "ent_teachers_persons",
            )
            if k in v
        },
    }


def _park_text(c: _Consortium, year: int, v: dict[str, Any], rng: random.Random) -> str:
    return (
        f"{c.dev_zone}以{c.theme}为主导产业，聚集相关企业{v['members_enterprise'] + rng.randint(20, 200)}家，"
        f"其中规模以上企业{v['ent_above_scale'] + rng.randint(10, 60)}家，{year}年园区实现总产值"
        f"{_dec_text(v['park_output_100m'])}亿元，已形成{rng.choice(_CHAINS)}的产业链条。"
    )


def _overlong(text: str, max_chars: int) -> str:
    """A narrative that runs past its limit, as submitters paste whole paragraphs."""
    extra = (
        "园区先后获评省级新型工业化产业示范基地、省级产教融合示范园区，引进重点项目多个，"
        "产业集聚效应和辐射带动作用持续增强，对技术技能人才的需求保持快速增长态势，"
        "企业用工缺口主要集中在一线技术岗位和生产管理岗位，亟需通过联合体建设加以解决。"
    )
    while len(text) <= max_chars + 30:
        text += extra
    return text[: max_chars + 30].rstrip("，、") + "。"


def _innovation_text(ctx: dict[str, Any], rng: random.Random) -> str:
    items = rng.sample(_INNOVATIONS, rng.randint(3, 5))
    body = "；".join(f"{_ORDINALS[i]}是{_fill(t, ctx)}" for i, t in enumerate(items))
    return (
        f"联合体坚持“政府主导、园区统筹、校企共建”的原则，在体制机制和人才培养模式上开展了以下探索：{body}。\n"
        f"下一步，联合体将围绕{ctx['city']}{ctx['theme']}产业发展需求，持续深化产教融合、校企合作，"
        "推动联合体由“物理聚合”向“化学融合”转变。"
    )


def _case(ctx: dict[str, Any], rng: random.Random, title_template: str) -> tuple[str, str]:
    title = _fill(title_template, ctx)
    if len(title) > 50:
        title = f"{ctx['short']}产教融合典型案例"
    measures = rng.sample(_CASE_MEASURES, 3)
    students, retained, solved = rng.randint(40, 300), rng.randint(65, 92), rng.randint(5, 40)
    text = "\n".join(
        (
            "【背景】"
            + _fill(rng.choice(_CASE_BACKGROUND), ctx)
            + f"{ctx['year']}年，联合体以{ctx['ent']}为试点，联合{ctx['school']}启动本项目。",
            "【做法】" + "；".join(f"{_ORDINALS[i]}是{m}" for i, m in enumerate(measures)) + "。",
            f"【成效】项目实施以来，累计培养{ctx['major1']}等专业学生{students}人，合作企业留用率达到{retained}%，"
            f"帮助企业解决生产技术难题{solved}项，相关做法得到{ctx['city']}教育行政部门的肯定。",
            "【经验】" + rng.choice(_CASE_LESSONS),
        )
    )
    return title, text


def _plan_text(ctx: dict[str, Any], rng: random.Random, pending: list[str], cat: Catalogue) -> str:
    items = [_fill(t, ctx) for t in _PLAN_ITEMS if all(k in ctx for k in re.findall(r"{(\w+)}", t))]
    items = rng.sample(items, min(len(items), rng.randint(4, 6)))
    if pending:
        items.append("按期完成" + "、".join(cat.label(code).replace("日期", "") for code in pending))
    body = "；".join(f"{_ORDINALS[i]}是{item}" for i, item in enumerate(items))
    return f"{ctx['year']}年，联合体将围绕{ctx['city']}{ctx['theme']}产业链发展需求，重点做好以下工作：{body}。"


def _person(rng: random.Random) -> str:
    return rng.choice(_SURNAMES) + "".join(rng.choice(_GIVEN) for _ in range(rng.choice((1, 2, 2))))


def _phone(rng: random.Random, c: _Consortium) -> str:
    if rng.random() < 0.5:
        code = _AREA_CODES.get(c.city, "0351")
        digits = 8 if code == "0731" else 7
        return f"{code}-{rng.randint(2, 8)}{rng.randint(0, 10 ** (digits - 1) - 1):0{digits - 1}d}"
    return rng.choice(_MOBILE) + f"{rng.randint(0, 99999999):08d}"


# ------------------------------------------------------------------------------------------------
# The scenario: who files what, when, and which faults
# ------------------------------------------------------------------------------------------------

MISSING = (("SX-2024-08", 2024, "summary"), ("HN-2024-07", 2025, "summary"), ("HN-2024-03", 2025, "plan"))
LATE_DAYS = {
    ("SX-2024-04", 2024, "plan"): 3,
    ("HN-2024-03", 2024, "summary"): 7,
    ("HN-2024-10", 2025, "plan"): 12,
    ("SX-2024-09", 2025, "summary"): 1,
    ("HN-2025-01", 2025, "summary"): 19,
}
ON_DUE_DATE = (("SX-2024-03", 2025, "plan"),)
NOT_APPROVED = (
    ("HN-2024-08", 2024, "plan"),
    ("SX-2024-07", 2025, "plan"),
    ("HN-2025-02", 2025, "summary"),
    ("HN-2024-04", 2024, "summary"),
)
EXTENSION = {
    "consortium_id": "HN-2024-02",
    "year": 2025,
    "kind": "summary",
    "due_date": "2025-12-31",
    "reason": "受园区管理体制调整影响，经省教育厅同意延期至12月31日前报送",
}
INCOMPLETE = "HN-2024-10"  # misses most plan targets in 2024 and 2025 (two years → adjustment)
VIOLATION = ("HN-2024-06", 2024)  # a major violation reported from its 2024 summary on
VIOLATION_TEXT = (
    "2024年9月，成员学校一名顶岗实习学生在合作企业发生安全生产事故，"
    "联合体已配合有关部门依法依规处理，并完成实习安全管理专项整改。"
)
YOY_EXPLAINED = ("SX-2024-01", "apprentices", 1.8, "2025年与通航企业新开设学徒制班3个，学徒人数较上年大幅增加")
YOY_UNEXPLAINED = ("HN-2024-01", "rd_income_10k", 2.2)
KIND_CHINESE = (("HN-2024-01", 2024, "plan"), ("SX-2024-09", 2025, "summary"))
NAME_ABBREVIATION = (("SX-2024-01", 2024, "plan"), "大同通航产教联合体")
NAME_NFKC_VARIANT = (("SX-2024-05", 2025, "summary"), "太忻(智能制造) 市域产教联合体")
RESUBMITTED = ("SX-2024-06", 2025, "summary")


class _Generator:
    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        self.cat = load_catalogue()
        self.deadlines = _read_csv_rows("deadlines.csv")
        self.milestones = _read_csv_rows("milestones.csv")
        self.layout = _read_csv_rows("industry_layout_hunan.csv")
        self.consortia = _build_registry()
        self.values = _Values(self.rng, self.cat)
        self.docs: list[_Doc] = []

    # --- dates ---------------------------------------------------------------------------------

    def due(self, c: _Consortium, year: int, kind: str, *, extended: bool = True) -> date:
        if extended and (c.consortium_id, year, kind) == (
            EXTENSION["consortium_id"],
            EXTENSION["year"],
            EXTENSION["kind"],
        ):
            return date.fromisoformat(EXTENSION["due_date"])
        return _due_date(self.deadlines, c, year, kind)

    def submission_dates(self, c: _Consortium, year: int, kind: str) -> tuple[date, date | None]:
        key = (c.consortium_id, year, kind)
        normal_due = self.due(c, year, kind, extended=False)
        if key in LATE_DAYS:
            submitted = normal_due + timedelta(days=LATE_DAYS[key])
        elif key in ON_DUE_DATE:
            submitted = normal_due
        elif key == (EXTENSION["consortium_id"], EXTENSION["year"], EXTENSION["kind"]):
            submitted = normal_due + timedelta(days=9)  # late without, on time with the extension
        else:
            submitted = normal_due - timedelta(days=self.rng.randint(1, 25))
        approved = None if key in NOT_APPROVED else submitted - timedelta(days=self.rng.randint(2, 9))
        return submitted, approved

    # --- documents -----------------------------------------------------------------------------

    def build(self) -> None:
        for c in self.consortia:
            self.build_consortium(c)
        self.add_rejected()

    def build_consortium(self, c: _Consortium) -> None:
        rng = self.rng
        years = [y for y in YEARS if c.files_for(y)]
        dues = _milestone_dues(self.milestones, c, list(_MILESTONES))
        never = ("ms_talent_platform", "ms_tech_service_platform") if c.consortium_id == INCOMPLETE else ()
        timeline = _milestone_timeline(rng, c, dues, never)
        contact = (_person(rng), _phone(rng, c))
        actual: dict[int, dict[str, Any]] = {}
        for year in years:
            if year == years[0]:
                actual[year] = self.values.profile(c)
                if c.consortium_id == "HN-2024-04":
                    actual[year]["patents"] = round(actual[year]["research_outputs"] * 0.85)
            else:
                actual[year] = self.values.next_year(actual[year - 1])
                if c.consortium_id == YOY_EXPLAINED[0]:
                    code, factor = YOY_EXPLAINED[1], YOY_EXPLAINED[2]
                    actual[year][code] = self.values.scale(self.cat[code], actual[year - 1][code], factor)
                if c.consortium_id == YOY_UNEXPLAINED[0]:
                    code, factor = YOY_UNEXPLAINED[1], YOY_UNEXPLAINED[2]
                    actual[year][code] = self.values.scale(self.cat[code], actual[year - 1][code], factor)
                if c.consortium_id == "HN-2024-04":
                    actual[year]["research_outputs"] = actual[year - 1]["research_outputs"]
            achieved = timeline["ms_tech_service_platform"]
            if achieved is None or achieved.year > year:
                actual[year]["tech_service_platforms"] = 0
            elif year > years[0] and actual[year - 1]["tech_service_platforms"] == 0:
                actual[year]["tech_service_platforms"] = rng.randint(1, 3)
            if rng.random() < 0.3 and year > years[0]:
                contact = (_person(rng), _phone(rng, c))
            # the summary first: the plan sets targets only for what its summary reports
            for kind in ("summary", "plan"):
                submitted, approved = self.submission_dates(c, year, kind)
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
                    doc = summary = self.summary_doc(c, year, meta, actual[year], timeline)
                else:
                    doc = self.plan_doc(c, year, meta, summary.values, timeline)
                if (c.consortium_id, year, kind) not in MISSING:
                    self.docs.append(doc)
        self.apply_scenario(c)
        for doc in self.docs:  # a reported violation is a veto finding (seed 003 附件2 7)
            if doc.consortium.consortium_id == c.consortium_id and doc.values.get("violations_count"):
                self.fault(doc, "violations_count", "veto", explained=False)

    def summary_doc(
        self, c: _Consortium, year: int, meta: dict[str, Any], actual: dict[str, Any], timeline: dict[str, date | None]
    ) -> _Doc:
        rng = self.rng
        v: dict[str, Any] = dict(meta)
        v.update(actual)
        v["industry_codes"] = c.industry_codes if (c.consortium_id == "HN-2024-05" or rng.random() < 0.5) else None
        ctx = _text_ctx(c, year, actual, rng)
        v["park_industry_text"] = _park_text(c, year, actual, rng)
        v["policy_text"] = (
            f"{c.city}先后出台《{c.city}深化产教融合实施方案》《关于支持市域产教联合体建设的若干措施》等文件，"
            f"将联合体建设纳入{c.city}教育事业发展规划，设立产教融合专项资金{rng.randint(200, 2000)}万元，"
            "对参与联合体建设的企业按规定落实“金融+财政+土地+信用”组合式激励政策。"
        )
        for code in _MILESTONES:
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
        v["innovation_text"] = _innovation_text(ctx, rng)
        titles = rng.sample(_CASE_TITLES, rng.randint(1, 3))
        for i in range(1, 4):
            if i <= len(titles):
                v[f"case_{i}_title"], v[f"case_{i}_text"] = _case(ctx, rng, titles[i - 1])
            else:
                v[f"case_{i}_title"] = v[f"case_{i}_text"] = None
        v.update(self.compliance(c, year, "summary"))
        optional = [
            f.code
            for f in self.cat.for_kind("summary")
            if f.required_in == "no"
            and not f.is_meta
            and f.code not in self.protected(c)
            and v.get(f.code) is not None
            and not f.code.startswith(("ms_", "case_", "violations"))
        ]
        for code in rng.sample(optional, rng.randint(2, 6)):
            v[code] = None
        return _Doc(c, year, "summary", v)

    def protected(self, c: _Consortium) -> set[str]:
        """Optional fields a deliberate fault or warning needs filled."""
        keep = {"patents", "employment_rate_pct", "industry_codes", "practice_hours_pct"}
        if c.consortium_id == YOY_UNEXPLAINED[0]:
            keep.add(YOY_UNEXPLAINED[1])
        return keep

    def compliance(self, c: _Consortium, year: int, kind: str) -> dict[str, Any]:
        reported = (
            c.consortium_id == VIOLATION[0] and year >= VIOLATION[1] and not (year == VIOLATION[1] and kind == "plan")
        )
        return {
            "violations_count": 1 if reported else 0,
            "violations_text": VIOLATION_TEXT if reported else None,
            "integrity_pledge": True,
        }

    def plan_doc(
        self, c: _Consortium, year: int, meta: dict[str, Any], actual: dict[str, Any], timeline: dict[str, date | None]
    ) -> _Doc:
        """Targets below the year's actual figures (met), or above them for the incomplete consortium."""
        rng = self.rng
        v: dict[str, Any] = dict(meta)
        fields = [f for f in self.cat.for_kind("plan") if f.section[0] in "ABCDE" and f.is_numeric]
        incomplete = c.consortium_id == INCOMPLETE
        for f in fields:
            value = actual.get(f.code)
            if value is None or f.code in ("secretariat_staff_total", "funding_total_10k"):
                continue
            if f.required_in == "no" and rng.random() < 0.35:
                continue  # an optional target left empty
            if incomplete and rng.random() < 0.8:
                target = (
                    min(value + _q(rng.uniform(2, 5), 1), Decimal("99.0"))
                    if f.type == "percent"
                    else self.values.scale(f, value, rng.uniform(1.2, 1.6), up=True)
                )
                if target <= value:
                    target = value + (1 if f.type == "int" else Decimal("1"))
            elif f.type == "percent":
                target = max(value - _q(rng.uniform(1, 4), 1), Decimal(0))
            else:
                target = self.values.scale(f, value, rng.uniform(0.75, 0.95), up=False)
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
        for code in _MILESTONES:
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
        ctx = _text_ctx(c, year, {k: val for k, val in v.items() if val is not None}, rng)
        v["plan_text"] = _plan_text(ctx, rng, pending, self.cat)
        v.update(self.compliance(c, year, "plan"))
        return _Doc(c, year, "plan", v)

    # --- deliberate variants and faults --------------------------------------------------------

    def doc(self, cid: str, year: int, kind: str) -> _Doc:
        found = [d for d in self.docs if d.key == (cid, year, kind) and d.expected == "accepted"]
        return found[0]

    def fault(self, doc: _Doc, code: str, rule: str, **extra: Any) -> None:
        doc.faults.append({"field": code, "rule": rule, "severity": self.severity(code, rule), **extra})

    def severity(self, code: str, rule: str) -> str:
        if rule in ("type", "min", "max", "max_chars", "required"):
            return "fatal"
        if rule == "yoy":
            return "warning"
        return next(r.severity for r in self.cat[code].rules if r.name == rule)

    def apply_scenario(self, c: _Consortium) -> None:
        cid = c.consortium_id
        docs = {d.key: d for d in self.docs if d.consortium.consortium_id == cid}
        if cid == "SX-2024-03":
            d = docs[(cid, 2024, "summary")]
            d.values["funding_total_10k"] += Decimal("50")
            d.fmt, d.encoding = "csv", "utf-8"
            self.fault(d, "funding_total_10k", "sum_eq")
        if cid == "HN-2024-04":
            d = docs[(cid, 2025, "summary")]
            d.values["patents"] = d.values["research_outputs"] + 2
            d.fmt = "json"
            self.fault(d, "patents", "le")
        if cid == "SX-2024-07":
            d = docs[(cid, 2024, "summary")]
            d.values["employment_rate_pct"] = Decimal("105")
            d.raw["employment_rate_pct"] = "105%"
            d.fmt, d.encoding = "csv", "gb18030"
            self.fault(d, "employment_rate_pct", "max")
        if cid == "HN-2024-08":
            d = docs[(cid, 2025, "summary")]
            d.values["co_majors"] = None
            d.raw["co_majors"], d.unparseable = "十二", {"co_majors"}
            d.fmt = "xlsx"
            self.fault(d, "co_majors", "type")
        if cid == "HN-2024-02":
            d = docs[(cid, 2024, "summary")]
            d.values["employment_rate_pct"] = Decimal("100")
            d.fmt = "xlsx"
            self.fault(d, "employment_rate_pct", "warn_equal", explained=False)
        if cid == "SX-2024-02":
            d = docs[(cid, 2025, "summary")]
            d.values["park_industry_text"] = _overlong(
                d.values["park_industry_text"], self.cat["park_industry_text"].max_chars
            )
            d.fmt, d.encoding = "csv", "utf-8-sig"
            self.fault(d, "park_industry_text", "max_chars")
        if cid == "HN-2024-07":
            d = docs[(cid, 2024, "summary")]
            d.values["practice_hours_pct"] = Decimal("46.5")
            self.fault(d, "practice_hours_pct", "warn_below")
        if cid == YOY_EXPLAINED[0]:
            d = docs[(cid, 2025, "summary")]
            d.notes[YOY_EXPLAINED[1]] = YOY_EXPLAINED[3]
            self.fault(d, YOY_EXPLAINED[1], "yoy", explained=True)
        if cid == YOY_UNEXPLAINED[0]:
            self.fault(docs[(cid, 2025, "summary")], YOY_UNEXPLAINED[1], "yoy", explained=False)
        if cid == NAME_ABBREVIATION[0][0]:
            d = docs[NAME_ABBREVIATION[0]]
            d.values["consortium_name"] = NAME_ABBREVIATION[1]
            self.fault(d, "consortium_name", "registry_name", explained=False)
        if cid == NAME_NFKC_VARIANT[0][0]:
            d = docs[NAME_NFKC_VARIANT[0]]
            d.values["consortium_name"] = NAME_NFKC_VARIANT[1]
            d.tags.add("name_variant_nfkc")
        if cid == "HN-2024-05":
            for d in docs.values():
                self.fault(d, "industry_codes", "in_city_layout", explained=False)
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
                or _case(_text_ctx(c, 2025, v1.values, self.rng), self.rng, _CASE_TITLES[-1])[0]
            )
            v1.values["case_2_text"] = None
            v1.values["case_3_title"] = v1.values["case_3_text"] = None
            if v2.values["case_2_title"] is None:
                v2.values["case_2_title"] = v1.values["case_2_title"]
                v2.values["case_2_text"] = _case(_text_ctx(c, 2025, v2.values, self.rng), self.rng, _CASE_TITLES[-1])[1]
            self.fault(v1, "case_2_text", "required_if")
            v1.fmt, v1.filename = "xlsx", "SX-2024-06_2025_summary.xlsx"
            v2.values["submitted_on"] = self.due(c, 2025, "summary") + timedelta(days=3)  # after the due date
            v2.values["city_approved_on"] = v2.values["submitted_on"] - timedelta(days=2)
            v2.version, v2.fmt, v2.filename = 2, "json", "SX-2024-06_2025_summary_v2（更正）.json"
            v2.notes["case_2_text"] = "补充典型案例2正文（首次报送时遗漏）"
            self.docs.insert(self.docs.index(v2), v1)
        for d in docs.values():  # a few 说明 on fields without findings, as submitters write them
            self.add_notes(d)

    def add_notes(self, d: _Doc) -> None:
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
        count = self.rng.choice((0, 0, 1, 1, 2, 3)) if d.kind == "summary" else self.rng.choice((0, 0, 0, 1))
        for code, note in self.rng.sample(pool, count):
            if code not in flagged and d.values.get(code) is not None and code not in d.notes:
                d.notes[code] = note.format(school=d.consortium.school)

    def add_rejected(self) -> None:
        """Extra files that must be rejected; each has an accepted counterpart, so none is 'missing'."""
        rng = self.rng

        def copy_of(cid: str, year: int, kind: str, days_before: int) -> _Doc:
            d = copy.deepcopy(self.doc(cid, year, kind))
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
        self.docs.append(d)

        d = copy_of("SX-2024-05", 2025, "plan", 3)
        d.row_edits.append(("duplicate", "co_courses"))
        d.rejected_field, d.fmt, d.encoding = "co_courses", "csv", "utf-8"
        d.filename = "太忻（智能制造）市域产教联合体2025年工作计划（第一版）.csv"
        self.docs.append(d)

        d = copy_of("SX-2024-02", 2024, "summary", 0)
        d.folder_year, d.rejected_field, d.fmt = 2025, "year", "json"
        d.filename = "SX-2024-02-summary-2024.json"
        self.docs.append(d)

        fake = _Consortium(
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
        timeline = _milestone_timeline(rng, fake, _milestone_dues(self.milestones, fake, list(_MILESTONES)))
        submitted = date(2025, 12, 1) + timedelta(days=rng.randint(0, 10))
        meta = {
            "consortium_id": fake.consortium_id,
            "consortium_name": fake.name,
            "year": 2025,
            "kind": "summary",
            "submitted_on": submitted,
            "city_approved_on": submitted - timedelta(days=3),
            "contact_name": _person(rng),
            "contact_phone": _phone(rng, fake),
        }
        d = self.summary_doc(fake, 2025, meta, self.values.profile(fake), timeline)
        d.expected, d.rejected_field, d.version = "rejected", "consortium_id", 0
        d.fmt, d.encoding = "csv", "gb18030"
        d.filename = "太原市现代服务业市域产教联合体2025年工作总结.csv"
        self.docs.append(d)

        d = copy_of("HN-2024-06", 2025, "plan", 2)
        d.values["submitted_on"] = None
        d.raw["submitted_on"] = ""
        d.rejected_field, d.fmt = "submitted_on", "xlsx"
        d.filename = "衡阳市矿山装备市域产教联合体2025年度工作计划.xlsx"
        self.docs.append(d)

        d = copy_of("SX-2024-08", 2025, "summary", 4)
        d.values["submitted_on"] = None
        d.raw["submitted_on"] = "下周一"
        d.rejected_field, d.fmt = "submitted_on", "json"
        d.filename = "晋城市光机电产教联合体-2025-总结.json"
        self.docs.append(d)

        d = copy_of("HN-2024-07", 2024, "plan", 1)
        d.truncate, d.rejected_field, d.fmt = True, "-", "xlsx"
        d.filename = "常德市食品加工市域产教联合体2024年工作计划.xlsx"
        self.docs.append(d)

    # --- formats, encodings, styles, names -----------------------------------------------------

    def assign_formats(self) -> None:
        rng = self.rng
        total = len(self.docs)
        wanted = {fmt: round(share * total) for fmt, share in FORMAT_SHARES}
        wanted["json"] = total - wanted["xlsx"] - wanted["csv"]
        for d in self.docs:
            if d.fmt:
                wanted[d.fmt] -= 1
        free = [d for d in self.docs if not d.fmt]
        rng.shuffle(free)
        pool = [fmt for fmt, _ in FORMAT_SHARES for _ in range(max(wanted[fmt], 0))]
        pool += ["xlsx"] * (len(free) - len(pool))
        for d, fmt in zip(free, pool):
            d.fmt = fmt
        encodings = list(CSV_ENCODINGS)
        i = 0
        for d in self.docs:
            if d.fmt == "csv" and not d.encoding:
                d.encoding = encodings[i % len(encodings)]
                i += 1
            elif d.fmt == "json":
                d.encoding = "utf-8"

    def assign_styles(self) -> None:
        counters = {"xlsx": 0, "csv": 0, "json": 0}
        for d in self.docs:
            i = counters[d.fmt]
            counters[d.fmt] += 1
            if d.fmt == "xlsx":
                d.style = {
                    "date": ("cell", "iso", "cell", "slash", "cjk")[i % 5],
                    "percent": ("cell", "sign", "plain", "cell", "fullwidth", "cell")[i % 6],
                    "thousands": i % 4 == 1,
                    "fullwidth_comma": i % 8 == 5,
                    "fullwidth_digits": i % 6 == 2,
                    "bool": ("shi", "true")[i % 2],
                    "numbers": "cell",
                    "extra_sheet": ("first" if i % 9 == 4 else "last" if i % 9 == 7 else None),
                }
            elif d.fmt == "csv":
                d.style = {
                    "date": ("iso", "slash", "cjk")[i % 3],
                    "percent": ("sign", "plain", "fullwidth")[(i + 1) % 3],
                    "thousands": i % 3 == 0,
                    "fullwidth_comma": i % 6 == 3,
                    "fullwidth_digits": i % 5 == 4,
                    "bool": ("shi", "true")[i % 2],
                    "numbers": "string",
                    "line_end": "\r\n" if d.encoding in ("gb18030", "utf-8-sig") else "\n",
                }
            else:
                numbers = "json" if i % 2 == 0 else "string"
                d.style = {
                    "date": ("iso", "slash", "cjk")[i % 3],
                    "percent": "plain" if numbers == "json" else ("sign", "plain")[i % 4 // 2],
                    "thousands": numbers == "string" and i % 4 == 1,
                    "fullwidth_comma": False,
                    "fullwidth_digits": i % 5 == 3,
                    "bool": ("json", "shi", "true")[i % 3],
                    "numbers": numbers,
                }

    def assign_names(self) -> None:
        used: set[tuple[int, str]] = {((d.folder_year or d.year), d.filename) for d in self.docs if d.filename}
        for d in self.docs:
            if d.filename:
                continue
            c, y, k = d.consortium, d.year, d.kind
            patterns = (
                f"{c.consortium_id}_{y}_{k}",
                f"{c.name}{y}年{_KIND_SHORT[k]}",
                f"{c.consortium_id}-{k}-{y}",
                f"{y}年{c.name}{'全年工作计划' if k == 'plan' else '全年工作总结（含典型案例）'}",
                f"{c.city}_{c.name}_{y}{'计划' if k == 'plan' else '总结'}",
                f"{c.consortium_id} {y}年度{_KIND_ZH[k]}",
                f"关于报送{c.name}{y}年度{_KIND_SHORT[k]}的函",
            )
            name = f"{self.rng.choice(patterns)}.{d.fmt}"
            n = 2
            while ((d.folder_year or y), name) in used:
                name = f"{name.rsplit('.', 1)[0]}({n}).{d.fmt}"
                n += 1
            used.add(((d.folder_year or y), name))
            d.filename = name

    # --- self-check: the typed values raise exactly the deliberate findings --------------------

    def check(self) -> None:
        layout = {}
        for row in self.layout:
            layout.setdefault(row["city"], set()).add(row["industry_code"])
        known_codes = {row["industry_code"] for row in self.layout}
        for d in self.docs:
            if d.expected != "accepted":
                continue
            found = set(_findings(self.cat, d, layout, known_codes))
            declared = {(f["field"], f["rule"]) for f in d.faults if f["rule"] not in ("type", "yoy")}
            if found != declared:
                raise AssertionError(
                    f"sample {d.key} v{d.version}: findings {sorted(found)} != declared {sorted(declared)}"
                )
        self.check_yoy()

    def unusable(self, d: _Doc) -> set[str]:
        out = set(d.unparseable)
        for f in d.faults:
            if f["severity"] == "fatal":
                out.add(f["field"])
                for rule in self.cat[f["field"]].rules:
                    if rule.name == f["rule"]:
                        out.update(rule.fields)
        return {code for code in out if not self.cat[code].is_meta}

    def latest(self, cid: str, year: int, kind: str) -> _Doc | None:
        found = [d for d in self.docs if d.key == (cid, year, kind) and d.expected == "accepted"]
        return max(found, key=lambda d: (d.submitted_on, d.filename)) if found else None

    def check_yoy(self) -> None:
        for d in self.docs:
            if d.expected != "accepted" or d.kind != "summary" or d.year == YEARS[0]:
                continue
            prev = self.latest(d.consortium.consortium_id, d.year - 1, "summary")
            if prev is None:
                continue
            skip = self.unusable(d) | self.unusable(prev)
            jumps = set()
            for f in self.cat.for_kind("summary"):
                if not f.is_numeric or f.is_meta or f.code in skip:
                    continue
                now, before = d.values.get(f.code), prev.values.get(f.code)
                if now is None or before in (None, 0):
                    continue
                if abs(Decimal(now) / Decimal(before) - 1) > Decimal("0.5"):
                    jumps.add(f.code)
            declared = {f["field"] for f in d.faults if f["rule"] == "yoy"}
            if jumps != declared:
                raise AssertionError(f"sample {d.key}: year-over-year jumps {sorted(jumps)} != {sorted(declared)}")

    # --- the answer key ------------------------------------------------------------------------

    def manifest(self) -> dict[str, Any]:
        files = []
        for d in self.docs:
            entry = {
                "file": f"{d.folder_year or d.year}/{d.filename}",
                "consortium_id": d.cid,
                "year": d.year,
                "kind": d.kind,
                "format": d.fmt,
                "encoding": d.encoding if d.fmt != "xlsx" else None,
                "expected": d.expected,
                "faults": sorted(d.faults, key=lambda f: (f["field"], f["rule"])),
                "normalisation": sorted(d.tags),
                "submitted_on": d.submitted_on.isoformat() if d.submitted_on else None,
            }
            if d.expected == "rejected":
                entry["rejected_field"] = d.rejected_field
            else:
                entry["version"] = d.version
            files.append(entry)
        files.sort(key=lambda e: e["file"])

        missing, late, not_approved, completion = [], [], [], []
        for c in self.consortia:
            for year in YEARS:
                if not c.files_for(year):
                    continue
                for kind in ("plan", "summary"):
                    accepted = sorted(
                        (d for d in self.docs if d.key == (c.consortium_id, year, kind) and d.expected == "accepted"),
                        key=lambda d: (d.submitted_on, d.filename),
                    )
                    if not accepted:
                        missing.append({"consortium_id": c.consortium_id, "year": year, "kind": kind})
                        continue
                    first, last = accepted[0], accepted[-1]
                    due = self.due(c, year, kind)
                    days = (first.submitted_on - due).days
                    if days > 0:
                        late.append(
                            {
                                "consortium_id": c.consortium_id,
                                "year": year,
                                "kind": kind,
                                "days_late": days,
                                "due_date": due.isoformat(),
                                "file": f"{year}/{first.filename}",
                            }
                        )
                    if last.values.get("city_approved_on") is None:
                        not_approved.append(
                            {
                                "consortium_id": c.consortium_id,
                                "year": year,
                                "kind": kind,
                                "file": f"{year}/{last.filename}",
                            }
                        )
                completion.append(self.plan_completion(c, year))
        violations = [
            {"consortium_id": d.cid, "year": d.year, "kind": d.kind, "violations_count": d.values["violations_count"]}
            for d in self.docs
            if d.expected == "accepted" and d.values.get("violations_count")
        ]
        return {
            "seed": self.seed,
            "files": files,
            "missing": missing,
            "late": late,
            "not_city_approved": not_approved,
            "extensions": [dict(EXTENSION)],
            "plan_completion": completion,
            "violations": violations,
            "withdrawn": [
                {"consortium_id": c.consortium_id, "status_year": c.status_year}
                for c in self.consortia
                if c.status == "withdrawn"
            ],
            "normalisations": list(NORMALISATIONS),
        }

    def plan_completion(self, c: _Consortium, year: int) -> dict[str, Any]:
        """DOMAIN.md's default: ≥ 80 % of the plan's targets met and every milestone planned for the year done."""
        plan, summary = self.latest(c.consortium_id, year, "plan"), self.latest(c.consortium_id, year, "summary")
        entry: dict[str, Any] = {"consortium_id": c.consortium_id, "year": year}
        if plan is None or summary is None:
            return {**entry, "completed": False, "reason": "no plan" if plan is None else "no summary"}
        skip = self.unusable(summary)
        targets = [
            f
            for f in self.cat.for_kind("plan")
            if f.section[0] in "ABCDE" and f.is_numeric and plan.values.get(f.code) is not None
        ]
        met = sum(
            1
            for f in targets
            if f.code not in skip
            and summary.values.get(f.code) is not None
            and summary.values[f.code] >= plan.values[f.code]
        )
        planned = [
            code for code in _MILESTONES if isinstance(plan.values.get(code), date) and plan.values[code].year == year
        ]
        achieved = [
            code
            for code in planned
            if summary.values.get(code) is not None and summary.values[code] <= date(year, 12, 31)
        ]
        completed = bool(targets) and met >= 0.8 * len(targets) and len(achieved) == len(planned)
        return {
            **entry,
            "completed": completed,
            "targets": len(targets),
            "targets_met": met,
            "milestones_planned": len(planned),
            "milestones_achieved": len(achieved),
        }


def _findings(cat: Catalogue, d: _Doc, layout: dict[str, set[str]], known_codes: set[str]) -> list[tuple[str, str]]:
    """The catalogue's limits and rules evaluated on the typed values (the generator's own check)."""
    v = {code: value for code, value in d.values.items() if code not in d.unparseable}
    present = {code: value for code, value in v.items() if value not in (None, "", ())}
    out = []
    for f in cat.for_kind(d.kind):
        value = present.get(f.code)
        if value is None:
            if f.required(d.kind) and f.code not in d.unparseable:
                out.append((f.code, "required"))
        elif f.is_numeric:
            if (f.min is not None and value < f.min) or (f.max is not None and value > f.max):
                out.append((f.code, "min" if f.min is not None and value < f.min else "max"))
        elif f.type == "text" and f.max_chars and len(nfc(value)) > f.max_chars:
            out.append((f.code, "max_chars"))
        elif f.code == "industry_codes" and any(code not in known_codes for code in value):
            out.append((f.code, "known"))
        for rule in f.rules:
            if not rule.applies_to(d.kind):
                continue
            others = [present.get(x) for x in rule.fields]
            if rule.name == "required_if":
                if others[0] not in (None, 0) and value is None:
                    out.append((f.code, rule.name))
                continue
            if value is None or any(o is None for o in others):
                continue
            broken = {
                "sum_eq": lambda: abs(value - sum(others)) > rule.tolerance,
                "le": lambda: value > others[0],
                "not_after": lambda: value > others[0],
                "any_positive": lambda: not (value > 0 or others[0] > 0),
                "both_or_neither": lambda: (value > 0) != (others[0] > 0),
                "warn_below": lambda: value < rule.number,
                "warn_equal": lambda: value == rule.number,
                "min_ratio": lambda: others[0] > 0 and Decimal(value) / Decimal(others[0]) < rule.number,
                "known_codes": lambda: any(code not in rule.codes for code in value),
                "is_true": lambda: value is not True,
                "registry_name": lambda: re.sub(r"\s+", "", nfkc(value)) != re.sub(r"\s+", "", nfkc(d.consortium.name)),
                "veto": lambda: value > 0,
                "in_city_layout": lambda: (
                    d.consortium.city in layout and any(code not in layout[d.consortium.city] for code in value)
                ),
            }[rule.name]()
            if broken:
                out.append((f.code, rule.name))
    return out


# ------------------------------------------------------------------------------------------------
# Writing: cells as people type them
# ------------------------------------------------------------------------------------------------

_DATE_FORMATS = ("yyyy-mm-dd", "yyyy/m/d", 'yyyy"年"m"月"d"日"')


class _Renderer:
    """Turns a typed value into what a submitter's file holds, recording the normalisations used."""

    def __init__(self, d: _Doc, rng: random.Random) -> None:
        self.d, self.style, self.tags = d, d.style, d.tags
        numeric = [
            f
            for f in d.values
            if d.values[f] is not None
            and isinstance(d.values[f], int)
            and not isinstance(d.values[f], bool)
            and f not in ("year", "violations_count")
        ]
        self.fullwidth = set(rng.sample(numeric, min(2, len(numeric)))) if d.style.get("fullwidth_digits") else set()
        self.date_cell_format = _DATE_FORMATS[rng.randrange(len(_DATE_FORMATS))]

    def number_text(self, value: int | Decimal, code: str) -> str:
        text = f"{value:,}" if isinstance(value, int) else None
        if isinstance(value, Decimal):
            whole, _, frac = _dec_text(value).partition(".")
            text = f"{int(whole):,}" + (f".{frac}" if frac else "")
        plain = str(value) if isinstance(value, int) else _dec_text(value)
        if self.style.get("thousands") and abs(value) >= 1000:
            self.tags.add("thousands_separator")
            if self.style.get("fullwidth_comma"):
                self.tags.add("fullwidth_comma")
                text = text.replace(",", "，")
        else:
            text = plain
        if code in self.fullwidth:
            self.tags.add("fullwidth_digits")
            text = text.translate(_FULLWIDTH)
        return text

    def value(self, f: Field, value: Any) -> tuple[Any, str | None]:
        """(cell value, number format) for xlsx; a str (csv) or a JSON value (json) otherwise."""
        fmt, st = self.d.fmt, self.style
        if f.code in self.d.raw:
            raw = self.d.raw[f.code]
            return (None if raw == "" and fmt == "xlsx" else raw), None
        if value is None:
            return ("" if fmt != "xlsx" else None), None
        if f.type == "date":
            if st["date"] == "cell" and fmt == "xlsx":
                self.tags.add("date_cell")
                return value, self.date_cell_format
            self.tags.add(f"date_{st['date']}")
            return {
                "iso": value.isoformat(),
                "slash": f"{value.year}/{value.month}/{value.day}",
                "cjk": f"{value.year}年{value.month}月{value.day}日",
            }[st["date"]], None
        if f.type == "bool":
            if st["bool"] == "json" and fmt == "json":
                self.tags.add("bool_json")
                return bool(value), None
            self.tags.add("bool_shi_fou" if st["bool"] == "shi" else "bool_true_false")
            return ("是" if value else "否") if st["bool"] == "shi" else ("true" if value else "false"), None
        if f.type == "enum":
            if self.d.kind_chinese:
                self.tags.add("kind_chinese")
                return _KIND_ZH[value], None
            return value, None
        if f.type == "codes":
            if self.d.fullwidth_semicolon:
                self.tags.add("fullwidth_semicolon")
                return "；".join(value), None
            return ";".join(value), None
        if f.type == "percent":
            return self.percent(f, value)
        if f.is_numeric:
            if f.is_meta:
                if fmt == "xlsx":
                    return value, None
                if fmt == "json" and st["numbers"] == "json":
                    return value, None
                return str(value), None
            return self.number(f, value)
        return value, None

    def number(self, f: Field, value: int | Decimal) -> tuple[Any, str | None]:
        fmt, st = self.d.fmt, self.style
        as_text = self.number_text(value, f.code)
        plain = str(value) if isinstance(value, int) else _dec_text(value)
        if as_text != plain:  # a separator or full-width digits: typed as text
            self.tags.add("json_string" if fmt == "json" else "numeric_string")
            return as_text, None
        if fmt == "xlsx":
            self.tags.add("numeric_cell")
            return (
                value if isinstance(value, int) else int(value) if value == value.to_integral_value() else float(value)
            ), None
        if fmt == "json" and st["numbers"] == "json":
            self.tags.add("json_number")
            return (
                value if isinstance(value, int) else int(value) if value == value.to_integral_value() else float(value)
            ), None
        self.tags.add("json_string" if fmt == "json" else "numeric_string")
        return plain, None

    def percent(self, f: Field, value: Decimal) -> tuple[Any, str | None]:
        fmt, st = self.d.fmt, self.style
        text = _dec_text(value)
        if fmt == "xlsx" and st["percent"] == "cell":
            self.tags.add("percent_cell")
            fraction = value / 100
            return float(fraction), ("0%" if value == value.to_integral_value() else "0.0%")
        if fmt == "json" and st["numbers"] == "json":
            self.tags.update(("percent_plain", "json_number"))
            return (int(value) if value == value.to_integral_value() else float(value)), None
        if fmt == "xlsx" and st["percent"] == "plain":
            self.tags.update(("percent_plain", "numeric_cell"))
            return (int(value) if value == value.to_integral_value() else float(value)), None
        kind = st["percent"] if st["percent"] in ("sign", "plain", "fullwidth") else "sign"
        self.tags.add({"sign": "percent_sign", "plain": "percent_plain", "fullwidth": "fullwidth_percent"}[kind])
        if fmt == "json":
            self.tags.add("json_string")
        return text + {"sign": "%", "plain": "", "fullwidth": "％"}[kind], None


def _rows(cat: Catalogue, d: _Doc, rng: random.Random) -> list[tuple[str, str, Any, str | None, str | None]]:
    """(code, label, value, number format, note) in catalogue order, with the deliberate row edits."""
    renderer = _Renderer(d, rng)
    rows = []
    for f in cat.for_kind(d.kind):
        value, number_format = renderer.value(f, d.values.get(f.code))
        if value in (None, "") and not f.is_meta and f.code not in d.raw:
            d.tags.add("empty_optional")
        rows.append((f.code, f.label_zh, value, number_format, d.notes.get(f.code)))
    for edit, arg in d.row_edits:
        if edit == "rename":
            old, new = arg
            rows = [(new if code == old else code, label, value, nf, note) for code, label, value, nf, note in rows]
        elif edit == "duplicate":
            at = next(i for i, row in enumerate(rows) if row[0] == arg)
            code, label, value, nf, note = rows[at]
            bumped = (
                value + 2
                if isinstance(value, int)
                else (str(int(nfkc(str(value)).replace(",", "")) + 2) if str(value).strip() else "2")
            )
            rows.insert(at + 3, (code, label, bumped, nf, None))
    return rows


def _stable_zip(content: bytes) -> bytes:
    """Rewrite an xlsx archive with fixed entry times, order and core-properties timestamps."""
    stamp = FIXED_DATETIME.strftime("%Y-%m-%dT%H:%M:%SZ")
    with zipfile.ZipFile(io.BytesIO(content)) as source:
        entries = {info.filename: source.read(info.filename) for info in source.infolist()}
    core = entries.get("docProps/core.xml")
    if core is not None:
        text = core.decode("utf-8")
        for tag in ("created", "modified"):
            text = re.sub(rf"(<dcterms:{tag}[^>]*>)[^<]*(</dcterms:{tag}>)", rf"\g<1>{stamp}\g<2>", text)
        entries["docProps/core.xml"] = text.encode("utf-8")
    order = sorted(entries, key=lambda name: (name != "[Content_Types].xml", name))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name in order:
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 0
            info.external_attr = 0o600 << 16
            target.writestr(info, entries[name])
    return out.getvalue()


def _xlsx_bytes(rows: list[tuple], style: dict[str, Any]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET_NAME
    ws.append(list(HEADER))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for code, label, value, number_format, note in rows:
        ws.append([code, label, value, note])
        cell = ws.cell(row=ws.max_row, column=3)
        if number_format:
            cell.number_format = number_format
        if isinstance(value, str) and len(value) > 40:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    for column, width in zip("ABCD", (30, 36, 48, 30)):
        ws.column_dimensions[column].width = width
    ws.freeze_panes = "A2"
    if style.get("extra_sheet"):
        info = wb.create_sheet("填报说明", 0 if style["extra_sheet"] == "first" else None)
        for line in (
            "请在“填报数据”表的“填报值”列填写，“字段代码”列请勿修改。",
            "日期格式示例：2024-07-15；百分比可填 85 或 85%。",
            "如数据有特殊情况，请在“说明”列注明。",
        ):
            info.append([line])
        info.column_dimensions["A"].width = 80
    wb.properties.created = FIXED_DATETIME
    wb.properties.modified = FIXED_DATETIME
    wb.properties.creator = "市域产教联合体填报"
    buffer = io.BytesIO()
    wb.save(buffer)
    return _stable_zip(buffer.getvalue())


def _csv_bytes(rows: list[tuple], encoding: str, line_end: str) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=line_end)
    writer.writerow(HEADER)
    for code, label, value, _, note in rows:
        writer.writerow([code, label, "" if value is None else value, note or ""])
    return out.getvalue().encode(encoding)


def _json_bytes(rows: list[tuple]) -> bytes:
    fields = {code: ("" if value is None else value) for code, _, value, _, _ in rows}
    notes = {code: note for code, _, _, _, note in rows if note}
    document: dict[str, Any] = {"fields": fields}
    if notes:
        document["notes"] = notes
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _file_bytes(cat: Catalogue, d: _Doc, rng: random.Random) -> bytes:
    rows = _rows(cat, d, rng)
    if d.fmt == "xlsx":
        if d.style.get("extra_sheet") == "first":
            d.tags.add("data_sheet_not_first")
        content = _xlsx_bytes(rows, d.style)
        if d.truncate:
            d.tags.clear()
            return content[: len(content) * 3 // 5]
        return content
    if d.fmt == "csv":
        return _csv_bytes(rows, d.encoding, d.style["line_end"])
    return _json_bytes(rows)


# ------------------------------------------------------------------------------------------------
# Entry point
# ------------------------------------------------------------------------------------------------


def _clear_previous(out_dir: Path) -> None:
    """Remove the inbox a previous sample wrote; refuse to touch an inbox that is not a sample's."""
    inbox = out_dir / "inbox"
    if inbox.exists():
        if not (out_dir / "manifest.json").exists() and any(inbox.iterdir()):
            raise FileExistsError(
                f"{inbox} holds files but {out_dir} has no sample manifest.json: "
                "not overwriting an inbox the sample generator did not write"
            )
        shutil.rmtree(inbox)


def generate_sample(out_dir: Path, seed: int = DEFAULT_SEED) -> dict:
    """Write registry.csv, extensions.csv, inbox/2024/*, inbox/2025/* and manifest.json under out_dir.

    Returns the manifest. Same seed, same bytes. A previous sample's ``inbox/`` is removed first, so the
    folder holds exactly the generated set; an inbox without a sample manifest beside it is never touched.
    """
    out_dir = Path(out_dir)
    generator = _Generator(seed)
    generator.build()
    generator.assign_formats()
    generator.assign_styles()
    generator.assign_names()
    generator.check()

    contents: dict[str, bytes] = {}
    for d in generator.docs:
        contents[f"{d.folder_year or d.year}/{d.filename}"] = _file_bytes(generator.cat, d, generator.rng)
    manifest = generator.manifest()
    covered = {tag for entry in manifest["files"] if entry["expected"] == "accepted" for tag in entry["normalisation"]}
    uncovered = [tag for tag in NORMALISATIONS if tag not in covered]
    if uncovered:
        raise AssertionError(f"the sample does not exercise {', '.join(uncovered)}")

    out_dir.mkdir(parents=True, exist_ok=True)
    _clear_previous(out_dir)
    (out_dir / "registry.csv").write_bytes(_registry_csv(generator.consortia).encode("utf-8"))
    extensions = io.StringIO()
    writer = csv.writer(extensions, lineterminator="\n")
    writer.writerow(EXTENSION_COLUMNS)
    writer.writerow([EXTENSION[column] for column in EXTENSION_COLUMNS])
    (out_dir / "extensions.csv").write_bytes(extensions.getvalue().encode("utf-8"))
    for relative, content in contents.items():
        path = out_dir / "inbox" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    (out_dir / "manifest.json").write_bytes(
        (json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode("utf-8")
    )
    logger.info(
        "sample (seed %s): %d consortia, %d files (%d rejected), %d missing, %d late → %s",
        seed,
        len(generator.consortia),
        len(manifest["files"]),
        sum(1 for f in manifest["files"] if f["expected"] == "rejected"),
        len(manifest["missing"]),
        len(manifest["late"]),
        out_dir,
    )
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m chanjiao.generated.sample", description="Write the seeded sample inbox, registry and manifest."
    )
    parser.add_argument("out_dir", nargs="?", type=Path, default=Path("sample"), help="output folder (default: sample)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default: {DEFAULT_SEED})")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    generate_sample(args.out_dir, seed=args.seed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
