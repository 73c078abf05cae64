"""The report charts, drawn through report_templates/partials/chart.svg.j2: well-formed SVG, geometry that matches the numbers, escaped text, and WeasyPrint
drawing them as vectors with a CJK font."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date, datetime
from fractions import Fraction

import pytest

from chanjiao.reporting.charts import (
    MILESTONE_STATUSES,
    TIMELINESS_STATUSES,
    Chart,
    IndicatorBar,
    MilestoneMark,
    TimelinessBar,
    TrendPoint,
    distribution_chart,
    grade_colour,
    grade_colours,
    indicator_chart,
    milestone_chart,
    timeliness_chart,
    trend_chart,
)
from chanjiao.reporting.pdf import render_html

SVG = "{http://www.w3.org/2000/svg}"
GRADES = [(85, "优秀"), (75, "良好"), (60, "合格"), (0, "不合格")]
HOSTILE = '<img src="file:///etc/passwd"> & ]]>'


def draw(chart: Chart) -> str:
    """The chart as the reports draw it: through report_templates/partials/chart.svg.j2."""
    assert isinstance(chart, Chart)
    return render_html("partials/chart.svg.j2", {"chart": chart})


def parse(chart: Chart) -> ET.Element:
    return ET.fromstring(draw(chart))


def elements(root: ET.Element, tag: str, cls: str | None = None) -> list[ET.Element]:
    found = root.iter(SVG + tag)
    return [e for e in found if cls is None or cls in (e.get("class") or "").split()]


def texts(root: ET.Element) -> list[str]:
    return [e.text or "" for e in root.iter() if e.tag in (SVG + "text", SVG + "title")]


def num(element: ET.Element, attribute: str) -> float:
    return float(element.get(attribute))


def sample_indicators() -> list[IndicatorBar]:
    return [
        IndicatorBar("I1", "基本情况", 8.5, 10, 7.0),
        IndicatorBar("I2", "人才培养", 5, 10, 6.5),
        IndicatorBar("I3", "服务产业", 10, 10, 4.0),
        IndicatorBar("I4", "企业情况", None, 20, 12.0),
        IndicatorBar("D1", "安全事故", 10, 0, 0, deduction=True),
    ]


def sample_trend() -> list[TrendPoint]:
    return [
        TrendPoint(2023, 58.5, "不合格", 66.0),
        TrendPoint(2024, 75.0, "良好", 70.0),
        TrendPoint(2025, None, None, 72.5),
        TrendPoint(2026, 90.0, "优秀", 74.0),
    ]


def sample_timeliness() -> list[TimelinessBar]:
    return [
        TimelinessBar("年度工作计划", {"按时": 45, "逾期": 8, "未报送": 1, "未经地市审核": 6}),
        TimelinessBar("年度工作总结", {"按时": 30, "逾期": 20, "未报送": 7, "未经地市审核": 3}),
    ]


def sample_milestones() -> list[MilestoneMark]:
    return [
        MilestoneMark("理事会成立", date(2025, 3, 31), date(2025, 3, 20), "按期完成"),
        MilestoneMark("实训基地建成", date(2025, 6, 30), date(2025, 8, 15), "逾期完成"),
        MilestoneMark("章程发布", date(2025, 9, 30), None, "未完成"),
        MilestoneMark("年度总结", date(2026, 1, 15), None, "未到期"),
    ]


def all_charts() -> dict[str, Chart]:
    return {
        "indicator": indicator_chart(sample_indicators()),
        "trend": trend_chart(sample_trend(), GRADES),
        "distribution": distribution_chart([100, 59.9, 82.5, 71, 88, 64.5, 77], GRADES, highlight=82.5),
        "timeliness": timeliness_chart(sample_timeliness()),
        "milestone": milestone_chart(sample_milestones(), year=2025),
    }


# --- every chart: one well-formed svg element ----------------------------------------------------------------


@pytest.mark.parametrize(
    "name, words",
    [
        ("indicator", ["本联合体得分", "全省中位数", "I1 基本情况", "8.5 / 10", "无数据", "扣分 -10.0（中位数 0.0）"]),
        ("trend", ["本联合体总分", "全省中位数", "2023年", "2026年", "未评分", "优秀 ≥85", "不合格 <60", "75.0 良好"]),
        ("distribution", ["联合体数", "总分", "本联合体 82.5", "优秀", "不合格"]),
        ("timeliness", ["年度工作计划", "年度工作总结", *TIMELINESS_STATUSES, "共 60"]),
        ("milestone", ["1月", "12月", "理事会成立", "按期完成", "逾期完成", "未完成", "未到期", "截止日期"]),
    ],
)
def test_each_chart_is_one_svg_document_with_its_chinese_labels(name, words):
    markup = all_charts()[name]
    root = parse(markup)
    assert root.tag == SVG + "svg"
    assert draw(markup).startswith("<svg ") and draw(markup).endswith("</svg>")
    assert root.get("width") == "170mm" and root.get("role") == "img" and root.get("aria-label")
    _, _, width, height = (float(v) for v in root.get("viewBox").split())
    assert width == 680 and float(root.get("height").removesuffix("mm")) == pytest.approx(height / 4, abs=0.01)
    assert root.get("font-family") == "Noto Sans CJK SC, sans-serif"
    shown = texts(root)
    for word in words:
        assert word in shown, (word, shown)
    # 8 pt at 170 mm for a 680-unit viewBox is 11.3 units: no text smaller
    sizes = [float(e.get("font-size", root.get("font-size"))) for e in elements(root, "text")]
    assert min(sizes) >= 11.3


def test_every_element_stays_inside_the_view_box():
    for name, markup in all_charts().items():
        root = parse(markup)
        _, _, width, height = (float(v) for v in root.get("viewBox").split())
        for e in root.iter():
            for attribute, limit in (
                ("x", width),
                ("x1", width),
                ("x2", width),
                ("cx", width),
                ("y", height),
                ("y1", height),
                ("y2", height),
                ("cy", height),
            ):
                if e.get(attribute) is not None:
                    assert -0.01 <= num(e, attribute) <= limit + 0.01, (name, e.tag, attribute, e.attrib)


# --- indicator chart ------------------------------------------------------------------------------------------


def test_indicator_bars_are_the_share_of_the_maximum_and_the_median_sits_on_the_same_scale():
    root = parse(indicator_chart(sample_indicators()))
    grid = {int(e.get("data-pct")): num(e, "x1") for e in elements(root, "line", "grid")}
    assert sorted(grid) == [0, 25, 50, 75, 100]
    zero, span = grid[0], grid[100] - grid[0]
    bars = {e.get("data-code"): e for e in elements(root, "rect", "bar")}
    assert set(bars) == {"I1", "I2", "I3"}  # no bar for "no data" nor for the deduction
    assert all(num(bar, "x") == zero for bar in bars.values())
    assert num(bars["I2"], "width") == pytest.approx(num(bars["I3"], "width") / 2)  # 5 of 10 vs 10 of 10
    assert num(bars["I3"], "width") == pytest.approx(span)
    assert num(bars["I1"], "width") == pytest.approx(0.85 * span)
    medians = {e.get("data-code"): num(e, "x1") for e in elements(root, "line", "median")}
    assert medians["I1"] == pytest.approx(zero + 0.7 * span)
    assert medians["I2"] == pytest.approx(zero + 0.65 * span)
    assert medians["I4"] == pytest.approx(zero + 0.6 * span)  # a median is shown even without this score
    assert "D1" not in medians
    # rows do not overlap: one bar per row, at least a font height apart
    ys = sorted(num(bar, "y") for bar in bars.values())
    assert all(b - a >= 20 for a, b in zip(ys, ys[1:]))


def test_indicator_deductions_and_missing_values_are_words():
    root = parse(
        indicator_chart(
            [
                IndicatorBar("D1", "违规", 2.5, 0, 1.25, deduction=True),
                IndicatorBar("D2", "造假", 0, 0, None, deduction=True),
                IndicatorBar("D3", "未知", None, 0, 0, deduction=True),
            ]
        )
    )
    assert [e.text for e in elements(root, "text", "deduction")] == [
        "扣分 -2.5（中位数 -1.3）",
        "扣分 0.0（中位数 无数据）",
        "扣分 无数据（中位数 0.0）",
    ]
    assert not elements(root, "rect", "bar")
    assert "暂无指标得分" in texts(parse(indicator_chart([])))


def test_indicator_score_over_the_weight_is_capped_at_the_axis():
    root = parse(indicator_chart([IndicatorBar("I1", "超出", 12, 10, 15)]))
    grid = {int(e.get("data-pct")): num(e, "x1") for e in elements(root, "line", "grid")}
    (bar,) = elements(root, "rect", "bar")
    assert num(bar, "width") == pytest.approx(grid[100] - grid[0])
    assert num(elements(root, "line", "median")[0], "x1") == pytest.approx(grid[100])
    assert "12.0 / 10" in texts(root)


# --- trend chart ----------------------------------------------------------------------------------------------


def test_trend_markers_sit_at_their_totals_and_a_missing_year_breaks_the_line():
    root = parse(trend_chart(sample_trend(), GRADES))
    grid = {int(e.get("data-value")): num(e, "y1") for e in elements(root, "line", "grid")}
    y0, y100 = grid[0], grid[100]
    markers = {int(e.get("data-year")): num(e, "cy") for e in elements(root, "circle", "total")}
    assert set(markers) == {2023, 2024, 2026}
    assert markers[2024] == pytest.approx(y0 + 0.75 * (y100 - y0))
    assert markers[2026] == pytest.approx(y0 + 0.90 * (y100 - y0))
    medians = {int(e.get("data-year")): num(e, "y") + num(e, "height") / 2 for e in elements(root, "rect", "median")}
    assert medians[2025] == pytest.approx(y0 + 0.725 * (y100 - y0))
    lines = elements(root, "polyline", "total-line")
    assert len(lines) == 1 and len(lines[0].get("points").split()) == 2  # 2023–2024; 2026 stands alone
    assert len(elements(root, "polyline", "median-line")) == 1  # the medians have no gap
    assert [e.text for e in elements(root, "text", "unscored")] == ["未评分"]
    # a grade band per grade, a dashed boundary at 85, 75 and 60
    assert len(elements(root, "rect", "band")) == 4
    assert sorted(num(e, "y1") for e in elements(root, "line", "boundary")) == pytest.approx(
        sorted(y0 + v / 100 * (y100 - y0) for v in (85, 75, 60))
    )


def test_trend_with_one_year_is_a_single_marker():
    root = parse(trend_chart([TrendPoint(2025, 82.5, "良好", 74.0)], GRADES))
    assert len(elements(root, "circle", "total")) == 1
    assert not elements(root, "polyline")
    assert "2025年" in texts(root) and "82.5 良好" in texts(root)


def test_trend_years_are_in_order_and_once():
    root = parse(trend_chart(list(reversed(sample_trend())), GRADES))
    years = [e.text for e in elements(root, "text", "year")]
    assert years == ["2023年", "2024年", "2025年", "2026年"]
    xs = [num(e, "x") for e in elements(root, "text", "year")]
    assert xs == sorted(xs) and len(set(xs)) == 4
    with pytest.raises(ValueError, match="twice"):
        trend_chart([TrendPoint(2025, 80, "良好", None), TrendPoint(2025, 81, "良好", None)], GRADES)


def test_grade_labels_never_overlap_even_for_close_boundaries():
    root = parse(trend_chart(sample_trend(), [(90, "优秀"), (88, "良好"), (86, "中等"), (60, "合格"), (0, "不合格")]))
    ys = sorted(num(e, "y") for e in elements(root, "text", "grade-label"))
    assert len(ys) == 5 and all(b - a >= 12 for a, b in zip(ys, ys[1:]))


# --- distribution chart ---------------------------------------------------------------------------------------


def bins_of(root: ET.Element) -> dict[int, float]:
    """Bin (0, 10, …, 90) → bar height, the bin found from the bar's position on the x axis."""
    ticks = {int(e.text): num(e, "x") for e in elements(root, "text", "xtick")}
    width = (ticks[100] - ticks[0]) / 10
    bars = {}
    for bar in elements(root, "rect", "bin"):
        centre = num(bar, "x") + num(bar, "width") / 2
        n = int((centre - ticks[0]) // width)
        assert ticks[0] + n * width < num(bar, "x") and num(bar, "x") + num(bar, "width") < ticks[0] + (n + 1) * width
        bars[n * 10] = num(bar, "height")
    return bars


def test_histogram_counts_totals_per_ten_point_bin():
    totals = [100, 59.9, 50, 0, 9.9, 95.5, 90, 90.1, 72, 59.96]  # 59.96 rounds (as for grades) to 60.0
    root = parse(distribution_chart(totals, GRADES))
    expected = {0: 2, 50: 2, 60: 1, 70: 1, 90: 4}
    heights = bins_of(root)
    assert set(heights) == set(expected)
    unit = heights[90] / 4
    assert {b: round(h / unit, 6) for b, h in heights.items()} == expected
    assert sorted(int(e.text) for e in elements(root, "text", "count")) == sorted(expected.values())
    # the y axis counts in whole numbers up to at least the tallest bar
    assert max(int(e.text) for e in elements(root, "text", "ytick")) >= 4


def test_histogram_boundaries_highlight_and_an_empty_province():
    root = parse(distribution_chart([82.5, 70, 71], GRADES, highlight=82.5))
    ticks = {int(e.text): num(e, "x") for e in elements(root, "text", "xtick")}
    scale = (ticks[100] - ticks[0]) / 100
    assert sorted(num(e, "x1") for e in elements(root, "line", "boundary")) == pytest.approx(
        [ticks[0] + v * scale for v in (60, 75, 85)]
    )
    (line,) = elements(root, "line", "highlight")
    assert num(line, "x1") == pytest.approx(ticks[0] + 82.5 * scale)
    assert [e.text for e in elements(root, "text", "highlight-label")] == ["本联合体 82.5"]
    assert [e.text for e in elements(root, "text", "grade-label")] == ["优秀", "良好", "合格", "不合格"]
    empty = parse(distribution_chart([], GRADES))
    assert "暂无评分" in texts(empty) and not elements(empty, "rect", "bin")
    assert "本联合体" not in " ".join(texts(parse(distribution_chart([70], GRADES))))


def test_histogram_of_sixty_consortia_in_one_bin_keeps_its_labels_apart():
    root = parse(distribution_chart([85.0] * 60, GRADES, highlight=85))
    assert [e.text for e in elements(root, "text", "count")] == ["60"]
    ticks = sorted(num(e, "y") for e in elements(root, "text", "ytick"))
    assert all(b - a >= 12 for a, b in zip(ticks, ticks[1:]))
    (bar,) = elements(root, "rect", "bin")
    (count,) = elements(root, "text", "count")
    labels = elements(root, "text", "grade-label")
    assert num(count, "y") < num(bar, "y") and all(num(label, "y") < num(count, "y") - 12 for label in labels)


# --- timeliness chart -----------------------------------------------------------------------------------------


def test_timeliness_segments_are_proportional_in_status_order():
    root = parse(timeliness_chart(sample_timeliness()))
    segments = elements(root, "rect", "segment")
    assert len(segments) == 8
    plan, summary = segments[:4], segments[4:]
    for row, counts in ((plan, [45, 8, 1, 6]), (summary, [30, 20, 7, 3])):
        assert [e.get("data-status") for e in row] == list(TIMELINESS_STATUSES[:4])  # an empty status draws nothing
        widths = [num(e, "width") for e in row]
        total = sum(widths)
        assert [w / total * 60 for w in widths] == pytest.approx(counts)
        assert all(num(b, "x") == pytest.approx(num(a, "x") + num(a, "width")) for a, b in zip(row, row[1:]))
    assert sum(num(e, "width") for e in plan) == pytest.approx(sum(num(e, "width") for e in summary))
    # a 1-in-60 segment is too narrow for its number, which is still in the legend's table
    in_bars = [e.text for e in elements(root, "text", "segment-count")]
    assert "1" not in in_bars and in_bars.count("45") == 1
    assert [e.text for e in elements(root, "text", "legend-count")] == [
        "45",
        "8",
        "1",
        "6",
        "0",
        "30",
        "20",
        "7",
        "3",
        "0",
    ]
    assert [e.text for e in elements(root, "text", "legend")] == list(TIMELINESS_STATUSES)


def test_timeliness_missing_statuses_count_zero_and_unknown_ones_are_refused():
    root = parse(timeliness_chart([TimelinessBar("年度工作计划", {"按时": 3}), TimelinessBar("年度工作总结", {})]))
    (segment,) = elements(root, "rect", "segment")
    assert segment.get("data-status") == "按时"
    assert "无数据" in texts(root)
    with pytest.raises(ValueError, match="已撤回"):
        timeliness_chart([TimelinessBar("年度工作计划", {"已撤回": 2})])


# --- milestone chart ------------------------------------------------------------------------------------------


def test_milestones_sit_on_the_days_of_the_year():
    root = parse(
        milestone_chart(
            sample_milestones() + [MilestoneMark("跨年", date(2024, 12, 1), datetime(2025, 7, 2, 9), "逾期完成")],
            year=2025,
        )
    )
    months = [num(e, "x") for e in elements(root, "text", "month")]
    assert [e.text for e in elements(root, "text", "month")] == [f"{m}月" for m in range(1, 13)]
    assert months == sorted(months)
    dues = [num(e, "cx") for e in elements(root, "circle", "due")]
    dones = [num(e, "cx") for e in elements(root, "circle", "done")]
    assert len(dues) == 5 and len(dones) == 3
    left, right = dues[4], dues[3]  # 2024-12-01 and 2026-01-15: at the two ends of the axis
    per_day = (right - left) / 364
    assert dues[0] == pytest.approx(left + 89 * per_day, abs=0.02)  # 31 March is day 90
    assert dones[0] < dues[0] < dues[1] < dones[1]  # early done before due; late done after
    assert dones[2] == pytest.approx(left + 182 * per_day, abs=0.02)  # 2 July, a datetime, is mid-year
    assert len(elements(root, "polygon", "overflow")) == 2
    assert [e.text for e in elements(root, "text", "status")] == [
        "按期完成",
        "逾期完成",
        "未完成",
        "未到期",
        "逾期完成",
    ]


def test_milestone_statuses_are_checked():
    for status in MILESTONE_STATUSES:
        parse(milestone_chart([MilestoneMark("x", date(2025, 5, 1), None, status)], year=2025))
    with pytest.raises(ValueError, match="完成了"):
        milestone_chart([MilestoneMark("x", date(2025, 5, 1), None, "完成了")], year=2025)
    assert "暂无里程碑" in texts(parse(milestone_chart([], year=2025)))


# --- text is text ---------------------------------------------------------------------------------------------


def test_hostile_text_is_escaped_everywhere():
    evil_grades = [(85, HOSTILE), (0, "不合格")]
    charts = [
        indicator_chart([IndicatorBar(HOSTILE, HOSTILE, 5, 10, 5), IndicatorBar("D1", HOSTILE, 1, 0, 0, True)]),
        trend_chart([TrendPoint(2025, 90, HOSTILE, 80)], evil_grades),
        distribution_chart([90, 50], evil_grades, highlight=90),
        timeliness_chart([TimelinessBar(HOSTILE, {"按时": 1})]),
        milestone_chart([MilestoneMark(HOSTILE, date(2025, 1, 1), None, "未完成")], year=2025),
        timeliness_chart([TimelinessBar("ok", {"按时": 1})]),
    ]
    for markup in charts[:5]:
        root = parse(markup)
        assert not [e for e in root.iter() if e.tag.rsplit("}", 1)[-1].lower() in ("img", "image", "script")]
        shown = " ".join(texts(root))
        assert HOSTILE in shown  # whole, in a text or (shortened on the page) in its title
        assert "<img" not in draw(markup) and "]]>" not in draw(markup)


def test_characters_xml_cannot_hold_are_dropped_not_fatal():
    root = parse(
        milestone_chart([MilestoneMark("理事会\x00成立\x1b\n章程", date(2025, 1, 1), None, "未完成")], year=2025)
    )
    assert "理事会成立 章程" in texts(root)


# --- grades ---------------------------------------------------------------------------------------------------


def rgb(colour: str) -> tuple[int, int, int]:
    assert len(colour) == 7 and colour.startswith("#")
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def greenish(colour: str) -> bool:
    r, g, b = rgb(colour)
    return g > r and g > b


def reddish(colour: str) -> bool:
    r, g, b = rgb(colour)
    return r > g and r > b


@pytest.mark.parametrize(
    "grades",
    [
        [(60, "合格"), (0, "不合格")],
        [(85, "优秀"), (75, "良好"), (60, "合格"), (0, "不合格")],
        [(90, "A"), (80, "B"), (70, "C"), (60, "D"), (0, "E")],
        [
            (Fraction(95), "1"),
            (Fraction(90), "2"),
            (Fraction(80), "3"),
            (Fraction(70), "4"),
            (Fraction(65), "5"),
            (Fraction(60), "6"),
            (Fraction(0), "7"),
        ],
    ],
)
def test_grade_colours_run_green_to_red_and_are_distinct(grades):
    colours = [grade_colour(name, grades) for _, name in grades]
    assert len(set(colours)) == len(grades)
    assert greenish(colours[0]) and reddish(colours[-1])
    assert grade_colours(grades) == dict(zip((name for _, name in grades), colours))


def test_four_grades_are_green_teal_amber_red():
    green, teal, amber, red = (rgb(grade_colour(name, GRADES)) for _, name in GRADES)
    assert green[1] > green[0] and green[1] > green[2]
    assert teal[2] > teal[0] and teal[1] > teal[0]  # blue-green
    assert amber[0] > amber[1] > amber[2]  # orange-yellow
    assert red[0] > 2 * red[1]
    # dark enough for the badge's white text (WCAG contrast ≥ 4.5)
    for colour in (green, teal, amber, red):
        channels = [c / 255 for c in colour]
        linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
        assert 1.05 / (luminance + 0.05) >= 4.5


def test_an_unknown_grade_is_neutral_not_an_error():
    neutral = grade_colour("甲等", GRADES)
    assert neutral == grade_colour(None, GRADES)
    assert neutral not in grade_colours(GRADES).values()


# --- determinism ----------------------------------------------------------------------------------------------


def test_same_input_same_bytes():
    first, second = all_charts(), all_charts()
    assert first == second
    reordered = timeliness_chart(
        [TimelinessBar("年度工作计划", {"未经地市审核": 6, "未报送": 1, "逾期": 8, "按时": 45}), sample_timeliness()[1]]
    )
    assert reordered == first["timeliness"]
    assert "id=" not in "".join(draw(c) for c in first.values())


# --- WeasyPrint -------------------------------------------------------------------------------------------------


def test_weasyprint_draws_the_charts_as_vectors_with_cjk_text(tmp_path):
    pdfplumber = pytest.importorskip("pdfplumber")
    weasyprint = pytest.importorskip("weasyprint")
    page = (
        "<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'><style>"
        "@page { size: A4; margin: 20mm } body { font-family: 'Noto Sans CJK SC'; font-size: 10pt }"
        "figure { margin: 0 0 4mm; break-inside: avoid } figure svg { display: block; width: 100%; height: auto }"
        "</style></head><body>"
        + "".join(f"<figure>{draw(chart)}</figure>" for chart in all_charts().values())
        + "</body></html>"
    )
    pdf = tmp_path / "charts.pdf"
    pdf.write_bytes(weasyprint.HTML(string=page).write_pdf())
    with pdfplumber.open(pdf) as document:
        text = "".join((p.extract_text() or "") for p in document.pages).replace(" ", "")
        fonts = {c["fontname"] for p in document.pages for c in p.chars}
        shapes = sum(len(p.rects) + len(p.curves) + len(p.lines) for p in document.pages)
        images = sum(len(p.images) for p in document.pages)
        width_pt = document.pages[0].width
    for word in (
        "全省中位数",
        "本联合体得分",
        "联合体数",
        "本联合体82.5",
        "未评分",
        "2026年",
        "年度工作总结",
        "未经地市审核",
        "理事会成立",
        "扣分-10.0（中位数0.0）",
        "8.5/10",
    ):
        assert word in text, word
    assert fonts and all("CJK" in font for font in fonts)
    assert shapes > 50 and images == 0
    assert width_pt == pytest.approx(595.28, abs=1)
