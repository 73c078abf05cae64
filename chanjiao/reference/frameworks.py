"""Scoring frameworks as data (``chanjiao/data/frameworks/<id>.yaml``): the project's copy of indicators.csv.

A framework file is validated when it is loaded — unknown method, unknown field, a field of the wrong
type for its method, weights, missing parameters — and every error names the file, the point and the
reason. Which framework scores a province is ``provinces.csv``'s ``framework`` column: an id, or ids with
the first year they apply (``hunan-2024;moe-2024@2026``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache
from importlib import resources
from pathlib import Path

import yaml

from chanjiao.common.errors import ReferenceDataError
from chanjiao.reference.catalogue import Catalogue, load_catalogue

METHODS = (
    "peer",
    "milestone",
    "threshold",
    "threshold_ratio",
    "presence",
    "member_types",
    "text",
    "case_count",
    "list_share",
    "milestone+presence",
    "deduction",
)
COMBINE = ("mean", "max")
# The field types each method reads (per input part).
_NUMERIC = ("int", "decimal", "percent")
_METHOD_TYPES = {
    "peer": _NUMERIC,
    "threshold": _NUMERIC,
    "threshold_ratio": _NUMERIC,
    "presence": _NUMERIC,
    "member_types": _NUMERIC,
    "deduction": _NUMERIC,
    "milestone": ("date",),
    "text": ("text",),
    "case_count": ("text",),
    "list_share": ("codes",),
}
# Methods whose `a;b` parts are scored one by one and combined (the others read all their parts at once).
PER_PART = ("peer", "milestone", "threshold", "threshold_ratio", "presence")


class FrameworkError(ReferenceDataError):
    """A framework file that cannot score anything as written."""


@dataclass(frozen=True)
class Part:
    """One input part of a point: a field, a sum ``a+b`` of fields, or a ratio ``a/b``."""

    fields: tuple[str, ...]  # the summed fields (one for a plain field)
    denominator: tuple[str, ...] = ()  # for ``a/b``

    @property
    def text(self) -> str:
        numerator = "+".join(self.fields)
        return f"{numerator}/{'+'.join(self.denominator)}" if self.denominator else numerator

    @property
    def all_fields(self) -> tuple[str, ...]:
        return self.fields + self.denominator


@dataclass(frozen=True)
class Point:
    code: str
    name_zh: str
    method: str
    parts: tuple[Part, ...]
    combine: str = "mean"
    target: Fraction | None = None  # threshold, threshold_ratio
    tiers: tuple[tuple[int, Fraction], ...] = ()  # text: (minimum characters, score), best first
    scores: tuple[Fraction, ...] = ()  # case_count: score for 0, 1, 2 … cases
    items: tuple[str, ...] = ()  # list_share
    per_unit: Fraction | None = None  # deduction
    cap: Fraction | None = None  # deduction: at most this many points off
    source: str = ""

    @property
    def inputs(self) -> str:
        return ";".join(part.text for part in self.parts)

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(code for part in self.parts for code in part.all_fields))


@dataclass(frozen=True)
class Indicator:
    code: str
    name_zh: str
    weight: Fraction
    points: tuple[Point, ...]

    @property
    def is_deduction(self) -> bool:
        return all(point.method == "deduction" for point in self.points)


@dataclass(frozen=True)
class Framework:
    id: str
    version: str
    name_zh: str
    source: str
    digest: str  # sha256 of the file, first 12 hex digits
    grades: tuple[tuple[Fraction, str], ...]  # (minimum rounded total, grade), best first
    indicators: tuple[Indicator, ...]
    plan_sections: tuple[str, ...] = ("A_profile", "B_milestones", "C_education", "D_service", "E_enterprise")
    plan_share_met: Fraction = Fraction(4, 5)
    shortlist_level: str = "provincial"
    shortlist_grade: str = "优秀"
    shortlist_top: int = 3
    file: str = field(default="", compare=False)

    @property
    def points(self) -> tuple[tuple[Indicator, Point], ...]:
        return tuple((indicator, point) for indicator in self.indicators for point in indicator.points)

    @property
    def deduction_codes(self) -> frozenset[str]:
        """The indicators whose points come off the total instead of being weighted."""
        return frozenset(i.code for i in self.indicators if i.is_deduction)

    @property
    def lowest_grade(self) -> str:
        return self.grades[-1][1]

    def grade(self, total: Fraction) -> str:
        for minimum, grade in self.grades:
            if total >= minimum:
                return grade
        return self.lowest_grade

    @property
    def label(self) -> str:
        """How a report names the framework exactly: id, version and the file's digest."""
        return f"{self.id} v{self.version} (sha256 {self.digest})"


# --- parsing ------------------------------------------------------------------------------------------------


