"""Who: the sample's consortia — the ten real Shanxi consortia of the first provincial batch and a dozen
synthetic Hunan ones — their registry rows, and the people who file for them (a contact name and phone).

The Shanxi registry rows are copied from ``consortia_shanxi_batch1.csv``; their industry theme, majors and
industry codes, and everything about the Hunan consortia, are this module's own tables. The national
generator clones these consortia and names its clones after their themes.
"""

from __future__ import annotations

import csv
import io
import random
import re
from dataclasses import dataclass
from typing import Any

from chanjiao.reference.catalogue import data_text


def data_rows(name: str) -> list[dict[str, str]]:
    """The rows of one of the package's data CSVs (``chanjiao/data/<name>``)."""
    return list(csv.DictReader(io.StringIO(data_text(name))))


@dataclass(frozen=True)
class Consortium:
    """One consortium of the registry, with what its figures and texts are drawn from (theme, majors)."""

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


def build_registry() -> list[Consortium]:
    """The sample's registry: the Shanxi batch in its file's order, then the Hunan table."""
    consortia = []
    for row in data_rows("consortia_shanxi_batch1.csv"):
        theme, majors, codes = _SHANXI_THEMES[row["consortium_id"]]
        consortia.append(
            Consortium(
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
            Consortium(
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


def registry_rows(consortia: list[Consortium]) -> list[dict[str, Any]]:
    """The registry's rows (``writers.registry_csv``): a Shanxi row as the batch file has it, a Hunan row from
    the table; industry codes and status from this module's tables."""
    rows = []
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
        rows.append({**base, **extra})
    return rows


# ------------------------------------------------------------------------------------------------
# The people who file: a contact name and a phone number (an office line of the city, or a mobile)
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


def person(rng: random.Random) -> str:
    return rng.choice(_SURNAMES) + "".join(rng.choice(_GIVEN) for _ in range(rng.choice((1, 2, 2))))


def phone(rng: random.Random, c: Consortium) -> str:
    if rng.random() < 0.5:
        code = _AREA_CODES.get(c.city, "0351")
        digits = 8 if code == "0731" else 7
        return f"{code}-{rng.randint(2, 8)}{rng.randint(0, 10 ** (digits - 1) - 1):0{digits - 1}d}"
    return rng.choice(_MOBILE) + f"{rng.randint(0, 99999999):08d}"
