"""A national-scale inbox for benchmarks: every province's consortia, cloned from the bundled sample.

``generate_national(out, provinces=31, per_province=50)`` writes ``out/registry.csv``, ``out/extensions.csv``,
``out/inbox/<year>/…`` and ``out/national.json`` (which clone came from which sample consortium, and every
file written). Each clone is a sample consortium's accepted files (two years, 2024 and 2025: plans,
summaries, a resubmission, findings, milestones, typical cases) copied under a new id and name, registered in
its new province with a city and park of that province. File contents keep their format and encoding; only
the consortium's id and name (and the sample's deliberate variants of the name) are swapped, so a clone
raises the same findings as its source. Narrative text still names the source's city, schools and
enterprises (the registry keeps the source's lead schools and enterprises to match).

* **Ids**: ``<ISO 3166-2:CN province>-<recognised year>-<NNN>`` (``BJ-2024-001``, ``SX-2024-017``,
  ``HN-2024-050``): the sample's scheme (``SX-2024-01``, ``HN-2024-01``) with a three-digit serial, so a
  clone never collides with a sample id and the province is readable from the id.
* **Names**: ``<city><theme>市域产教联合体`` (the theme of the source: 轨道交通, 绿色化工, …), a park-based
  name or an ordinal when a city already has that theme.
* **Sources per province**: a sample consortium is cloned into a province only where its files keep the
  timeliness they had at home (Shanxi's first batch filed its 2024 plans in June, on time under Shanxi's
  calendar but five months late under the default one), so outside Shanxi the clones are of the Hunan
  consortia, and in Shanxi of both.
* **Hunan's industry layout**: a clone in Hunan gets a city whose layout covers its industry codes exactly
  when its source's did (so the sample's deliberate layout warning survives, and no other appears); other
  provinces have no layout and are not checked.

Deterministic: the same arguments give byte-identical files (xlsx archives are rewritten entry by entry with
the source's fixed entry times). Pure file writing, no Prefect: ~7 s for 31 × 50 (1,550 consortia, 5,860 files, 60 MB) on the
2-core reference machine, most of it creating the files. Each file is cloned by ``clones``; the registry,
extensions, inbox and ``national.json`` are written by ``writers``, as the sample's are.
"""

from __future__ import annotations

import csv
import itertools
import json
import logging
import random
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from chanjiao.common.project import PROJECT_ROOT as PROJECT
from chanjiao.generated.clones import FileTemplate, swap_text
from chanjiao.generated.consortia import build_registry, data_rows
from chanjiao.generated.writers import clear_inbox, extensions_csv, manifest_json, registry_csv, write_inbox
from chanjiao.quality.timeliness import due_date
from chanjiao.reference.catalogue import data_text
from chanjiao.reference.registry import EXTENSION_COLUMNS, parse_deadlines

logger = logging.getLogger(__name__)

DEFAULT_SAMPLE = PROJECT / "sample"
DEFAULT_SEED = 20250101
YEARS = (2024, 2025)
MANIFEST = "national.json"

# ISO 3166-2:CN subdivision codes: the sample's SX (Shanxi) and HN (Hunan) are among them.
ISO_CODES = {
    "11": "BJ",
    "12": "TJ",
    "13": "HE",
    "14": "SX",
    "15": "NM",
    "21": "LN",
    "22": "JL",
    "23": "HL",
    "31": "SH",
    "32": "JS",
    "33": "ZJ",
    "34": "AH",
    "35": "FJ",
    "36": "JX",
    "37": "SD",
    "41": "HA",
    "42": "HB",
    "43": "HN",
    "44": "GD",
    "45": "GX",
    "46": "HI",
    "50": "CQ",
    "51": "SC",
    "52": "GZ",
    "53": "YN",
    "54": "XZ",
    "61": "SN",
    "62": "GS",
    "63": "QH",
    "64": "NX",
    "65": "XJ",
}