def _number(value: object, *, where: str, at: str, what: str) -> Fraction:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise FrameworkError(f"{what} must be a number, not {value!r}", file=where, field=at)
    try:
        return Fraction(str(value))
    except (ValueError, ZeroDivisionError):
        raise FrameworkError(f"{what} must be a number, not {value!r}", file=where, field=at) from None


def parse_inputs(text: object, *, where: str, at: str) -> tuple[Part, ...]:
    """``a+b`` / ``a;b`` / ``a/b`` → parts (the grammar of indicators.csv's ``inputs``)."""
    if not isinstance(text, str) or not text.strip():
        raise FrameworkError("inputs are missing", file=where, field=at)
    parts = []
    for chunk in text.split(";"):
        chunk = chunk.strip()
        numerator, _, denominator = chunk.partition("/")
        fields = tuple(code.strip() for code in numerator.split("+"))
        below = tuple(code.strip() for code in denominator.split("+")) if denominator else ()
        if not chunk or any(not code for code in fields + below) or ("/" in chunk and not below):
            raise FrameworkError(
                f"cannot read the inputs {text!r} (a+b, a;b or a/b of field codes)", file=where, field=at
            )
        parts.append(Part(fields=fields, denominator=below))
    return tuple(parts)


def _check_point(point: Point, catalogue: Catalogue, *, where: str, at: str) -> None:
    for code in point.fields:
        if code not in catalogue:
            raise FrameworkError(f"unknown field {code!r} (not in fields.csv)", file=where, field=at)
        spec = catalogue[code]
        if not spec.applies("summary"):
            raise FrameworkError(f"field {code} is not in a summary, so nothing can score it", file=where, field=at)
        allowed = (
            ("date",)
            if point.method == "milestone+presence" and code == point.parts[0].fields[0]
            else (_NUMERIC if point.method == "milestone+presence" else _METHOD_TYPES[point.method])
        )
        if spec.type not in allowed:
            raise FrameworkError(
                f"method {point.method} cannot read field {code} of type {spec.type} (it reads {'/'.join(allowed)})",
                file=where,
                field=at,
            )
    ratios = [part for part in point.parts if part.denominator]
    if ratios and point.method != "threshold_ratio":
        raise FrameworkError(
            f"a ratio input (a/b) needs method threshold_ratio, not {point.method}", file=where, field=at
        )
    if point.method == "threshold_ratio" and len(ratios) != len(point.parts):
        raise FrameworkError("method threshold_ratio needs inputs of the form a/b", file=where, field=at)
    sums = [part for part in point.parts if len(part.fields) > 1]
    if sums and point.method not in ("peer", "threshold", "presence"):
        raise FrameworkError(
            f"method {point.method} reads fields one by one; a sum (a+b) means nothing to it", file=where, field=at
        )
    wanted = {"milestone+presence": 2, "text": 1, "list_share": 1, "deduction": 1}
    if point.method in wanted and len(point.parts) != wanted[point.method]:
        raise FrameworkError(
            f"method {point.method} takes {wanted[point.method]} input(s), not {len(point.parts)}", file=where, field=at
        )
    if point.method in ("threshold", "threshold_ratio") and (point.target is None or point.target <= 0):
        raise FrameworkError(f"method {point.method} needs a target > 0", file=where, field=at)
    if point.method == "text" and (not point.tiers or min(n for n, _ in point.tiers) < 1):
        raise FrameworkError(
            "method text needs tiers: [{min_chars ≥ 1, score}, …] (an empty text scores 0)", file=where, field=at
        )
    if point.method == "case_count" and len(point.scores) != len(point.parts) + 1:
        raise FrameworkError(
            f"method case_count needs {len(point.parts) + 1} scores (for 0 … "
            f"{len(point.parts)} cases), not {len(point.scores)}",
            file=where,
            field=at,
        )
    if point.method == "list_share":
        known = next(
            (rule.codes for rule in catalogue[point.parts[0].fields[0]].rules if rule.name == "known_codes"), ()
        )
        unknown = [item for item in point.items if known and item not in known]
        if not point.items or unknown:
            raise FrameworkError(
                f"method list_share needs items among {', '.join(known)}"
                + (f" (unknown: {', '.join(unknown)})" if unknown else ""),
                file=where,
                field=at,
            )
    if point.method == "deduction" and (
        point.per_unit is None or point.cap is None or point.per_unit < 0 or point.cap < 0
    ):
        raise FrameworkError("method deduction needs per_unit ≥ 0 and max ≥ 0", file=where, field=at)
    scores = [score for _, score in point.tiers] + list(point.scores)
    if any(score < 0 or score > 100 for score in scores):
        raise FrameworkError("scores must lie in 0–100", file=where, field=at)


