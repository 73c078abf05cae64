"""Indicator scoring (docs/DOMAIN.md, "Scoring"): pure functions, frames in and frames out, no I/O.

Arithmetic is exact (``Fraction``) until the total is rounded half up to one decimal, so a total on a grade
boundary lands where a hand computation puts it. Only usable values score: a value a fatal finding
involves, or one that did not parse, scores as missing (``quality.usable_values``).

The pieces, in the order a year is scored:
- :func:`input_cells`: the latest accepted versions' values as cells (ok / empty / unusable);
- :func:`carry_over_milestones`: an empty milestone date takes the latest earlier summary's;
- :func:`score_points` (every method), :func:`indicator_scores`, :func:`totals` (weights, deductions,
  clamping, rounding, grades, competition ranks);
- :func:`plan_completion`, :func:`adjustment`, :func:`shortlist`;
- :func:`score_year` composes them for one province and year.
"""

from __future__ import annotations

import json
import unicodedata
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from fractions import Fraction

import pandas as pd

from chanjiao import __version__
from chanjiao.common.digest import digest
from chanjiao.quality.checks import usable_values
from chanjiao.reference.catalogue import Catalogue
from chanjiao.reference.formatting import fmt_number, fmt_score, fmt_value, round_half_up
from chanjiao.reference.frameworks import PER_PART, Framework, Part, Point
from chanjiao.reference.labels import level_label, score_note_label

OK, EMPTY, UNUSABLE = "ok", "empty", "unusable"
NO_SUMMARY = "no summary"
NO_PLAN = "no plan"
CELL_COLUMNS = ("consortium_id", "year", "kind", "version_id", "field", "value", "state", "withheld_by", "carried_from")
POINT_COLUMNS = ("consortium_id", "indicator", "point", "method", "score", "no_data", "basis", "detail")
INDICATOR_COLUMNS = ("consortium_id", "indicator", "weight", "score", "no_data")
HUNDRED = Fraction(100)


@dataclass(frozen=True)
class Cell:
    state: str  # ok | empty | unusable
    value: object = None
    withheld_by: str = ""  # the rule ids that made it unusable
    carried_from: int | None = None  # the year of the summary a milestone date came from


EMPTY_CELL = Cell(EMPTY)


# --- inputs -------------------------------------------------------------------------------------------------


def input_cells(
    catalogue: Catalogue, versions: pd.DataFrame, stored: Mapping[int, Mapping[str, object]], findings: pd.DataFrame
) -> pd.DataFrame:
    """One row per version × field it carries: its typed value and whether scoring may use it.

    ``versions`` are the versions to score from (the latest of each consortium × year × kind); ``stored``
    their values (``Warehouse.values_for``); ``findings`` their stored findings. Fields a file leaves out
    are ``empty``, like fields left blank.
    """
    rows = []
    for version in versions.itertuples(index=False):
        values, withheld = usable_values(catalogue, stored.get(version.version_id, {}), findings, version.version_id)
        for spec in catalogue.for_kind(version.kind):
            if spec.is_meta and spec.code != "city_approved_on":
                continue
            value = values.get(spec.code)
            if spec.code in withheld:
                state = UNUSABLE
            elif value is None or (isinstance(value, (str, tuple)) and not value):
                state = EMPTY
            else:
                state = OK
            rows.append(
                (
                    version.consortium_id,
                    int(version.year),
                    version.kind,
                    int(version.version_id),
                    spec.code,
                    value if state == OK else None,
                    state,
                    ";".join(withheld.get(spec.code, ())),
                    None,
                )
            )
    return pd.DataFrame(rows, columns=list(CELL_COLUMNS))


def carry_over_milestones(cells: pd.DataFrame, catalogue: Catalogue, year: int) -> pd.DataFrame:
    """``year``'s summary cells, where a milestone date left empty takes the latest earlier accepted summary's.

    "Accepted summary" is each earlier year's latest version. The source is the latest earlier year that
    gave the date at all: if that date was unusable, nothing carries (an older date is not dug up). Only
    an empty date carries over: an unusable one stays unusable (the summary gave a date, a wrong one).
    """
    milestones = {spec.code for spec in catalogue if spec.section == "B_milestones" and spec.type == "date"}
    summaries = cells[cells["kind"] == "summary"]
    current = summaries[summaries["year"] == year].copy()
    earlier = summaries[
        (summaries["year"] < year) & (summaries["state"] != EMPTY) & summaries["field"].isin(milestones)
    ].sort_values("year", kind="stable")
    latest_earlier = earlier.groupby(["consortium_id", "field"]).tail(1).set_index(["consortium_id", "field"])
    for index, row in current[(current["state"] == EMPTY) & current["field"].isin(milestones)].iterrows():
        key = (row["consortium_id"], row["field"])
        if key in latest_earlier.index and latest_earlier.loc[key, "state"] == OK:
            source = latest_earlier.loc[key]
            current.loc[index, ["value", "state", "carried_from"]] = [source["value"], OK, int(source["year"])]
    return current