# Prefecture-level cities (districts for the four municipalities) a clone is registered in. Hunan's are the
# cities of its industry layout (chanjiao/data/industry_layout_hunan.csv), read from there.
CITIES = {
    "11": ("海淀区", "朝阳区", "大兴区", "顺义区", "昌平区", "通州区", "房山区"),
    "12": ("滨海新区", "西青区", "东丽区", "津南区", "北辰区", "武清区"),
    "13": ("石家庄市", "唐山市", "保定市", "邯郸市", "沧州市", "廊坊市", "邢台市", "秦皇岛市"),
    "14": (
        "太原市",
        "大同市",
        "阳泉市",
        "长治市",
        "晋城市",
        "朔州市",
        "晋中市",
        "运城市",
        "忻州市",
        "临汾市",
        "吕梁市",
    ),
    "15": ("呼和浩特市", "包头市", "鄂尔多斯市", "赤峰市", "通辽市", "乌海市", "巴彦淖尔市"),
    "21": ("沈阳市", "大连市", "鞍山市", "抚顺市", "本溪市", "丹东市", "锦州市", "营口市"),
    "22": ("长春市", "吉林市", "四平市", "通化市", "白山市", "松原市", "延边朝鲜族自治州"),
    "23": ("哈尔滨市", "齐齐哈尔市", "牡丹江市", "佳木斯市", "大庆市", "鸡西市", "绥化市"),
    "31": ("浦东新区", "闵行区", "嘉定区", "松江区", "宝山区", "奉贤区", "青浦区"),
    "32": ("南京市", "无锡市", "徐州市", "常州市", "苏州市", "南通市", "扬州市", "泰州市"),
    "33": ("杭州市", "宁波市", "温州市", "嘉兴市", "湖州市", "绍兴市", "金华市", "台州市"),
    "34": ("合肥市", "芜湖市", "蚌埠市", "马鞍山市", "安庆市", "滁州市", "阜阳市"),
    "35": ("福州市", "厦门市", "泉州市", "漳州市", "莆田市", "三明市", "龙岩市"),
    "36": ("南昌市", "赣州市", "九江市", "上饶市", "宜春市", "吉安市", "景德镇市"),
    "37": ("济南市", "青岛市", "淄博市", "烟台市", "潍坊市", "济宁市", "临沂市", "威海市"),
    "41": ("郑州市", "洛阳市", "新乡市", "许昌市", "南阳市", "开封市", "焦作市", "周口市"),
    "42": ("武汉市", "襄阳市", "宜昌市", "荆州市", "十堰市", "孝感市", "黄石市"),
    "44": ("广州市", "深圳市", "佛山市", "东莞市", "珠海市", "中山市", "惠州市", "江门市"),
    "45": ("南宁市", "柳州市", "桂林市", "梧州市", "北海市", "玉林市", "百色市"),
    "46": ("海口市", "三亚市", "儋州市", "琼海市", "文昌市"),
    "50": ("渝北区", "九龙坡区", "江津区", "永川区", "璧山区", "涪陵区", "万州区"),
    "51": ("成都市", "绵阳市", "德阳市", "宜宾市", "泸州市", "南充市", "乐山市"),
    "52": ("贵阳市", "遵义市", "六盘水市", "安顺市", "毕节市", "铜仁市"),
    "53": ("昆明市", "曲靖市", "玉溪市", "红河哈尼族彝族自治州", "大理白族自治州", "昭通市"),
    "54": ("拉萨市", "日喀则市", "林芝市", "山南市", "昌都市"),
    "61": ("西安市", "宝鸡市", "咸阳市", "渭南市", "汉中市", "榆林市", "延安市"),
    "62": ("兰州市", "天水市", "酒泉市", "张掖市", "白银市", "庆阳市"),
    "63": ("西宁市", "海东市", "海西蒙古族藏族自治州", "海南藏族自治州"),
    "64": ("银川市", "石嘴山市", "吴忠市", "固原市", "中卫市"),
    "65": ("乌鲁木齐市", "克拉玛依市", "昌吉回族自治州", "伊犁哈萨克自治州", "哈密市", "喀什地区"),
}
ZONE_KINDS = ("高新技术产业开发区", "经济技术开发区", "经济开发区")
_SUFFIX = "市域产教联合体"
_ORDINALS = "二三四五六七八九十"


# ------------------------------------------------------------------------------------------------
# Who: provinces, cities, sources, clones
# ------------------------------------------------------------------------------------------------


def _province_table() -> list[dict[str, str]]:
    return data_rows("provinces.csv")