def _point(raw: object, catalogue: Catalogue, *, where: str, at: str) -> Point:
    if not isinstance(raw, dict):
        raise FrameworkError("a point must be a mapping (code, name_zh, method, inputs, …)", file=where, field=at)
    known_keys = {
        "code",
        "name_zh",
        "method",
        "inputs",
        "combine",
        "target",
        "tiers",
        "scores",
        "items",
        "per_unit",
        "max",
        "source",
    }
    code = str(raw.get("code") or "").strip()
    if not code:
        raise FrameworkError("a point needs a code", file=where, field=at)
    at = f"{at} ({code})"
    extra = sorted(set(raw) - known_keys)
    if extra:
        raise FrameworkError(f"unknown key(s) {', '.join(extra)}", file=where, field=at)
    method = raw.get("method")
    if method not in METHODS:
        raise FrameworkError(f"unknown method {method!r} (known: {', '.join(METHODS)})", file=where, field=at)
    combine = raw.get("combine", "mean")
    if combine not in COMBINE:
        raise FrameworkError(f"combine must be mean or max, not {combine!r}", file=where, field=at)
    if "combine" in raw and method not in PER_PART:
        raise FrameworkError(
            f"method {method} reads its inputs together; combine means nothing to it", file=where, field=at
        )
    tiers = []
    for tier in raw.get("tiers") or ():
        if not isinstance(tier, dict) or set(tier) != {"min_chars", "score"}:
            raise FrameworkError("each tier is {min_chars: n, score: s}", file=where, field=at)
        tiers.append(
            (
                int(_number(tier["min_chars"], where=where, at=at, what="min_chars")),
                _number(tier["score"], where=where, at=at, what="a tier's score"),
            )
        )
    number = lambda key: (
        None
        if raw.get(key) is None  # noqa: E731
        else _number(raw[key], where=where, at=at, what=key)
    )
    point = Point(
        code=code,
        name_zh=str(raw.get("name_zh") or code),
        method=method,
        parts=parse_inputs(raw.get("inputs"), where=where, at=at),
        combine=combine,
        target=number("target"),
        tiers=tuple(sorted(tiers, reverse=True)),
        scores=tuple(_number(s, where=where, at=at, what="a case score") for s in raw.get("scores") or ()),
        items=tuple(str(item) for item in raw.get("items") or ()),
        per_unit=number("per_unit"),
        cap=number("max"),
        source=str(raw.get("source") or ""),
    )
    _check_point(point, catalogue, where=where, at=at)
    return point