def cell_map(cells: pd.DataFrame) -> dict[str, dict[str, Cell]]:
    """Cells as {consortium: {field: Cell}} — the shape the methods read."""
    found: dict[str, dict[str, Cell]] = {}
    columns = [cells[c].tolist() for c in ("consortium_id", "field", "state", "value", "withheld_by", "carried_from")]
    for cid, code, state, value, withheld, carried in zip(*columns):
        carried = None if carried is None or carried != carried else int(carried)  # None or NaN: not carried
        found.setdefault(cid, {})[code] = Cell(state, value, withheld or "", carried)
    return found


def milestone_due_dates(
    milestones: pd.DataFrame, registry: pd.DataFrame, codes: set[str]
) -> dict[tuple[str, str], date]:
    """(consortium, milestone) → due date: ``milestones.csv`` for the consortium's province and batch, else
    12-31 of its first reporting year (its recognition year). A row without a date (no fixed deadline)
    falls back to the default too."""
    table = (
        {
            (row.milestone_code, str(row.province_code), int(row.recognized_year)): row.due_date
            for row in milestones.itertuples(index=False)
            if row.due_date is not None and not pd.isna(row.due_date)
        }
        if len(milestones)
        else {}
    )
    due = {}
    for cid, province, batch in zip(registry.index, registry["province_code"], registry["recognized_year"]):
        for code in codes:
            due[(cid, code)] = table.get((code, str(province), int(batch)), date(int(batch), 12, 31))
    return due


# --- methods ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PartScore:
    score: Fraction
    no_data: bool
    basis: str


def _number(value: object) -> Fraction:
    return Fraction(value) if not isinstance(value, Fraction) else value


def _label(catalogue: Catalogue, part: Part) -> str:
    labels = [catalogue.label(code) for code in part.fields]
    text = "＋".join(labels)
    if part.denominator:
        text = f"{text} ÷ {'＋'.join(catalogue.label(code) for code in part.denominator)}"
    return text


def _why_missing(cells: list[Cell]) -> str:
    rules = sorted({rule for cell in cells for rule in cell.withheld_by.split(";") if rule})
    return f"数据不可用（{', '.join(rules)}）" if rules else "未填报"


def sum_value(cells: Mapping[str, Cell], fields: tuple[str, ...], catalogue: Catalogue) -> tuple[Fraction | None, str]:
    """``a+b``: an empty optional part counts as 0; an unusable part or an empty required one makes the sum
    unusable; all parts empty is no data. Returns (value or None, why not)."""
    parts = [cells.get(code, EMPTY_CELL) for code in fields]
    if any(cell.state == UNUSABLE for cell in parts):
        return None, _why_missing(parts)
    if all(cell.state == EMPTY for cell in parts):
        return None, "未填报"
    missing_required = [
        code for code, cell in zip(fields, parts) if cell.state == EMPTY and catalogue[code].required("summary")
    ]
    if missing_required:
        return None, f"必填项未填报（{', '.join(catalogue.label(c) for c in missing_required)}）"
    return sum((_number(cell.value) for cell in parts if cell.state == OK), Fraction(0)), ""


def _shown(value: Fraction, catalogue: Catalogue, part: Part) -> str:
    """A part's value with its unit (a sum of fields with different units goes without)."""
    same_unit = len({catalogue[code].unit for code in part.fields}) == 1
    return fmt_number(round_half_up(value, 4), catalogue[part.fields[0]] if same_unit else None)


def _plain(value: Fraction) -> str:
    """A value as decimal text for the stored detail (sums of decimals are exact; ratios to 6 places)."""
    return fmt_number(round_half_up(value, 6))


