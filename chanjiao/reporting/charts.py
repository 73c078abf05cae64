"""Charts for the PDF reports: the geometry of inline ``<svg>`` that WeasyPrint draws as vector graphics.

Every function here is pure: plain numbers, dates and labels go in, a :class:`Chart` comes out — its size and
its shapes (rects, lines, circles, polygons, texts), every coordinate computed here. The drawing itself is a
template, ``report_templates/partials/chart.svg.j2`` (``{% with chart = … %}{% include … %}``): charts are
data in the report context like every other figure. Nothing is read or written, nothing random: the same
input gives the same chart.

Layout: every chart is 680 user units wide (``viewBox``) and printed 170 mm wide, so 4 units = 1 mm and
the smallest text (12 units) prints at 8.5 pt. Text is Chinese, in Noto Sans CJK SC.

Safety: every piece of text (indicator and milestone labels, grade names — anything that may come from a
framework or a submission) is data: characters XML cannot hold are dropped here, and the template's
autoescaping writes the rest as text; a label such as ``<img src=x>`` or ``]]>`` is drawn as text, never
parsed as markup. A label too
long for its column is shortened with "…" and given whole in a ``<title>`` (a tooltip; not printed).

Print: colours come from a restrained palette and never carry meaning alone — grades are written next to
their colour, statuses are written or hatched, the median is a different shape from the score.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction

from chanjiao.reference.formatting import fmt_number, fmt_score, round_half_up
from chanjiao.reference.labels import milestone_label, statuses, timeliness_label

__all__ = [
    "FONT_FAMILY",
    "MILESTONE_STATUSES",
    "TIMELINESS_STATUSES",
    "Chart",
    "Shape",
    "IndicatorBar",
    "MilestoneMark",
    "TimelinessBar",
    "TrendPoint",
    "distribution_chart",
    "grade_colour",
    "grade_colours",
    "indicator_chart",
    "milestone_chart",
    "timeliness_chart",
    "trend_chart",
]

FONT_FAMILY = "Noto Sans CJK SC, sans-serif"
# The statuses as printed, in the order drawn (chanjiao/data/labels.csv).
TIMELINESS_STATUSES = statuses("timeliness")
MILESTONE_STATUSES = statuses("milestone")

WIDTH = 680  # user units across every chart
PRINT_WIDTH_MM = 170  # … printed this wide: 4 units = 1 mm
SMALL = 12  # 8.5 pt: ticks, legends, counts
LABEL = 13  # 9.2 pt: row labels

INK = "#1f2328"
MUTED = "#57606a"
AXIS = "#8c959f"
GRID = "#d8dee4"
TRACK = "#eef1f4"
WHITE = "#ffffff"
NEUTRAL = "#6e7781"  # a grade the framework does not know, a status with no colour of its own
SCORE = "#4a72a0"  # this consortium's bars and bins
SCORE_DARK = "#22456b"  # this consortium's line and highlighted bin
MEDIAN = "#1f2328"  # the provincial median: black diamonds, a dashed line

# Best → worst, the same hexes the CSS uses for good / warning / bad, so a badge and a chart agree.
_GRADE_PALETTES = {
    1: ("#1a7f37",),
    2: ("#1a7f37", "#b42318"),
    3: ("#1a7f37", "#9a6700", "#b42318"),
    4: ("#1a7f37", "#0f6e8c", "#9a6700", "#b42318"),
    5: ("#1a7f37", "#0f6e8c", "#9a6700", "#bc4c00", "#b42318"),
}

# Status: (fill, hatch direction or None, hatch colour, text colour for the status name).
_TIMELINESS_STYLE = {
    timeliness_label(status): style
    for status, style in {
        "on_time": ("#2f7d4f", None, None),
        "late": ("#e2a73e", None, None),
        "missing": ("#b42318", "/", WHITE),
        "not_city_approved": ("#d3dbe3", "\\", "#57606a"),
        "not_yet_due": ("#f3f4f6", None, None),
    }.items()
}
_MILESTONE_STYLE = {  # status: (colour of the done dot, the connector and the status text)
    milestone_label(status): colour
    for status, colour in {
        "on_time": "#1a7f37",
        "late": "#9a6700",
        "not_done": "#b42318",
        "not_yet_due": "#57606a",
        "unusable": "#57606a",
    }.items()
}


# --- data ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IndicatorBar:
    """One indicator of one consortium: its score out of ``weight`` and the provincial median. A deduction
    indicator (weight 0) gives the points taken off as ``score``."""

    code: str
    label: str
    score: float | None
    weight: float
    median: float | None
    deduction: bool = False


@dataclass(frozen=True)
class TrendPoint:
    """One year of one consortium: its total and grade, and the provincial median total."""

    year: int
    total: float | None
    grade: str | None
    median: float | None


@dataclass(frozen=True)
class TimelinessBar:
    """One kind of document (年度工作计划, 年度工作总结): how many consortia are in each status."""

    label: str
    counts: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class MilestoneMark:
    """One construction milestone of one consortium: due date, completion date, status."""

    label: str
    due: date | None
    done: date | None
    status: str


# --- grades ----------------------------------------------------------------------------------------------------


def grade_colours(grades: Sequence[tuple[float, str]]) -> dict[str, str]:
    """Each grade's colour, by its position best → worst: green … red (any number of grades)."""
    names = [name for _, name in grades]
    count = len(names)
    if count in _GRADE_PALETTES:
        palette = _GRADE_PALETTES[count]
    else:
        anchors = _GRADE_PALETTES[5]
        palette = tuple(_ramp(anchors, n / (count - 1)) for n in range(count))
    colours: dict[str, str] = {}
    for name, colour in zip(names, palette):
        colours.setdefault(name, colour)
    return colours