def national_provinces(count: int) -> list[str]:
    """The first ``count`` province codes of provinces.csv, with Shanxi (14) and Hunan (43) always among them
    when ``count`` ≥ 2 (Hunan alone for 1), in the file's order."""
    codes = [row["province_code"] for row in _province_table()]
    if not 1 <= count <= len(codes):
        raise ValueError(f"provinces must be between 1 and {len(codes)}, got {count}")
    if count == 1:
        return ["43"]
    required = ["14", "43"]
    others = [c for c in codes if c not in required][: count - len(required)]
    return [c for c in codes if c in required or c in others]


def _hunan_layout() -> dict[str, frozenset[str]]:
    layout: dict[str, set[str]] = {}
    for row in data_rows("industry_layout_hunan.csv"):
        if row["province_code"] == "43" and row["level"] in ("core", "key"):
            layout.setdefault(row["city"], set()).add(row["industry_code"])
    return {city: frozenset(codes) for city, codes in layout.items()}


def _codes(text: str) -> frozenset[str]:
    return frozenset(c for c in re.split(r"[;；,、\s]+", text or "") if c)


def _stem(city: str) -> str:
    """The short form a park is named after: 株洲市 → 株洲, 延边朝鲜族自治州 → 延边, 喀什地区 → 喀什."""
    if city.endswith("自治州"):
        return city[:2]
    for suffix in ("新区", "地区", "市", "区"):
        if city.endswith(suffix) and len(city) > len(suffix) + 1:
            return city[: -len(suffix)]
    return city


@dataclass(frozen=True)
class _SourceFile:
    entry: dict  # the sample manifest's entry
    content: bytes
    template: FileTemplate | None = None


@dataclass
class _Source:
    row: dict[str, str]  # the sample registry's row
    theme: str
    files: list[_SourceFile]
    name_variants: tuple[str, ...]  # consortium_name values in its files that are not the registry name

    @property
    def consortium_id(self) -> str:
        return self.row["consortium_id"]


def _themes() -> dict[str, str]:
    """The industry theme of each sample consortium (the sample generator's own table)."""
    return {c.consortium_id: c.theme for c in build_registry()}


def _theme_from_name(row: dict[str, str]) -> str:
    name = row["name"]
    for prefix in (row["city"], _stem(row["city"]), row["province"]):
        if prefix and name.startswith(prefix):
            name = name[len(prefix) :]
            break
    for suffix in (_SUFFIX, "产教联合体"):
        if name.endswith(suffix):
            return name[: -len(suffix)] or "产教融合"
    return name or "产教融合"


def _name_variants(entry: dict, content: bytes, registry_name: str) -> list[str]:
    from chanjiao.intake.readers import read_rows

    found = [row.value for row in read_rows(entry["file"], content) if row.code == "consortium_name"]
    return [v for v in found if isinstance(v, str) and v and v != registry_name]