def peer_scores(values: Mapping[str, Fraction | None]) -> dict[str, tuple[Fraction, dict]]:
    """``peer``: 100 × (peers strictly below + ½ × other peers equal) / (n − 1) among those with a usable
    value; with n < 3, 100 × value / max (0 when max is 0). Consortia without a value are left out."""
    usable = {cid: value for cid, value in values.items() if value is not None}
    n = len(usable)
    ordered = sorted(usable.values())
    scores: dict[str, tuple[Fraction, dict]] = {}
    top = ordered[-1] if ordered else Fraction(0)
    for cid, value in usable.items():
        below = bisect_left(ordered, value)
        equal = bisect_right(ordered, value) - below - 1
        if n >= 3:
            score = HUNDRED * (below + Fraction(equal, 2)) / (n - 1)
        else:
            score = HUNDRED * value / top if top else Fraction(0)
        scores[cid] = (score, {"n": n, "below": below, "equal": equal, "max": _plain(top)})
    return scores


def milestone_score(on: date | None, due: date, year: int) -> Fraction:
    """100 on or before the due date, 60 later but not after 12-31 of the report year, else 0."""
    if on is None:
        return Fraction(0)
    if on <= due:
        return HUNDRED
    if on <= date(year, 12, 31):
        return Fraction(60)
    return Fraction(0)


def text_length(text: object) -> int:
    """Characters as max_chars counts them: code points of the NFC text, trimmed."""
    return len(unicodedata.normalize("NFC", str(text)).strip()) if text else 0


def _milestone_part(catalogue: Catalogue, cell: Cell, code: str, due: date, year: int) -> PartScore:
    label = catalogue.label(code)
    if cell.state != OK:
        reason = _why_missing([cell]) if cell.state == UNUSABLE else "未填报"
        return PartScore(Fraction(0), True, f"{label}：{reason}，应于 {due.isoformat()} 前 → 0")
    score = milestone_score(cell.value, due, year)
    carried = f"（沿用 {cell.carried_from} 年总结）" if cell.carried_from else ""
    return PartScore(
        score, False, f"{label} {cell.value.isoformat()}{carried}，应于 {due.isoformat()} 前 → {fmt_score(score)}"
    )


def _presence_part(catalogue: Catalogue, cells: Mapping[str, Cell], part: Part) -> PartScore:
    value, why = sum_value(cells, part.fields, catalogue)
    if value is None:
        return PartScore(Fraction(0), True, f"{_label(catalogue, part)}：{why} → 0")
    score = HUNDRED if value > 0 else Fraction(0)
    return PartScore(score, False, f"{_label(catalogue, part)} {_shown(value, catalogue, part)} → {fmt_score(score)}")


def _part_value(catalogue: Catalogue, cells: Mapping[str, Cell], part: Part) -> tuple[Fraction | None, str]:
    """A part's value for peer / threshold: a sum, or a ratio (denominator 0 or unusable: no data)."""
    value, why = sum_value(cells, part.fields, catalogue)
    if not part.denominator or value is None:
        return value, why
    below, why_below = sum_value(cells, part.denominator, catalogue)
    if below is None:
        return None, f"分母{why_below}"
    if below == 0:
        return None, "分母为 0"
    return value / below, ""


def _combine(point: Point, parts: list[PartScore]) -> tuple[Fraction, bool, str]:
    """Per-part scores → the point's: mean (default) or max; "no data" when no part had a usable value."""
    scores = [part.score for part in parts]
    score = max(scores) if point.combine == "max" else sum(scores, Fraction(0)) / len(scores)
    no_data = all(part.no_data for part in parts)
    basis = "；".join(part.basis for part in parts)
    if len(parts) > 1:
        basis += f"；{'取最高' if point.combine == 'max' else '取平均'} → {fmt_score(score)}"
    return score, no_data, basis


def _peer_part(catalogue: Catalogue, part: Part, value: Fraction, score: Fraction, detail: dict) -> PartScore:
    if detail["n"] >= 3:
        how = f"省内 {detail['n']} 个有效值中 {detail['below']} 个更低、{detail['equal']} 个相同"
    else:
        how = f"有效值不足 3 个，按最高值 {_shown(Fraction(detail['max']), catalogue, part)} 折算"
    return PartScore(
        score, False, f"{_label(catalogue, part)} {_shown(value, catalogue, part)}：{how} → {fmt_score(score)}"
    )