def grade_colour(grade: str | None, grades: Sequence[tuple[float, str]]) -> str:
    """The colour of ``grade`` among ``grades`` (best first, as (minimum, name)): the best is green, the worst
    red, the ones between teal → amber. A grade the framework does not name (say from an earlier year's
    framework) is neutral grey rather than an error, so a report never fails on a badge."""
    return grade_colours(grades).get(grade, NEUTRAL) if grade is not None else NEUTRAL


def _grade_bands(grades: Sequence[tuple[float, str]]) -> list[tuple[float, float, str, str]]:
    """(low, high, name, colour) for each grade, best first, clipped to 0–100."""
    colours = grade_colours(grades)
    bands, high = [], 100.0
    for minimum, name in grades:
        low = min(max(float(minimum), 0.0), 100.0)
        if high > low:
            bands.append((low, high, name, colours[name]))
        high = min(high, low)
    return bands


# --- indicator chart -------------------------------------------------------------------------------------------


def indicator_chart(rows: Sequence[IndicatorBar]) -> Chart:
    """Horizontal bars, one per indicator: the score as a share of the indicator's maximum (0–100 %), the
    provincial median as a black diamond on the same scale, "I1 基本情况" on the left and "8.5 / 10" on the
    right. Deduction indicators are lines of text under the bars: "扣分 -10.0（中位数 0.0）"."""
    bars = [row for row in rows if not row.deduction]
    deductions = [row for row in rows if row.deduction]
    label_w, x0, x1, value_x = 190.0, 200.0, 560.0, 572.0
    row_h, bar_h = 26.0, 14.0
    svg = _Svg()

    # legend
    svg.rect(0, 6, 22, 11, fill=SCORE)
    svg.text(28, 16, "本联合体得分", size=SMALL)
    svg.line(130, 3, 130, 20, stroke=MEDIAN, stroke_width=1.5)
    svg.diamond(130, 11.5, 5.5, fill=MEDIAN, stroke=WHITE, stroke_width=1.2)
    svg.text(142, 16, "全省中位数", size=SMALL)
    svg.text(WIDTH, 16, "条长：得分占该指标满分的比例", size=SMALL, fill=MUTED, anchor="end")
    y = 30.0

    if bars:
        svg.text(0, y + 14, "指标", size=SMALL, fill=MUTED)
        svg.text(value_x, y + 14, "得分 / 满分", size=SMALL, fill=MUTED)
        top = y + 22
        bottom = top + row_h * len(bars)
        for row_n, row in enumerate(bars):
            ry = top + row_h * row_n
            svg.rect(x0, ry + (row_h - bar_h) / 2, x1 - x0, bar_h, fill=TRACK)
        for pct in (0, 25, 50, 75, 100):
            gx = x0 + (x1 - x0) * pct / 100
            edge = pct in (0, 100)
            svg.line(
                gx,
                top - 3,
                gx,
                bottom + 3,
                stroke=AXIS if edge else GRID,
                stroke_width=1 if edge else 0.8,
                cls="grid",
                data_pct=pct,
                stroke_dasharray=None if edge else "3 3",
            )
            svg.text(gx, bottom + 17, f"{pct}%", size=SMALL, fill=MUTED, anchor="middle")
        for row_n, row in enumerate(bars):
            ry = top + row_h * row_n
            centre = ry + row_h / 2
            svg.fitted_text(0, _baseline(centre, LABEL), f"{row.code} {row.label}", LABEL, label_w)
            score, weight, median = _number(row.score), _number(row.weight), _number(row.median)
            if score is None:
                svg.text(value_x, _baseline(centre, LABEL), "无数据", size=LABEL, fill=MUTED)
                svg.text(x0 + 6, _baseline(centre, SMALL), "无数据", size=SMALL, fill=MUTED)
            else:
                if weight and weight > 0:
                    share = min(max(score / weight, 0.0), 1.0)
                    if share > 0:
                        svg.rect(
                            x0, centre - bar_h / 2, (x1 - x0) * share, bar_h, fill=SCORE, cls="bar", data_code=row.code
                        )
                svg.text(
                    value_x, _baseline(centre, LABEL), f"{fmt_score(row.score)} / {_fmt_weight(row.weight)}", size=LABEL
                )
            if median is not None and weight and weight > 0:
                mx = x0 + (x1 - x0) * min(max(median / weight, 0.0), 1.0)
                svg.line(
                    mx,
                    centre - bar_h / 2 - 4,
                    mx,
                    centre + bar_h / 2 + 4,
                    stroke=MEDIAN,
                    stroke_width=1.5,
                    cls="median",
                    data_code=row.code,
                )
                svg.diamond(mx, centre, 5.5, fill=MEDIAN, stroke=WHITE, stroke_width=1.2)
        y = bottom + 26
    elif not deductions:
        svg.text(WIDTH / 2, y + 26, "暂无指标得分", size=LABEL, fill=MUTED, anchor="middle")
        y += 40

    if deductions:
        svg.line(0, y + 2, WIDTH, y + 2, stroke=GRID, stroke_width=0.8)
        y += 4
        for row in deductions:
            centre = y + 11
            svg.fitted_text(0, _baseline(centre, LABEL), f"{row.code} {row.label}", LABEL, label_w)
            taken = _fmt_deduction(row.score)
            text = f"扣分 {taken}（中位数 {_fmt_deduction(row.median)}）"
            svg.text(
                x0,
                _baseline(centre, LABEL),
                text,
                size=LABEL,
                fill="#b42318" if taken.startswith("-") else INK,
                cls="deduction",
                data_code=row.code,
            )
            y += 22
        y += 4
    return svg.render(y, "各指标得分占满分的比例与全省中位数")