def _load_sources(sample: Path) -> list[_Source]:
    """The sample's active consortia with accepted files in both years, with their files' bytes."""
    manifest = json.loads((sample / "manifest.json").read_text(encoding="utf-8"))
    with open(sample / "registry.csv", encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    themes = _themes()
    accepted: dict[str, list[dict]] = {}
    for entry in manifest["files"]:
        if entry["expected"] == "accepted":
            accepted.setdefault(entry["consortium_id"], []).append(entry)
    sources = []
    for row in sorted(rows, key=lambda r: r["consortium_id"]):
        entries = sorted(accepted.get(row["consortium_id"], []), key=lambda e: e["file"])
        if (row.get("status") or "active") != "active" or {e["year"] for e in entries} != set(YEARS):
            continue
        files = [_SourceFile(e, (sample / "inbox" / e["file"]).read_bytes()) for e in entries]
        variants = sorted({v for f in files for v in _name_variants(f.entry, f.content, row["name"])})
        keys = (row["consortium_id"], row["name"], *variants)
        files = [
            _SourceFile(f.entry, f.content, FileTemplate(f.content, f.entry["format"], f.entry["encoding"], keys))
            for f in files
        ]
        sources.append(
            _Source(
                row=row,
                theme=themes.get(row["consortium_id"]) or _theme_from_name(row),
                files=files,
                name_variants=tuple(variants),
            )
        )
    if not sources:
        raise ValueError(f"{sample} has no active consortium with accepted files for {YEARS[0]} and {YEARS[1]}")
    return sources


def _extensions(sample: Path) -> dict[str, list[dict[str, str]]]:
    path = sample / "extensions.csv"
    if not path.exists():
        return {}
    granted: dict[str, list[dict[str, str]]] = {}
    with open(path, encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            granted.setdefault(row["consortium_id"], []).append(row)
    return granted


class _Calendar:
    """Due dates by province, recognition year, year and kind (deadlines.csv, cached)."""

    def __init__(self) -> None:
        self.deadlines = parse_deadlines(data_text("deadlines.csv"), "chanjiao/data/deadlines.csv")
        self.none = pd.DataFrame(columns=list(EXTENSION_COLUMNS))
        self.cache: dict[tuple[str, int, int, str], date] = {}

    def due(self, province: str, recognized_year: int, year: int, kind: str) -> date:
        key = (province, recognized_year, year, kind)
        if key not in self.cache:
            consortium = {"consortium_id": "-", "province_code": province, "recognized_year": recognized_year}
            self.cache[key] = due_date(consortium, year, kind, self.deadlines, self.none)[0]
        return self.cache[key]


def _fits(source: _Source, province: str, calendar: _Calendar, extended: set[tuple[str, int, str]]) -> bool:
    """Whether each of the source's files is on time in ``province`` exactly when it was at home (and a late
    one exactly as many days late)."""
    home_province, recognized = source.row["province_code"], int(source.row["recognized_year"])
    if province == home_province:
        return True
    for f in source.files:
        year, kind = int(f.entry["year"]), f.entry["kind"]
        if (source.consortium_id, year, kind) in extended:
            continue  # the clone gets the same extension
        submitted = date.fromisoformat(f.entry["submitted_on"])
        home = calendar.due(home_province, recognized, year, kind)
        there = calendar.due(province, recognized, year, kind)
        if (submitted <= home) != (submitted <= there) or (submitted > home and home != there):
            return False
    return True


def _clone_names(name: str, variants: tuple[str, ...], source_name: str, city: str) -> dict[str, str]:
    """The clone's counterpart of each variant of the source's name: a variant that only differs in width or
    spacing (the registry check accepts it) stays such a variant, any other (an abbreviation) stays an
    abbreviation the check flags."""
    from chanjiao.quality.checks import normalise_name

    mapped = {}
    for variant in variants:
        if normalise_name(variant) == normalise_name(source_name):
            clone = unicodedata.normalize("NFKC", name).replace(_SUFFIX, " " + _SUFFIX, 1)
        else:
            clone = name.replace(_SUFFIX, "产教联合体").replace(city, _stem(city), 1)
            if normalise_name(clone) == normalise_name(name):
                clone = name + "（简称）"
        mapped[variant] = clone
    return mapped


# ------------------------------------------------------------------------------------------------
# Entry point
# ------------------------------------------------------------------------------------------------


def generate_national(
    out: Path, *, provinces: int = 31, per_province: int = 50, sample: Path = DEFAULT_SAMPLE, seed: int = DEFAULT_SEED
) -> dict:
    """Write ``out/registry.csv``, ``out/extensions.csv``, ``out/inbox/<year>/…`` and ``out/national.json``:
    ``provinces`` provinces (:func:`national_provinces`) × ``per_province`` consortia, each a clone of one of
    the sample's consortia (its accepted files of 2024 and 2025).

    Returns the manifest written to ``national.json``: ``seed``, ``provinces``, ``per_province``,
    ``consortia`` (one entry per clone: id, name, province, city, source) and ``files`` (inbox path, clone,
    source file, year, kind, format, encoding). Same arguments, same bytes.
    """
    if per_province < 1:
        raise ValueError(f"per_province must be at least 1, got {per_province}")
    out, sample = Path(out), Path(sample)
    codes = national_provinces(provinces)
    names_of = {row["province_code"]: row["province"] for row in _province_table()}
    sources = _load_sources(sample)
    granted = _extensions(sample)
    extended = {(cid, int(r["year"]), r["kind"]) for cid, rows in granted.items() for r in rows}
    calendar = _Calendar()
    layout = _hunan_layout()
    width = max(3, len(str(per_province)))

    registry, extensions, consortia, files = [], [], [], []
    contents: dict[str, bytes] = {}
    for code in codes:
        rng = random.Random(f"national-{seed}-{code}")
        fitting = [s for s in sources if _fits(s, code, calendar, extended)]
        if not fitting:
            logger.warning("no sample consortium keeps its timeliness in province %s: cloning all of them", code)
            fitting = list(sources)
        rng.shuffle(fitting)
        cities = list(sorted(layout) if code == "43" else CITIES[code])
        rng.shuffle(cities)
        used = {s.row["name"] for s in sources}  # never a sample consortium's own name
        for n in range(per_province):
            source = fitting[n % len(fitting)]
            row = source.row
            candidates = cities
            if code == "43":  # the layout covers the clone's codes exactly when it did at home
                codes_of = _codes(row.get("industry_codes", ""))
                covered = row["province_code"] != "43" or codes_of <= layout.get(row["city"], frozenset())
                candidates = [c for c in cities if (codes_of <= layout[c]) == covered] or cities
            start = n % len(candidates)
            order = candidates[start:] + candidates[:start]
            zone_kind = ZONE_KINDS[rng.randrange(len(ZONE_KINDS))]
            city, name = order[0], None
            for c in order:  # a city that does not have this theme yet
                if f"{c}{source.theme}{_SUFFIX}" not in used:
                    city, name = c, f"{c}{source.theme}{_SUFFIX}"
                    break
            zone = f"{_stem(city)}{zone_kind}"
            if name is None:  # then a park-based name, then an ordinal
                name = f"{zone}{source.theme}{_SUFFIX}"
                ordinals = (f"（{o}）" for o in itertools.chain(_ORDINALS, map(str, itertools.count(11))))
                while name in used:
                    name = f"{city}{source.theme}{_SUFFIX}{next(ordinals)}"
            used.add(name)
            clone_id = f"{ISO_CODES[code]}-{row['recognized_year']}-{n + 1:0{width}d}"
            clone = {
                **row,
                "consortium_id": clone_id,
                "name": name,
                "province_code": code,
                "province": names_of[code],
                "city": city,
                "dev_zone": zone,
            }
            registry.append(clone)
            consortia.append(
                {
                    "consortium_id": clone_id,
                    "name": name,
                    "province_code": code,
                    "city": city,
                    "source": source.consortium_id,
                }
            )
            extensions += [{**r, "consortium_id": clone_id} for r in granted.get(source.consortium_id, [])]

            swaps = {
                source.consortium_id: clone_id,
                row["name"]: name,
                **_clone_names(name, source.name_variants, row["name"], city),
            }
            name_swaps = {**swaps, row["city"]: city}
            for f in source.files:
                entry = f.entry
                folder, file_name = entry["file"].split("/", 1)
                new_name, _ = swap_text(file_name, name_swaps)
                if clone_id not in new_name and name not in new_name:
                    new_name = f"{clone_id}-{new_name}"
                relative = f"{folder}/{new_name}"
                if relative in contents:
                    raise ValueError(f"two clones would both write {relative}")
                content, count = f.template.render(swaps)
                if not count:
                    raise ValueError(f"{entry['file']}: no {source.consortium_id} or its name found to swap")
                contents[relative] = content
                files.append(
                    {
                        "file": relative,
                        "consortium_id": clone_id,
                        "source_file": entry["file"],
                        "year": entry["year"],
                        "kind": entry["kind"],
                        "format": entry["format"],
                        "encoding": entry["encoding"],
                    }
                )

    out.mkdir(parents=True, exist_ok=True)
    clear_inbox(out, MANIFEST, "national")
    (out / "registry.csv").write_bytes(registry_csv(registry))
    (out / "extensions.csv").write_bytes(extensions_csv(extensions))
    write_inbox(out, contents)
    manifest = {
        "seed": seed,
        "sample": sample.name,
        "provinces": codes,
        "per_province": per_province,
        "consortia": consortia,
        "files": files,
    }
    (out / MANIFEST).write_bytes(manifest_json(manifest, indent=1))
    logger.info(
        "national inbox (seed %s): %d provinces × %d = %d consortia, %d files → %s",
        seed,
        len(codes),
        per_province,
        len(consortia),
        len(files),
        out,
    )
    return manifest