def _threshold_part(catalogue: Catalogue, point: Point, part: Part, value: Fraction) -> PartScore:
    """``threshold`` / ``threshold_ratio``: 100 × min(1, value / target); a ratio reads as a percentage."""
    score = HUNDRED * min(Fraction(1), value / point.target)
    if part.denominator:
        shown, target = (f"{format(round_half_up(x * 100, 1), 'f')}%" for x in (value, point.target))
    else:
        shown, target = _shown(value, catalogue, part), _shown(point.target, catalogue, part)
    return PartScore(score, False, f"{_label(catalogue, part)} {shown}，目标 {target} → {fmt_score(score)}")


def score_points(
    framework: Framework,
    catalogue: Catalogue,
    cells: Mapping[str, Mapping[str, Cell]],
    due_dates: Mapping[tuple[str, str], date],
    year: int,
) -> pd.DataFrame:
    """Every point of the framework for every consortium in ``cells`` (those with a summary).

    ``due_dates`` maps (consortium, milestone field) → due date. Peers are the consortia in ``cells``: call
    this once per province and year. Deduction points are scored as the points taken off (a positive
    number here; :func:`totals` subtracts them).
    """
    rows = []
    consortia = sorted(cells)
    for indicator, point in framework.points:
        per_consortium: dict[str, list[PartScore]] = {cid: [] for cid in consortia}
        details: dict[str, list[dict]] = {cid: [] for cid in consortia}
        parts = point.parts if point.method in PER_PART else ()
        for part in parts:
            valued = point.method in ("peer", "threshold", "threshold_ratio")
            values = {cid: _part_value(catalogue, cells[cid], part) if valued else (None, "") for cid in consortia}
            peers = peer_scores({cid: v for cid, (v, _) in values.items()}) if point.method == "peer" else {}
            for cid in consortia:
                value, why = values[cid]
                if point.method == "milestone":
                    code = part.fields[0]
                    result = _milestone_part(
                        catalogue, cells[cid].get(code, EMPTY_CELL), code, due_dates[(cid, code)], year
                    )
                elif point.method == "presence":
                    result = _presence_part(catalogue, cells[cid], part)
                elif value is None:
                    result = PartScore(Fraction(0), True, f"{_label(catalogue, part)}：{why} → 0")
                elif point.method == "peer":
                    score, detail = peers[cid]
                    details[cid].append({"part": part.text, "value": _plain(value), **detail})
                    result = _peer_part(catalogue, part, value, score, detail)
                else:
                    result = _threshold_part(catalogue, point, part, value)
                per_consortium[cid].append(result)
        for cid in consortia:
            mine = cells[cid]
            if point.method in PER_PART:
                score, no_data, basis = _combine(point, per_consortium[cid])
            else:
                score, no_data, basis = _whole_point(point, catalogue, mine, due_dates, cid, year)
            rows.append(
                {
                    "consortium_id": cid,
                    "indicator": indicator.code,
                    "point": point.code,
                    "method": point.method,
                    "score": score,
                    "no_data": no_data,
                    "basis": basis,
                    "detail": json.dumps(details[cid], ensure_ascii=False) if details[cid] else "",
                }
            )
    return pd.DataFrame(rows, columns=list(POINT_COLUMNS))