def _fmt_weight(weight: float) -> str:
    value = _number(weight)
    return "—" if value is None else fmt_number(float(weight) if isinstance(weight, (Fraction, Decimal)) else weight)


def _fmt_deduction(value: float | None) -> str:
    """Points taken off, always written as a loss: 10 → "-10.0", 0 → "0.0"; no data → "无数据"."""
    if _number(value) is None:
        return "无数据"
    magnitude = abs(value)
    return fmt_score(magnitude) if round_half_up(magnitude, 1) == 0 else f"-{fmt_score(magnitude)}"


# --- trend chart -----------------------------------------------------------------------------------------------


def trend_chart(points: Sequence[TrendPoint], grades: Sequence[tuple[float, str]]) -> Chart:
    """Totals across years as a line with markers (the provincial median per year dashed), on a 0–100 axis
    with the grade bands tinted and named on the right. A year without a total is a gap marked "未评分"."""
    points = sorted(points, key=lambda p: p.year)
    years = [p.year for p in points]
    if len(set(years)) != len(years):
        raise ValueError(f"trend_chart: a year appears twice in {years}")
    x0, x1, top, bottom = 46.0, 580.0, 52.0, 272.0
    svg = _Svg()

    def ypos(value: float) -> float:
        return bottom - (bottom - top) * min(max(value, 0.0), 100.0) / 100

    # legend
    svg.line(0, 11, 26, 11, stroke=SCORE_DARK, stroke_width=2.2)
    svg.circle(13, 11, 4.5, fill=WHITE, stroke=SCORE_DARK, stroke_width=1.6)
    svg.text(32, 16, "本联合体总分", size=SMALL)
    svg.line(128, 11, 154, 11, stroke=MEDIAN, stroke_width=1.5, stroke_dasharray="5 3")
    svg.square(141, 11, 3.5, fill=WHITE, stroke=MEDIAN, stroke_width=1.4)
    svg.text(160, 16, "全省中位数", size=SMALL)
    svg.text(WIDTH, 16, "底色：等级区间", size=SMALL, fill=MUTED, anchor="end")

    # grade bands, named on the right
    bands = _grade_bands(grades)
    for low, high, name, colour in bands:
        svg.rect(x0, ypos(high), x1 - x0, ypos(low) - ypos(high), fill=_mix(colour, WHITE, 0.88), cls="band")
    for value in range(0, 101, 20):
        svg.line(x0, ypos(value), x1, ypos(value), stroke=GRID, stroke_width=0.6, cls="grid", data_value=value)
        svg.text(x0 - 6, _baseline(ypos(value), SMALL), str(value), size=SMALL, fill=MUTED, anchor="end")
    for low, _, name, colour in bands:
        if 0 < low < 100:
            svg.line(
                x0,
                ypos(low),
                x1,
                ypos(low),
                stroke=_mix(colour, INK, 0.2),
                stroke_width=1,
                stroke_dasharray="6 3",
                cls="boundary",
            )
    labels = [
        (
            f"{name} ≥{fmt_number(low)}"
            if n < len(bands) - 1
            else (f"{name} <{fmt_number(bands[n - 1][0])}" if n else name),
            (ypos(low) + ypos(high)) / 2,
        )
        for n, (low, high, name, _) in enumerate(bands)
    ]
    spots = _spread([(centre, SMALL + 2) for _, centre in labels], top, bottom)
    for (text, _), spot, (_, _, _, colour) in zip(labels, spots, bands):
        svg.fitted_text(
            x1 + 8, _baseline(spot, SMALL), text, SMALL, WIDTH - x1 - 8, fill=_mix(colour, INK, 0.2), cls="grade-label"
        )
    svg.line(x0, top, x0, bottom, stroke=AXIS, stroke_width=1)
    svg.line(x0, bottom, x1, bottom, stroke=AXIS, stroke_width=1)
    svg.text(x0 - 6, top - 12, "总分", size=SMALL, fill=MUTED, anchor="end")

    if not points:
        svg.text((x0 + x1) / 2, (top + bottom) / 2, "暂无历年得分", size=LABEL, fill=MUTED, anchor="middle")
        return svg.render(bottom + 26, "历年总分与全省中位数")

    pad = 44.0
    first, last = years[0], years[-1]

    def xpos(year: int) -> float:
        if first == last:
            return (x0 + x1) / 2
        return x0 + pad + (x1 - x0 - 2 * pad) * (year - first) / (last - first)

    for p in points:
        svg.line(xpos(p.year), bottom, xpos(p.year), bottom + 4, stroke=AXIS, stroke_width=1)
        svg.text(xpos(p.year), bottom + 18, f"{p.year}年", size=SMALL, anchor="middle", cls="year")

    # the median: dashed runs, hollow squares
    for run in _runs([(xpos(p.year), _number(p.median)) for p in points]):
        if len(run) > 1:
            svg.polyline(
                [(x, ypos(v)) for x, v in run],
                stroke=MEDIAN,
                stroke_width=1.5,
                stroke_dasharray="5 3",
                fill="none",
                cls="median-line",
            )
    for p in points:
        median = _number(p.median)
        if median is not None:
            svg.square(
                xpos(p.year),
                ypos(median),
                3.5,
                fill=WHITE,
                stroke=MEDIAN,
                stroke_width=1.4,
                cls="median",
                data_year=p.year,
            )
    # the totals: solid runs, filled circles coloured by grade, the total and grade written by each
    for run in _runs([(xpos(p.year), _number(p.total)) for p in points]):
        if len(run) > 1:
            svg.polyline(
                [(x, ypos(v)) for x, v in run], stroke=SCORE_DARK, stroke_width=2.2, fill="none", cls="total-line"
            )
    for p in points:
        x, total, median = xpos(p.year), _number(p.total), _number(p.median)
        if total is None:
            svg.text(x, bottom - 10, "未评分", size=SMALL, fill=MUTED, anchor="middle", cls="unscored")
            continue
        y = ypos(total)
        svg.circle(
            x,
            y,
            5.5,
            fill=grade_colour(p.grade, grades),
            stroke=SCORE_DARK,
            stroke_width=1.6,
            cls="total",
            data_year=p.year,
        )
        text = fmt_score(p.total) + (f" {p.grade}" if p.grade else "")
        below = median is not None and total < median and y + 22 < bottom
        ty = y + 20 if below else y - 10
        svg.text(x, ty, text, size=SMALL, anchor="middle", font_weight="bold", fill=INK, cls="value")
    return svg.render(bottom + 26, "历年总分与全省中位数")