def parse_framework(text: str, catalogue: Catalogue, where: str = "framework.yaml") -> Framework:
    """A framework file → :class:`Framework`, or a :class:`FrameworkError` naming where it is wrong."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise FrameworkError(f"not valid YAML ({str(exc).splitlines()[0]})", file=where) from None
    if not isinstance(raw, dict):
        raise FrameworkError("a framework file is a mapping (id, version, grades, indicators)", file=where)
    for key in ("id", "version", "grades", "indicators"):
        if not raw.get(key):
            raise FrameworkError(f"{key} is missing", file=where, field=key)
    grades = []
    for n, row in enumerate(raw["grades"]):
        if not isinstance(row, dict) or not row.get("grade") or "min" not in row:
            raise FrameworkError("each grade is {min: n, grade: name}", file=where, field=f"grades[{n}]")
        grades.append((_number(row["min"], where=where, at=f"grades[{n}]", what="min"), str(row["grade"])))
    if [g[0] for g in grades] != sorted((g[0] for g in grades), reverse=True) or len(set(g[0] for g in grades)) != len(
        grades
    ):
        raise FrameworkError(
            "grades must go from the highest minimum down, each minimum once", file=where, field="grades"
        )
    if grades[-1][0] > 0:
        raise FrameworkError("the last grade must start at 0, so every total has a grade", file=where, field="grades")

    indicators, seen = [], set()
    for n, item in enumerate(raw["indicators"]):
        at = f"indicators[{n}]"
        if not isinstance(item, dict) or not item.get("code") or not item.get("points"):
            raise FrameworkError("an indicator needs a code and points", file=where, field=at)
        at = f"{at} ({item['code']})"
        weight = _number(item.get("weight"), where=where, at=at, what="weight")
        points = tuple(_point(p, catalogue, where=where, at=f"{at}.points[{m}]") for m, p in enumerate(item["points"]))
        indicator = Indicator(
            code=str(item["code"]), name_zh=str(item.get("name_zh") or item["code"]), weight=weight, points=points
        )
        methods = {p.method for p in points}
        if "deduction" in methods and len(methods) > 1:
            raise FrameworkError("deduction points go in an indicator of their own", file=where, field=at)
        if weight < 0 or (indicator.is_deduction and weight != 0):
            raise FrameworkError(
                f"weight {item.get('weight')} is not allowed: a weight is ≥ 0, and a deduction "
                "indicator's is 0 (its points come off the total)",
                file=where,
                field=at,
            )
        if not indicator.is_deduction and weight == 0:
            raise FrameworkError("a scored indicator needs a weight > 0", file=where, field=at)
        for kind, code in [("indicator", indicator.code), *(("point", p.code) for p in points)]:
            if (kind, code) in seen:
                raise FrameworkError(f"{kind} code {code} is used twice", file=where, field=at)
            seen.add((kind, code))
        indicators.append(indicator)
    if not any(i.weight > 0 for i in indicators):
        raise FrameworkError("no indicator has a weight > 0", file=where, field="indicators")

    plan = raw.get("plan_completion") or {}
    sections = tuple(plan.get("sections") or Framework.plan_sections)
    known_sections = {spec.section for spec in catalogue}
    if set(sections) - known_sections:
        raise FrameworkError(
            f"unknown section(s) {', '.join(sorted(set(sections) - known_sections))}",
            file=where,
            field="plan_completion.sections",
        )
    share = _number(plan.get("share_met", "0.8"), where=where, at="plan_completion.share_met", what="share_met")
    if not 0 < share <= 1:
        raise FrameworkError("share_met must lie in (0, 1]", file=where, field="plan_completion.share_met")
    shortlist = raw.get("shortlist") or {}
    top = shortlist.get("top", 3)
    if not isinstance(top, int) or isinstance(top, bool) or top < 1:
        raise FrameworkError(f"top must be a whole number ≥ 1, not {top!r}", file=where, field="shortlist.top")
    grade = str(shortlist.get("grade", grades[0][1]))
    if grade not in {g for _, g in grades}:
        raise FrameworkError(f"grade {grade} is not one of the grades", file=where, field="shortlist.grade")
    return Framework(
        id=str(raw["id"]),
        version=str(raw["version"]),
        name_zh=str(raw.get("name_zh") or raw["id"]),
        source=str(raw.get("source") or ""),
        digest=hashlib.sha256(text.encode("utf-8")).hexdigest()[:12],
        grades=tuple(grades),
        indicators=tuple(indicators),
        plan_sections=sections,
        plan_share_met=share,
        shortlist_level=str(shortlist.get("level", "provincial")),
        shortlist_grade=grade,
        shortlist_top=top,
        file=where,
    )


# --- loading and selection ------------------------------------------------------------------------------------


def shipped_dir() -> Path:
    return Path(str(resources.files("chanjiao") / "data" / "frameworks"))


@lru_cache(maxsize=16)
def _load_dir(directory: str, stamp: tuple) -> dict[str, Framework]:
    catalogue = load_catalogue()
    frameworks: dict[str, Framework] = {}
    for path in sorted(Path(directory).glob("*.yaml")):
        framework = parse_framework(path.read_text(encoding="utf-8"), catalogue, str(path))
        if framework.id != path.stem:
            raise FrameworkError(
                f"the file holds framework {framework.id!r}; name it {framework.id}.yaml", file=str(path), field="id"
            )
        frameworks[framework.id] = framework
    return frameworks


def load_frameworks(directory: Path | None = None) -> dict[str, Framework]:
    """Every framework file of the project (or of ``directory``, an operator's own), validated, by id."""
    directory = Path(directory) if directory else shipped_dir()
    if not directory.is_dir():
        raise FrameworkError("the frameworks folder does not exist", file=str(directory))
    # Parsed once per process, and again whenever a file changes (a long-lived worker sees an edit).
    stamp = tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in sorted(directory.glob("*.yaml")))
    return _load_dir(str(directory.resolve()), stamp)


def parse_assignment(text: str, *, where: str = "provinces.csv", row: int | None = None) -> tuple[tuple[int, str], ...]:
    """``hunan-2024`` or ``hunan-2024;moe-2024@2026`` → ((first year, id), …), oldest first."""
    entries = []
    for chunk in (c.strip() for c in str(text).split(";")):
        framework_id, _, year = chunk.partition("@")
        if not framework_id or (year and not year.isdigit()):
            raise ReferenceDataError(
                f"cannot read framework {text!r} (id or id@first-year, ';'-separated)",
                file=where,
                row=row,
                field="framework",
            )
        entries.append((int(year) if year else 0, framework_id.strip()))
    if len({year for year, _ in entries}) != len(entries):
        raise ReferenceDataError(
            f"framework {text!r} names two frameworks for the same years", file=where, row=row, field="framework"
        )
    return tuple(sorted(entries))


def framework_id_for(assignment: str, year: int) -> str:
    """The framework that applies to ``year`` under a province's assignment (the latest that has begun)."""
    entries = [(start, fid) for start, fid in parse_assignment(assignment) if start <= year]
    if not entries:
        raise ReferenceDataError(
            f"no framework applies to {year} under {assignment!r}", file="provinces.csv", field="framework"
        )
    return entries[-1][1]