def _whole_point(
    point: Point,
    catalogue: Catalogue,
    cells: Mapping[str, Cell],
    due_dates: Mapping[tuple[str, str], date],
    cid: str,
    year: int,
) -> tuple[Fraction, bool, str]:
    """The methods that read all their inputs at once."""
    codes = [part.fields[0] for part in point.parts]
    mine = [cells.get(code, EMPTY_CELL) for code in codes]
    no_data = all(cell.state != OK for cell in mine)
    if point.method == "member_types":
        present = [code for code, cell in zip(codes, mine) if cell.state == OK and cell.value > 0]
        score = HUNDRED * len(present) / len(codes)
        return (
            score,
            no_data,
            (
                f"成员类型 {len(present)}/{len(codes)} 类"
                + (f"（{'、'.join(catalogue.label(c).removeprefix('成员：') for c in present)}）" if present else "")
                + f" → {fmt_score(score)}"
            ),
        )
    if point.method == "text":
        cell = mine[0]
        length = text_length(cell.value) if cell.state == OK else 0
        score = next((s for minimum, s in point.tiers if length >= minimum), Fraction(0))
        reason = f"{length} 字" if cell.state == OK else _why_missing([cell])
        return score, no_data, f"{catalogue.label(codes[0])}：{reason} → {fmt_score(score)}"
    if point.method == "case_count":
        count = sum(1 for cell in mine if cell.state == OK and str(cell.value).strip())
        score = point.scores[min(count, len(point.scores) - 1)]
        return score, no_data, f"典型案例 {count} 个 → {fmt_score(score)}"
    if point.method == "list_share":
        cell = mine[0]
        listed = set(cell.value) if cell.state == OK else set()
        present = [item for item in point.items if item in listed]
        score = HUNDRED * len(present) / len(point.items)
        reason = (
            f"已发布 {len(present)}/{len(point.items)} 张（{'、'.join(present)}）"
            if present
            else (f"已发布 0/{len(point.items)} 张" if cell.state == OK else _why_missing([cell]))
        )
        return score, no_data, f"{catalogue.label(codes[0])}：{reason} → {fmt_score(score)}"
    if point.method == "milestone+presence":
        code = codes[0]
        first = _milestone_part(catalogue, mine[0], code, due_dates[(cid, code)], year)
        second = _presence_part(catalogue, cells, point.parts[1])
        score = (first.score + second.score) / 2
        return score, first.no_data and second.no_data, f"{first.basis}；{second.basis}；取平均 → {fmt_score(score)}"
    if point.method == "deduction":
        cell = mine[0]
        if cell.state != OK:
            return Fraction(0), True, f"{catalogue.label(codes[0])}：{_why_missing([cell])}，不扣分"
        off = min(point.cap, point.per_unit * _number(cell.value))
        return (
            off,
            False,
            (
                f"{catalogue.label(codes[0])} {fmt_value(catalogue[codes[0]], cell.value)}，"
                f"每件扣 {_plain(point.per_unit)} 分、至多 {_plain(point.cap)} 分 → 扣 {_plain(off)} 分"
            ),
        )
    raise ValueError(f"method {point.method} is not scored whole")  # parse_framework refuses it earlier


def no_summary_points(framework: Framework, consortium_ids: list[str]) -> pd.DataFrame:
    """A consortium without a summary still appears: every point 0 and marked no data."""
    rows = [
        {
            "consortium_id": cid,
            "indicator": indicator.code,
            "point": point.code,
            "method": point.method,
            "score": Fraction(0),
            "no_data": True,
            "basis": score_note_label(NO_SUMMARY),
            "detail": "",
        }
        for cid in consortium_ids
        for indicator, point in framework.points
    ]
    return pd.DataFrame(rows, columns=list(POINT_COLUMNS))


# --- indicators, totals, grades, ranks ------------------------------------------------------------------------


def indicator_scores(framework: Framework, points: pd.DataFrame) -> pd.DataFrame:
    """Indicator score = the mean of its points (a deduction indicator's: the points taken off)."""
    rows = []
    for (cid, code), group in points.groupby(["consortium_id", "indicator"], sort=False):
        indicator = next(i for i in framework.indicators if i.code == code)
        score = sum(group["score"], Fraction(0))
        if not indicator.is_deduction:
            score = score / len(group)
        rows.append(
            {
                "consortium_id": cid,
                "indicator": code,
                "weight": indicator.weight,
                "score": score,
                "no_data": bool(group["no_data"].all()),
            }
        )
    return pd.DataFrame(rows, columns=list(INDICATOR_COLUMNS))


def competition_ranks(totals: pd.Series) -> pd.Series:
    """1, 2, 2, 4: one more than the number of strictly higher totals."""
    ordered = sorted(totals)
    return pd.Series(
        [1 + len(ordered) - bisect_right(ordered, value) for value in totals], index=totals.index, dtype="int64"
    )