# --- distribution chart ----------------------------------------------------------------------------------------


def distribution_chart(
    totals: Sequence[float], grades: Sequence[tuple[float, str]], highlight: float | None = None
) -> Chart:
    """The province's totals as a histogram of 10-point bins (0–10, …, 90–100; 100 goes in the last bin), the
    count over each bar, grade boundaries as dashed lines with the grades named on top; ``highlight`` marks
    one consortium's total ("本联合体"). Totals are binned as rounded for grades (half up, one decimal)."""
    values = [float(round_half_up(t, 1)) for t in totals if _number(t) is not None]
    counts = [0] * 10
    for value in values:
        counts[min(max(int(value // 10), 0), 9)] += 1
    x0, x1, top, bottom = 52.0, 664.0, 48.0, 252.0
    bin_w = (x1 - x0) / 10
    svg = _Svg()

    def xpos(value: float) -> float:
        return x0 + (x1 - x0) * min(max(value, 0.0), 100.0) / 100

    peak = max(counts)
    step = _nice_step(peak)
    ceiling = max(step * math.ceil(peak / step), step) if peak else 5
    bar_top = top + 40  # room above the tallest bar for its count and the grade names

    def ypos(count: float) -> float:
        return bottom - (bottom - bar_top) * count / ceiling

    bands = _grade_bands(grades)
    for low, high, _, colour in bands:
        svg.rect(xpos(low), top, xpos(high) - xpos(low), bottom - top, fill=_mix(colour, WHITE, 0.9), cls="band")
    tick = 0
    while peak and tick <= ceiling:
        svg.line(x0, ypos(tick), x1, ypos(tick), stroke=GRID, stroke_width=0.6)
        svg.text(x0 - 6, _baseline(ypos(tick), SMALL), str(tick), size=SMALL, fill=MUTED, anchor="end", cls="ytick")
        tick += step
    for low, _, _, colour in bands:
        if 0 < low < 100:
            svg.line(
                xpos(low),
                top,
                xpos(low),
                bottom,
                stroke=_mix(colour, INK, 0.2),
                stroke_width=1,
                stroke_dasharray="6 3",
                cls="boundary",
            )
    names = [(name, (xpos(low) + xpos(high)) / 2, _text_width(name, SMALL)) for low, high, name, _ in bands]
    spots = _spread([(centre, width + 6) for _, centre, width in names], x0, x1)
    for (name, _, _), spot, (_, _, _, colour) in zip(names, spots, bands):
        svg.text(
            spot,
            top + 15,
            name,
            size=SMALL,
            anchor="middle",
            fill=_mix(colour, INK, 0.2),
            font_weight="bold",
            cls="grade-label",
        )

    mine = hx = None
    if highlight is not None and _number(highlight) is not None:
        mine = min(max(int(float(round_half_up(highlight, 1)) // 10), 0), 9)
        hx = xpos(float(round_half_up(highlight, 1)))
    crossings = [xpos(low) for low, _, _, _ in bands if 0 < low < 100] + ([hx] if hx is not None else [])
    for n, count in enumerate(counts):
        if count:
            y = ypos(count)
            svg.rect(
                x0 + n * bin_w + 4,
                y,
                bin_w - 8,
                bottom - y,
                fill=SCORE_DARK if n == mine else SCORE,
                cls="bin",
                data_count=count,
            )
    svg.line(x0, top, x0, bottom, stroke=AXIS, stroke_width=1)
    svg.line(x0, bottom, x1, bottom, stroke=AXIS, stroke_width=1)
    if hx is not None:
        svg.line(hx, 30, hx, bottom, stroke=INK, stroke_width=1.6, cls="highlight")
        svg.polygon([(hx - 5, 28), (hx + 5, 28), (hx, 36)], fill=INK)
    for n, count in enumerate(counts):
        if count:
            cx, y, text = x0 + (n + 0.5) * bin_w, ypos(count), str(count)
            width = _text_width(text, SMALL) + 6
            if any(abs(line - cx) < width / 2 + 1 for line in crossings):  # keep the number legible
                svg.rect(cx - width / 2, y - 17, width, 14, fill=WHITE, rx=2)
            svg.text(cx, y - 5, text, size=SMALL, anchor="middle", font_weight="bold", cls="count")
    for n in range(11):
        svg.line(xpos(n * 10), bottom, xpos(n * 10), bottom + 4, stroke=AXIS, stroke_width=1)
        svg.text(xpos(n * 10), bottom + 17, str(n * 10), size=SMALL, fill=MUTED, anchor="middle", cls="xtick")
    svg.text((x0 + x1) / 2, bottom + 34, "总分", size=SMALL, fill=MUTED, anchor="middle")
    svg.text(0, top - 8, "联合体数", size=SMALL, fill=MUTED)
    if not values:
        svg.text((x0 + x1) / 2, (top + bottom) / 2 + 10, "暂无评分", size=14, fill=MUTED, anchor="middle")
    if hx is not None:
        text = f"本联合体 {fmt_score(highlight)}"
        width = _text_width(text, SMALL) + 10
        left = min(max(hx - width / 2, 0.5), WIDTH - width - 0.5)
        svg.rect(left, 6, width, 18, fill=WHITE, stroke=INK, stroke_width=1, rx=3)
        svg.text(
            left + width / 2,
            _baseline(15, SMALL),
            text,
            size=SMALL,
            anchor="middle",
            font_weight="bold",
            cls="highlight-label",
        )
    label = "全省联合体总分分布" + (f"，本联合体 {fmt_score(highlight)} 分" if mine is not None else "")
    return svg.render(bottom + 42, label)


def _nice_step(peak: int) -> int:
    """A tick step giving at most 6 ticks above 0: 1, 2, 5, 10, 20, 50, …"""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if peak <= 6 * step * factor:
                return step * factor
        step *= 10


# --- timeliness chart ------------------------------------------------------------------------------------------


def timeliness_chart(rows: Sequence[TimelinessBar]) -> Chart:
    """100 % stacked horizontal bars, one per kind of document, segments in the order of
    :data:`TIMELINESS_STATUSES`, each count written in its segment when it fits; underneath, a legend that is
    also the table of every count (so a segment too narrow for its number loses nothing)."""
    label_w, x0, x1 = 112.0, 120.0, 600.0
    row_h, bar_h = 34.0, 22.0
    svg = _Svg()
    counted = []
    for row in rows:
        unknown = sorted(set(row.counts) - set(TIMELINESS_STATUSES))
        if unknown:
            raise ValueError(f"timeliness_chart: unknown status {unknown}; the statuses are {TIMELINESS_STATUSES}")
        counts = [int(row.counts.get(status, 0) or 0) for status in TIMELINESS_STATUSES]
        if any(c < 0 for c in counts):
            raise ValueError(f"timeliness_chart: a negative count for {row.label!r}: {dict(row.counts)}")
        counted.append((row.label, counts))

    y = 4.0
    for label, counts in counted:
        centre = y + row_h / 2
        total = sum(counts)
        svg.fitted_text(0, _baseline(centre, LABEL), label, LABEL, label_w)
        if not total:
            svg.rect(x0, centre - bar_h / 2, x1 - x0, bar_h, fill=TRACK, stroke=GRID, stroke_width=0.8)
            svg.text((x0 + x1) / 2, _baseline(centre, SMALL), "无数据", size=SMALL, fill=MUTED, anchor="middle")
        else:
            done = 0
            for status, count in zip(TIMELINESS_STATUSES, counts):
                if not count:
                    continue
                left = x0 + (x1 - x0) * done / total
                done += count
                right = x0 + (x1 - x0) * done / total
                svg.swatch(
                    status,
                    left,
                    centre - bar_h / 2,
                    right - left,
                    bar_h,
                    cls="segment",
                    data_status=status,
                    data_count=count,
                )
                text = str(count)
                pill = _text_width(text, SMALL) + 8
                if right - left >= pill + 4:
                    mid = (left + right) / 2
                    svg.rect(mid - pill / 2, centre - 8, pill, 16, fill=WHITE, rx=3)
                    svg.text(
                        mid,
                        _baseline(centre, SMALL),
                        text,
                        size=SMALL,
                        anchor="middle",
                        font_weight="bold",
                        cls="segment-count",
                    )
        svg.text(x1 + 8, _baseline(centre, SMALL), f"共 {total}", size=SMALL, fill=MUTED)
        y += row_h

    if not counted:
        svg.text(WIDTH / 2, y + 16, "暂无报送数据", size=LABEL, fill=MUTED, anchor="middle")
        y += 30

    # legend and table of counts: one column per status
    y += 6
    col_w = (x1 - x0) / len(TIMELINESS_STATUSES)
    for n, status in enumerate(TIMELINESS_STATUSES):
        cx = x0 + n * col_w
        svg.swatch(status, cx, y, 14, 14, stroke=INK, stroke_width=0.5)
        svg.text(cx + 20, y + 12, status, size=SMALL, cls="legend")
    y += 14
    for label, counts in counted:
        y += 17
        svg.fitted_text(0, y, label, SMALL, label_w, fill=MUTED)
        for n, count in enumerate(counts):
            svg.text(x0 + n * col_w + 20, y, str(count), size=SMALL, cls="legend-count")
    return svg.render(y + 8, "材料报送及时性")


# --- milestone chart -------------------------------------------------------------------------------------------


def milestone_chart(rows: Sequence[MilestoneMark], year: int, first_year: int | None = None) -> Chart:
    """One row per milestone on a 1 January (of ``first_year``, default ``year``) – 31 December (of ``year``)
    axis: the due date a hollow ring, the completion date a dot coloured by status (joined by a line), the
    status written on the right. A date outside the axis sits at the edge with an arrow. Milestones fall due
    in a consortium's first year, so a later year's report spans back to it."""
    label_w, x0, x1, status_x = 148.0, 168.0, 588.0, 614.0
    row_h = 24.0
    first_year = min(first_year or year, year)
    start, end = date(first_year, 1, 1), date(year, 12, 31)
    days = (end - start).days + 1
    svg = _Svg()
    outside = False
    for row in rows:
        if row.status not in MILESTONE_STATUSES:
            raise ValueError(f"milestone_chart: unknown status {row.status!r}; the statuses are {MILESTONE_STATUSES}")

    def xpos(day: date) -> float:
        return x0 + (x1 - x0) * ((day - start).days + 0.5) / days

    top = 26.0
    bottom = top + row_h * max(len(rows), 1)
    years = year - first_year + 1
    for y in range(first_year, year + 1):
        for month in range(1, 13):
            left = x0 + (x1 - x0) * (date(y, month, 1) - start).days / days
            right = x0 + (x1 - x0) * ((date(y, month + 1, 1) if month < 12 else date(y + 1, 1, 1)) - start).days / days
            quarter = month in (1, 4, 7, 10)
            if years == 1:
                svg.text((left + right) / 2, 16, f"{month}月", size=SMALL, fill=MUTED, anchor="middle", cls="month")
            elif month == 1:
                svg.text(left + 3, 16, f"{y}年", size=SMALL, fill=MUTED, cls="month")
            elif quarter and years == 2:
                svg.text(left + 2, 16, f"{month}月", size=SMALL, fill=MUTED, cls="month")
            stroke = INK if month == 1 and years > 1 else AXIS if quarter else GRID
            if years > 2 and not quarter:
                continue
            svg.line(left, top - 4, left, bottom, stroke=stroke, stroke_width=0.8)
    svg.line(x1, top - 4, x1, bottom, stroke=AXIS, stroke_width=0.8)
    svg.text(status_x, 16, "状态", size=SMALL, fill=MUTED)
    if years == 1:
        svg.text(0, 16, f"{year}年", size=SMALL, fill=MUTED)

    if not rows:
        svg.text(
            (x0 + x1) / 2, _baseline(top + row_h / 2, SMALL), "暂无里程碑", size=SMALL, fill=MUTED, anchor="middle"
        )
    for n, row in enumerate(rows):
        centre = top + row_h * n + row_h / 2
        colour = _MILESTONE_STYLE[row.status]
        svg.line(x0, centre, x1, centre, stroke=TRACK, stroke_width=1.5)
        svg.fitted_text(0, _baseline(centre, LABEL), row.label, LABEL, label_w)
        svg.text(
            status_x, _baseline(centre, SMALL), row.status, size=SMALL, fill=colour, font_weight="bold", cls="status"
        )
        due, done = _as_date(row.due), _as_date(row.done)
        spots = {}
        for name, day in (("due", due), ("done", done)):
            if day is not None:
                clipped = min(max(day, start), end)
                spots[name] = (xpos(clipped), day < start, day > end)
        if "due" in spots and "done" in spots:
            svg.line(spots["due"][0], centre, spots["done"][0], centre, stroke=colour, stroke_width=2, cls="delay")
        for name, (x, before, after) in spots.items():
            if before or after:
                outside = True
                tip = x0 - 15 if before else x1 + 15
                base = x0 - 9 if before else x1 + 9
                svg.polygon([(base, centre - 4.5), (base, centre + 4.5), (tip, centre)], fill=INK, cls="overflow")
        if "due" in spots:
            svg.circle(spots["due"][0], centre, 6.5, fill=WHITE, stroke=INK, stroke_width=1.6, cls="due")
        if "done" in spots:
            svg.circle(spots["done"][0], centre, 4, fill=colour, stroke=INK, stroke_width=0.6, cls="done")
        if due is None and done is None:
            svg.text((x0 + x1) / 2, _baseline(centre, SMALL), "无日期", size=SMALL, fill=MUTED, anchor="middle")

    # legend
    y = bottom + 20
    svg.circle(7, y - 4, 6.5, fill=WHITE, stroke=INK, stroke_width=1.6)
    svg.text(18, y, "截止日期", size=SMALL)
    x = 84.0
    svg.text(x, y, "完成日期：", size=SMALL)
    x += _text_width("完成日期：", SMALL) + 4
    for status in (milestone_label("on_time"), milestone_label("late")):
        svg.circle(x + 4, y - 4, 4, fill=_MILESTONE_STYLE[status], stroke=INK, stroke_width=0.6)
        svg.text(x + 12, y, status, size=SMALL)
        x += 12 + _text_width(status, SMALL) + 16
    if outside:
        svg.polygon([(x, y - 8.5), (x, y + 0.5), (x + 6, y - 4)], fill=INK)
        svg.text(x + 10, y, "日期在图示年度之外", size=SMALL)
    return svg.render(y + 8, f"{first_year}–{year}年建设里程碑完成情况" if years > 1 else f"{year}年建设里程碑完成情况")


def _as_date(value: object) -> date | None:
    if value is None or value != value:  # None, NaT
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raise TypeError(f"milestone_chart: a date or None, not {value!r}")


# --- drawing ---------------------------------------------------------------------------------------------------

_XML_INVALID = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_SPACES = re.compile(r"\s+")


def _clean(text: object) -> str:
    """Text as SVG can hold it: characters XML forbids dropped, runs of white space one space."""
    return _SPACES.sub(" ", _XML_INVALID.sub("", str(text))).strip()


def _fmt(value: float) -> str:
    """A coordinate, at most two decimals, no trailing zeros (so output is stable across platforms)."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _attrs(attributes: Mapping[str, object]) -> tuple[tuple[str, str], ...]:
    """SVG attributes as (name, text) pairs: ``cls`` → ``class``, ``font_size`` → ``font-size``, None left out."""
    out = []
    for key, value in attributes.items():
        if value is None:
            continue
        name = "class" if key == "cls" else key.replace("_", "-")
        out.append((name, _fmt(value) if isinstance(value, float) else _clean(value)))
    return tuple(out)


def _text_width(text: str, size: float) -> float:
    """Roughly how wide ``text`` sets in Noto Sans CJK at ``size`` (a CJK character is 1 em, Latin ~0.55)."""
    width = 0.0
    for char in text:
        if unicodedata.east_asian_width(char) in "WFA":
            width += 1.0
        elif char == " ":
            width += 0.3
        elif char.isupper() or char in "%@mwMW":
            width += 0.72
        else:
            width += 0.56
    return width * size


def _fit(text: str, size: float, width: float) -> str:
    if _text_width(text, size) <= width:
        return text
    while text and _text_width(text + "…", size) > width:
        text = text[:-1]
    return text.rstrip() + "…"


def _baseline(centre: float, size: float) -> float:
    """The baseline that centres a line of CJK text of ``size`` on ``centre``."""
    return centre + size * 0.36


def _number(value: object) -> float | None:
    if value is None:
        return None
    number = float(value)
    return None if math.isnan(number) else number


def _runs(points: list[tuple[float, float | None]]) -> list[list[tuple[float, float]]]:
    """Consecutive points that have a value (a None breaks the line)."""
    runs, current = [], []
    for x, value in points:
        if value is None:
            if current:
                runs.append(current)
            current = []
        else:
            current.append((x, value))
    if current:
        runs.append(current)
    return runs


def _spread(items: list[tuple[float, float]], low: float, high: float, gap: float = 2.0) -> list[float]:
    """Centres for labels wanted at ``(centre, extent)`` so that neighbours do not overlap, within low–high."""
    order = sorted(range(len(items)), key=lambda n: (items[n][0], n))
    spots = [centre for centre, _ in items]
    edge = low
    for n in order:
        extent = items[n][1]
        spots[n] = max(spots[n], edge + extent / 2)
        edge = spots[n] + extent / 2 + gap
    edge = high
    for n in reversed(order):
        extent = items[n][1]
        spots[n] = min(spots[n], edge - extent / 2)
        edge = spots[n] - extent / 2 - gap
    return spots


def _hex(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def _mix(colour: str, other: str, amount: float) -> str:
    """``colour`` moved ``amount`` (0–1) of the way towards ``other``."""
    a, b = _hex(colour), _hex(other)
    return "#" + "".join(f"{round(x + (y - x) * amount):02x}" for x, y in zip(a, b))


def _ramp(anchors: Sequence[str], t: float) -> str:
    position = t * (len(anchors) - 1)
    n = min(int(position), len(anchors) - 2)
    return _mix(anchors[n], anchors[n + 1], position - n)


def _hatch(x: float, y: float, width: float, height: float, direction: str, spacing: float = 5.0) -> str:
    """Path data for 45° hatching clipped to a rectangle, on a grid fixed to the chart (so neighbours line up)."""
    parts = []
    if direction == "/":  # lines x + y = c
        c = math.ceil((x + y) / spacing) * spacing
        while c < x + width + y + height:
            xa, xb = max(x, c - y - height), min(x + width, c - y)
            if xb - xa > 0.01:
                parts.append(f"M{_fmt(xa)} {_fmt(c - xa)}L{_fmt(xb)} {_fmt(c - xb)}")
            c += spacing
    else:  # lines x − y = c
        c = math.ceil((x - y - height) / spacing) * spacing
        while c < x + width - y:
            xa, xb = max(x, c + y), min(x + width, c + y + height)
            if xb - xa > 0.01:
                parts.append(f"M{_fmt(xa)} {_fmt(xa - c)}L{_fmt(xb)} {_fmt(xb - c)}")
            c += spacing
    return "".join(parts)


@dataclass(frozen=True)
class Shape:
    """One SVG element: its tag (ours, never data), attributes, text and, for a group, its children."""

    tag: str
    attrs: tuple[tuple[str, str], ...] = ()
    text: str | None = None
    children: tuple[Shape, ...] = ()


@dataclass(frozen=True)
class Chart:
    """A chart ready to draw: ``report_templates/partials/chart.svg.j2`` turns it into one ``<svg>``."""

    label: str  # aria-label: what the chart shows
    width: int  # user units (viewBox)
    height: int
    width_mm: str  # printed size
    height_mm: str
    font_family: str
    font_size: str
    shapes: tuple[Shape, ...]


class _Svg:
    """Collects shapes; texts and attribute values are cleaned of what XML cannot hold on the way in."""

    def __init__(self) -> None:
        self.parts: list[Shape] = []

    def element(self, tag: str, text: str | None = None, **attributes: object) -> None:
        self.parts.append(Shape(tag, _attrs(attributes), None if text is None else _clean(text)))

    def rect(self, x: float, y: float, width: float, height: float, **attributes: object) -> None:
        self.element(
            "rect", x=float(x), y=float(y), width=float(max(width, 0.0)), height=float(max(height, 0.0)), **attributes
        )

    def line(self, x1: float, y1: float, x2: float, y2: float, **attributes: object) -> None:
        self.element("line", x1=float(x1), y1=float(y1), x2=float(x2), y2=float(y2), **attributes)

    def circle(self, cx: float, cy: float, r: float, **attributes: object) -> None:
        self.element("circle", cx=float(cx), cy=float(cy), r=float(r), **attributes)

    def polygon(self, points: Sequence[tuple[float, float]], **attributes: object) -> None:
        self.element("polygon", points=" ".join(f"{_fmt(x)},{_fmt(y)}" for x, y in points), **attributes)

    def polyline(self, points: Sequence[tuple[float, float]], **attributes: object) -> None:
        self.element("polyline", points=" ".join(f"{_fmt(x)},{_fmt(y)}" for x, y in points), **attributes)

    def diamond(self, cx: float, cy: float, r: float, **attributes: object) -> None:
        self.polygon([(cx, cy - r), (cx + r, cy), (cx, cy + r), (cx - r, cy)], **attributes)

    def square(self, cx: float, cy: float, r: float, **attributes: object) -> None:
        self.rect(cx - r, cy - r, 2 * r, 2 * r, **attributes)

    def text(
        self,
        x: float,
        y: float,
        text: str,
        *,
        size: float = SMALL,
        anchor: str | None = None,
        fill: str = INK,
        **attributes: object,
    ) -> None:
        self.element(
            "text",
            text,
            x=float(x),
            y=float(y),
            font_size=size,
            text_anchor=None if anchor in (None, "start") else anchor,
            fill=fill,
            **attributes,
        )

    def fitted_text(self, x: float, y: float, text: str, size: float, width: float, **attributes: object) -> None:
        """Text shortened with "…" to fit ``width``; when shortened, the whole text as a tooltip."""
        whole = _clean(text)
        shown = _fit(whole, size, width)
        if shown == whole:
            self.text(x, y, whole, size=size, **attributes)
        else:
            outer, self.parts = self.parts, []
            self.element("title", whole)
            self.text(x, y, shown, size=size, **attributes)
            outer.append(Shape("g", children=tuple(self.parts)))
            self.parts = outer

    def swatch(self, status: str, x: float, y: float, width: float, height: float, **attributes: object) -> None:
        """A rectangle in a timeliness status's colour, hatched for the statuses that are hatched."""
        fill, direction, ink = _TIMELINESS_STYLE[status]
        self.rect(x, y, width, height, fill=fill, **attributes)
        if direction and width > 0.5:
            self.element("path", d=_hatch(x, y, width, height, direction), stroke=ink, stroke_width=1.1, fill="none")

    def render(self, height: float, label: str) -> Chart:
        height = math.ceil(height)
        return Chart(
            label=_clean(label),
            width=WIDTH,
            height=height,
            width_mm=_fmt(float(PRINT_WIDTH_MM)),
            height_mm=_fmt(height * PRINT_WIDTH_MM / WIDTH),
            font_family=FONT_FAMILY,
            font_size=_fmt(float(SMALL)),
            shapes=tuple(self.parts),
        )