def totals(framework: Framework, indicators: pd.DataFrame, without_summary: list[str] = ()) -> pd.DataFrame:
    """Σ weight·indicator / Σ weight − deductions, clamped to 0–100, rounded half up to one decimal; the grade
    and the competition rank use the rounded total. Consortia without a summary: total 0, the lowest grade."""
    weights = sum((i.weight for i in framework.indicators if not i.is_deduction), Fraction(0))
    deduction_codes = framework.deduction_codes
    rows = []
    for cid, group in indicators.groupby("consortium_id", sort=True):
        scored = group[~group["indicator"].isin(deduction_codes)]
        weighted = sum((w * s for w, s in zip(scored["weight"], scored["score"])), Fraction(0)) / weights
        off = sum(group[group["indicator"].isin(deduction_codes)]["score"], Fraction(0))
        exact = min(HUNDRED, max(Fraction(0), weighted - off))
        rows.append(
            {
                "consortium_id": cid,
                "weighted": weighted,
                "deductions": off,
                "exact_total": exact,
                "total": round_half_up(exact, 1),
                "note": "",
            }
        )
    for cid in without_summary:
        rows.append(
            {
                "consortium_id": cid,
                "weighted": Fraction(0),
                "deductions": Fraction(0),
                "exact_total": Fraction(0),
                "total": round_half_up(0, 1),
                "note": NO_SUMMARY,
            }
        )
    frame = pd.DataFrame(rows, columns=["consortium_id", "weighted", "deductions", "exact_total", "total", "note"])
    frame = frame.sort_values("consortium_id", kind="stable").reset_index(drop=True)
    frame["grade"] = [
        framework.lowest_grade if note == NO_SUMMARY else framework.grade(Fraction(total))
        for total, note in zip(frame["total"], frame["note"])
    ]
    frame["rank"] = competition_ranks(frame["total"])
    return frame


# --- plan completion, adjustment, shortlist --------------------------------------------------------------------

PLAN_COLUMNS = (
    "consortium_id",
    "year",
    "completed",
    "targets",
    "targets_met",
    "milestones_planned",
    "milestones_achieved",
    "unmet",
    "pending",
    "reason",
)


def plan_completion(
    framework: Framework,
    catalogue: Catalogue,
    plans: pd.DataFrame,
    summaries: pd.DataFrame,
    consortium_ids: list[str],
    year: int,
) -> pd.DataFrame:
    """Was each consortium's plan for ``year`` completed?

    Targets: the numeric fields of the framework's plan sections that the plan fills with a usable value (an
    unusable target leaves the count); met when the summary's usable value ≥ the target. Milestones: the
    plan's dates that fall in ``year``; achieved when the summary (after carry-over) dates them on or before
    12-31 of ``year``. Completed ⇔ at least the share (80 %) of targets met, every planned milestone
    achieved, and at least one target. No plan or no summary: not completed.
    """
    plan_cells, summary_cells = cell_map(plans), cell_map(summaries)
    rows = []
    for cid in consortium_ids:
        plan, summary = plan_cells.get(cid), summary_cells.get(cid)
        row = {
            "consortium_id": cid,
            "year": year,
            "completed": False,
            "targets": 0,
            "targets_met": 0,
            "milestones_planned": 0,
            "milestones_achieved": 0,
            "unmet": (),
            "pending": (),
            "reason": "",
        }
        if plan is None or summary is None:
            rows.append(row | {"reason": NO_PLAN if plan is None else NO_SUMMARY})
            continue
        targets, unmet, planned, pending = 0, [], 0, []
        for spec in catalogue:
            if spec.section not in framework.plan_sections:
                continue
            target, actual = plan.get(spec.code, EMPTY_CELL), summary.get(spec.code, EMPTY_CELL)
            if spec.is_numeric and target.state == OK:
                targets += 1
                if actual.state != OK or _number(actual.value) < _number(target.value):
                    unmet.append(spec.code)
            elif spec.type == "date" and target.state == OK and target.value.year == year:
                planned += 1
                if actual.state != OK or actual.value > date(year, 12, 31):
                    pending.append(spec.code)
        met = targets - len(unmet)
        completed = targets > 0 and met >= framework.plan_share_met * targets and not pending
        rows.append(
            row
            | {
                "completed": completed,
                "targets": targets,
                "targets_met": met,
                "milestones_planned": planned,
                "milestones_achieved": planned - len(pending),
                "unmet": tuple(unmet),
                "pending": tuple(pending),
                "reason": "" if completed else ("计划无可用目标" if not targets else ""),
            }
        )
    return pd.DataFrame(rows, columns=list(PLAN_COLUMNS))


def adjustment(registry: pd.DataFrame, completion: pd.DataFrame, previous: pd.DataFrame, year: int) -> pd.Series:
    """Marked for adjustment (seed 000 §四): the plan not completed in ``year`` and in ``year − 1``, for a
    consortium recognised in or before ``year − 1``. Indexed by consortium."""
    done_now = completion.set_index("consortium_id")["completed"]
    done_before = previous.set_index("consortium_id")["completed"] if len(previous) else pd.Series(dtype=bool)
    flags = {}
    for cid in done_now.index:
        recognised = int(registry.loc[cid, "recognized_year"]) <= year - 1
        flags[cid] = bool(recognised and not done_now[cid] and not bool(done_before.get(cid, False)))
    return pd.Series(flags, dtype=bool)


def shortlist(
    framework: Framework,
    registry: pd.DataFrame,
    scored: pd.DataFrame,
    summary_timeliness: pd.DataFrame,
    violations: Mapping[str, Cell],
) -> pd.DataFrame:
    """National-recommendation shortlist: among eligible consortia — the framework's level (provincial), its
    grade (优秀), plan completed, ``violations_count`` usable and 0, summary on time and city-approved — the
    top N (3) by total, everyone tied at the N-th included. ``scored`` has total, grade, plan_completed."""
    timely = summary_timeliness.set_index("consortium_id") if len(summary_timeliness) else None
    rows = []
    for record in scored.itertuples(index=False):
        cid, why = record.consortium_id, []
        if registry.loc[cid, "level"] != framework.shortlist_level:
            why.append(f"非{level_label(framework.shortlist_level)}联合体")
        if record.grade != framework.shortlist_grade:
            why.append(f"等级非{framework.shortlist_grade}")
        if not record.plan_completed:
            why.append("年度计划未完成")
        cell = violations.get(cid, EMPTY_CELL)
        if cell.state != OK:
            why.append("违法违规事件数无有效值")
        elif cell.value != 0:
            why.append("近3年有重大违法违规事件（一票否决）")
        status = timely.loc[cid] if timely is not None and cid in timely.index else None
        if status is None or status["status"] != "on_time":
            why.append("年度工作总结未按时报送")
        if status is None or not bool(status["city_approved"]):
            why.append("年度工作总结未经地市审核同意")
        rows.append(
            {"consortium_id": cid, "eligible": not why, "total": record.total, "ineligible_because": "；".join(why)}
        )
    frame = pd.DataFrame(rows, columns=["consortium_id", "eligible", "total", "ineligible_because"])
    frame["eligible"] = frame["eligible"].astype(bool)  # an empty province: a bool column all the same
    eligible = frame[frame["eligible"]].sort_values("total", ascending=False, kind="stable")
    cutoff = eligible["total"].iloc[framework.shortlist_top - 1] if len(eligible) >= framework.shortlist_top else None
    frame["shortlisted"] = frame["eligible"] & (True if cutoff is None else frame["total"] >= cutoff)
    return frame


# --- one province and year ------------------------------------------------------------------------------------


@dataclass
class YearScores:
    """A province's scores for one year: what is stored, exported and reported."""

    framework: Framework
    year: int
    province_code: str
    consortia: pd.DataFrame  # one row per consortium: totals, grade, rank, plan, adjustment, shortlist
    indicators: pd.DataFrame  # INDICATOR_COLUMNS
    points: pd.DataFrame  # POINT_COLUMNS
    plan: pd.DataFrame  # PLAN_COLUMNS for the year
    versions: pd.DataFrame  # consortium_id → summary_version_id, plan_version_id (and their numbers)


def score_year(
    framework: Framework,
    catalogue: Catalogue,
    registry: pd.DataFrame,
    milestones: pd.DataFrame,
    cells: pd.DataFrame,
    summary_timeliness: pd.DataFrame,
    year: int,
    province_code: str,
    previous_framework: Framework | None = None,
) -> YearScores:
    """Score one province's expected consortia (``registry`` rows, indexed by id) for ``year``.

    ``cells`` (:func:`input_cells`) hold the latest accepted plan and summary of every year up to ``year``
    (earlier summaries for milestone carry-over, last year's plan and summary for the adjustment rule).
    ``summary_timeliness`` is the year's timeliness rows for summaries (status, city_approved).
    ``previous_framework`` judges last year's plan (its own plan rules), when the province changed frameworks.
    """
    ids = sorted(registry.index)
    cells = cells[cells["consortium_id"].isin(ids)]
    summaries = carry_over_milestones(cells, catalogue, year)
    previous_summaries = carry_over_milestones(cells, catalogue, year - 1)
    plans = cells[(cells["kind"] == "plan") & (cells["year"] == year)]
    previous_plans = cells[(cells["kind"] == "plan") & (cells["year"] == year - 1)]

    by_consortium = cell_map(summaries)
    with_summary = [cid for cid in ids if cid in by_consortium]
    without = [cid for cid in ids if cid not in by_consortium]
    milestone_fields = {
        part.fields[0]
        for _, point in framework.points
        for part in (
            point.parts
            if point.method == "milestone"
            else point.parts[:1]
            if point.method == "milestone+presence"
            else ()
        )
    }
    due = milestone_due_dates(milestones, registry, milestone_fields)
    points = pd.concat(
        [
            score_points(framework, catalogue, {cid: by_consortium[cid] for cid in with_summary}, due, year),
            no_summary_points(framework, without),
        ],
        ignore_index=True,
    )
    indicators = indicator_scores(framework, points)
    scored = totals(framework, indicators[indicators["consortium_id"].isin(with_summary)], without)

    plan = plan_completion(framework, catalogue, plans, summaries, ids, year)
    before = plan_completion(
        previous_framework or framework, catalogue, previous_plans, previous_summaries, ids, year - 1
    )
    scored = scored.merge(
        plan[["consortium_id", "completed"]].rename(columns={"completed": "plan_completed"}), on="consortium_id"
    )
    # Last year's plan only means something for a consortium expected to file last year.
    expected_before = {cid for cid in ids if int(registry.loc[cid, "recognized_year"]) <= year - 1}
    scored["previous_plan_completed"] = [
        bool(done) if cid in expected_before else None
        for cid, done in zip(
            scored["consortium_id"], scored["consortium_id"].map(before.set_index("consortium_id")["completed"])
        )
    ]
    scored["adjustment"] = scored["consortium_id"].map(adjustment(registry, plan, before, year)).astype(bool)
    chosen = shortlist(
        framework,
        registry,
        scored,
        summary_timeliness,
        {cid: by_consortium.get(cid, {}).get("violations_count", EMPTY_CELL) for cid in ids},
    )
    scored = scored.merge(
        chosen[["consortium_id", "eligible", "shortlisted", "ineligible_because"]], on="consortium_id"
    )
    scored.insert(1, "name", [registry.loc[cid, "name"] for cid in scored["consortium_id"]])

    latest = cells[cells["year"] == year].drop_duplicates(["consortium_id", "kind"])
    versions = latest.pivot(index="consortium_id", columns="kind", values="version_id").reindex(
        index=ids, columns=["plan", "summary"]
    )
    versions = (
        versions.rename(columns={"plan": "plan_version_id", "summary": "summary_version_id"})
        .astype("Int64")
        .rename_axis("consortium_id")
        .reset_index()
    )
    return YearScores(
        framework=framework,
        year=year,
        province_code=province_code,
        consortia=scored,
        indicators=indicators,
        points=points,
        plan=plan,
        versions=versions,
    )


def scoring_inputs_digest(
    framework: Framework,
    previous_framework: Framework,
    registry: pd.DataFrame,
    milestones: pd.DataFrame,
    latest: pd.DataFrame,
    overrides: Iterable,
    summaries: pd.DataFrame,
    code: str = __version__,
) -> str:
    """A digest of everything :func:`score_year` reads for a province's year: the frameworks, the expected
    filers, the milestone calendar, the latest versions (each named by its file's sha256 and the digest of
    its validation, which fixes its findings), reviewers' overrides and the summaries' timeliness. The
    same digest as when the stored scores were made means they stand. ``code``: the pipeline's code version."""
    columns = [
        c
        for c in ("version_id", "consortium_id", "year", "kind", "version", "sha256", "withdrawn", "validated_digest")
        if c in latest.columns
    ]
    return digest(
        {
            "pipeline": code,
            "frameworks": [framework.digest, previous_framework.digest],
            "registry": {"ids": [str(i) for i in registry.sort_index().index], "rows": _records(registry.sort_index())},
            "milestones": _records(milestones),
            "versions": latest[columns].sort_values("version_id").to_dict("records") if len(latest) else [],
            "overrides": sorted(repr(o) for o in overrides),
            "summaries": _records(summaries.sort_values(["consortium_id", "kind"])) if len(summaries) else [],
        }
    )


def _records(frame: pd.DataFrame) -> list[dict]:
    return frame.astype(object).where(frame.notna(), None).to_dict("records")
