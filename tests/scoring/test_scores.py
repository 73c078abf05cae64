"""Scoring, method by method, against numbers worked out by hand (written out, never derived with the code
under test); then one small province scored end to end with hunan-2024, totals computed on paper."""

from __future__ import annotations

from datetime import date
from fractions import Fraction as F

import pandas as pd
import pytest
from builders import clean_summary, stored

from chanjiao.reference.frameworks import load_frameworks, parse_framework
from chanjiao.scoring.scores import (
    CELL_COLUMNS,
    EMPTY,
    NO_PLAN,
    NO_SUMMARY,
    OK,
    UNUSABLE,
    Cell,
    adjustment,
    carry_over_milestones,
    competition_ranks,
    indicator_scores,
    input_cells,
    milestone_score,
    peer_scores,
    plan_completion,
    score_points,
    score_year,
    shortlist,
    sum_value,
    text_length,
    totals,
)

BAD = object()  # a cell a fatal finding made unusable


def cells_frame(docs: dict[tuple[str, int, str], dict[str, object]]) -> pd.DataFrame:
    """(consortium, year, kind) → {field: value}; ``BAD`` marks an unusable value, None an empty one."""
    rows, version = [], 0
    for (cid, year, kind), values in docs.items():
        version += 1
        for code, value in values.items():
            state = UNUSABLE if value is BAD else (EMPTY if value is None else OK)
            rows.append(
                (
                    cid,
                    year,
                    kind,
                    version,
                    code,
                    value if state == OK else None,
                    state,
                    f"{code}.max" if state == UNUSABLE else "",
                    None,
                )
            )
    return pd.DataFrame(rows, columns=list(CELL_COLUMNS))


def ok(value) -> Cell:
    return Cell(OK, value)


@pytest.fixture(scope="module")
def hunan():
    return load_frameworks()["hunan-2024"]


def point_of(framework, code):
    return next(p for _, p in framework.points if p.code == code)


def score_one(framework, catalogue, code, cells, due=None, year=2025):
    """Score a single point of the framework for the consortia in ``cells`` (only that point)."""
    indicator = next(i for i, p in framework.points if p.code == code)
    point = point_of(framework, code)
    solo = type(framework)(
        **{
            **framework.__dict__,
            "indicators": (
                type(indicator)(
                    code=indicator.code, name_zh=indicator.name_zh, weight=indicator.weight, points=(point,)
                ),
            ),
        }
    )
    due = due or {}
    frame = score_points(solo, catalogue, cells, due, year)
    return {row.consortium_id: (row.score, row.no_data) for row in frame.itertuples()}


# --- peer --------------------------------------------------------------------------------------------------


def test_peer_ranks_count_lower_peers_and_half_the_other_equal_ones():
    scores = peer_scores({"a": F(10), "b": F(20), "c": F(20), "d": F(40), "none": None})
    assert {k: v[0] for k, v in scores.items()} == {"a": 0, "b": 50, "c": 50, "d": 100}  # n = 4: /3
    assert "none" not in scores and scores["b"][1] == {"n": 4, "below": 1, "equal": 1, "max": "40"}


def test_peer_with_fewer_than_three_values_scales_to_the_maximum():
    assert {k: v[0] for k, v in peer_scores({"a": F(5), "b": F(20)}).items()} == {"a": 25, "b": 100}
    assert peer_scores({"a": F(7)})["a"][0] == 100
    assert {k: v[0] for k, v in peer_scores({"a": F(0), "b": F(0)}).items()} == {"a": 0, "b": 0}
    assert peer_scores({"x": None}) == {}


def test_all_equal_peers_score_fifty():
    assert {v[0] for v in peer_scores({c: F(3) for c in "abcde"}).values()} == {50}


def test_a_peer_without_a_usable_value_scores_zero_marked_no_data_and_is_not_a_peer(hunan, catalogue):
    cells = {
        "a": {"funding_total_10k": ok(100)},
        "b": {"funding_total_10k": ok(300)},
        "c": {"funding_total_10k": Cell(UNUSABLE, None, "funding_total_10k.sum_eq")},
        "d": {},
    }
    # Two usable values (n < 3): 100 × value / max.
    assert score_one(hunan, catalogue, "1.4", cells) == {
        "a": (F(100, 3), False),
        "b": (100, False),
        "c": (0, True),
        "d": (0, True),
    }


# --- a+b, a;b, max ----------------------------------------------------------------------------------------


def test_a_sum_counts_empty_optional_parts_as_zero(catalogue):
    fields = ("through_secondary_higher", "through_secondary_higher_bachelor", "bachelor_admissions")
    assert sum_value({"through_secondary_higher": ok(10)}, fields, catalogue) == (10, "")
    assert sum_value({}, fields, catalogue)[0] is None  # all empty: no data
    assert (
        sum_value({"through_secondary_higher": ok(10), "bachelor_admissions": Cell(UNUSABLE)}, fields, catalogue)[0]
        is None
    )  # a fatal part


def test_a_sum_with_a_required_part_missing_is_unusable(catalogue):
    value, why = sum_value(
        {"co_majors": ok(2), "co_courses": ok(3)}, ("co_majors", "co_courses", "co_textbooks"), catalogue
    )
    assert value is None and "共建教材" in why


def test_parts_are_scored_one_by_one_then_averaged(hunan, catalogue):
    # 3.1 = mean(peer apprentices, peer co_majors+co_courses+co_textbooks); three consortia, n = 3: /2.
    cells = {
        cid: {"apprentices": ok(a), "co_majors": ok(m), "co_courses": ok(1), "co_textbooks": ok(1)}
        for cid, a, m in (("a", 10, 5), ("b", 20, 1), ("c", 30, 3))
    }
    # apprentices: a 0, b 50, c 100; sums 7, 3, 5: a 100, b 0, c 50.
    assert score_one(hunan, catalogue, "3.1", cells) == {"a": (50, False), "b": (25, False), "c": (75, False)}


def test_max_takes_the_better_part(hunan, catalogue):
    due = {(cid, code): date(2024, 8, 31) for cid in "ab" for code in ("ms_talent_plan", "ms_staff_training_plan")}
    cells = {
        "a": {"ms_talent_plan": ok(date(2025, 3, 1)), "ms_staff_training_plan": ok(date(2024, 8, 31))},
        "b": {"ms_talent_plan": ok(date(2025, 3, 1))},
    }
    assert score_one(hunan, catalogue, "3.5", cells, due) == {"a": (100, False), "b": (60, False)}


# --- milestones -------------------------------------------------------------------------------------------


def test_milestone_on_or_before_due_late_in_the_year_or_after_it():
    due = date(2024, 7, 31)
    assert milestone_score(date(2024, 7, 31), due, 2025) == 100
    assert milestone_score(date(2024, 8, 1), due, 2025) == 60
    assert milestone_score(date(2025, 12, 31), due, 2025) == 60
    assert milestone_score(date(2026, 1, 1), due, 2025) == 0
    assert milestone_score(None, due, 2025) == 0


def test_an_empty_milestone_date_carries_over_from_the_latest_earlier_summary(catalogue):
    frame = cells_frame(
        {
            ("a", 2024, "summary"): {"ms_council": date(2024, 7, 1), "ms_charter": date(2024, 7, 2)},
            ("a", 2023, "summary"): {"ms_council": date(2023, 1, 1), "ms_operating_rules": date(2023, 5, 5)},
            ("a", 2025, "summary"): {
                "ms_council": None,
                "ms_charter": BAD,
                "ms_operating_rules": None,
                "ms_talent_plan": None,
            },
        }
    )
    current = carry_over_milestones(frame, catalogue, 2025).set_index("field")
    assert current.loc["ms_council", "value"] == date(2024, 7, 1) and current.loc["ms_council", "carried_from"] == 2024
    assert current.loc["ms_operating_rules", "value"] == date(2023, 5, 5)
    assert current.loc["ms_charter", "state"] == UNUSABLE  # a wrong date is not replaced by an old one
    assert current.loc["ms_talent_plan", "state"] == EMPTY  # nothing to carry


def test_carry_over_takes_the_latest_earlier_summary_that_gave_the_date_even_a_wrong_one(catalogue):
    frame = cells_frame(
        {
            ("a", 2023, "summary"): {"ms_council": date(2023, 1, 1)},
            ("a", 2024, "summary"): {"ms_council": BAD},
            ("a", 2025, "summary"): {"ms_council": None},
        }
    )
    current = carry_over_milestones(frame, catalogue, 2025).set_index("field")
    assert current.loc["ms_council", "state"] == EMPTY  # 2024's unusable date: nothing carries


def test_milestone_plus_presence_is_the_mean_of_both(hunan, catalogue):
    due = {(cid, "ms_talent_platform"): date(2024, 12, 31) for cid in "abc"}
    cells = {
        "a": {"ms_talent_platform": ok(date(2025, 6, 1)), "talent_demand_reports": ok(0)},
        "b": {"talent_demand_reports": ok(2)},
        "c": {},
    }
    assert score_one(hunan, catalogue, "4.1", cells, due) == {"a": (30, False), "b": (50, False), "c": (0, True)}


# --- thresholds, presence, member types, text, cases, lists, deductions ----------------------------------


def test_threshold_is_capped_at_the_target(hunan, catalogue):
    cells = {
        "a": {"secretariat_staff_fulltime": ok(1)},
        "b": {"secretariat_staff_fulltime": ok(5)},
        "c": {"secretariat_staff_fulltime": ok(0)},
    }
    assert score_one(hunan, catalogue, "2.4", cells) == {"a": (50, False), "b": (100, False), "c": (0, False)}


def test_threshold_ratio_and_its_unusable_denominators(hunan, catalogue):
    cells = {
        "a": {"internship_posts": ok(5), "ent_tech_posts": ok(100)},  # 5 % of a 10 % target
        "b": {"internship_posts": ok(30), "ent_tech_posts": ok(100)},
        "c": {"internship_posts": ok(5), "ent_tech_posts": ok(0)},  # denominator 0
        "d": {"internship_posts": ok(5), "ent_tech_posts": Cell(UNUSABLE)},
    }
    assert score_one(hunan, catalogue, "4.4a", cells) == {
        "a": (50, False),
        "b": (100, False),
        "c": (0, True),
        "d": (0, True),
    }


def test_presence_and_member_types(hunan, catalogue):
    assert score_one(
        hunan,
        catalogue,
        "5.1",
        {"a": {"tech_service_platforms": ok(2)}, "b": {"tech_service_platforms": ok(0)}, "c": {}},
    ) == {"a": (100, False), "b": (0, False), "c": (0, True)}
    members = {
        "members_secondary_vocational": ok(2),
        "members_higher_vocational": ok(1),
        "members_undergraduate": ok(0),
        "members_government": ok(1),
        "members_enterprise": ok(9),
    }
    assert score_one(hunan, catalogue, "1.1", {"a": members}) == {"a": (F(200, 3), False)}  # 4 of 6


def test_text_counts_nfc_characters_after_trimming(hunan, catalogue):
    assert text_length("  e\u0301  ") == 1  # e + combining accent is one character in NFC
    texts = {"a": "创" * 300, "b": " " + "创" * 299 + " ", "c": "  \u3000 ", "d": None}
    cells = {cid: ({"innovation_text": ok(text)} if text else {}) for cid, text in texts.items()}
    assert score_one(hunan, catalogue, "6.1", cells) == {
        "a": (100, False),
        "b": (50, False),
        "c": (0, False),
        "d": (0, True),
    }


def test_case_count_scores_non_empty_titles(hunan, catalogue):
    cells = {
        "a": {"case_1_title": ok("案例一"), "case_2_title": ok("案例二")},
        "b": {"case_1_title": ok("案例一"), "case_2_title": ok("   "), "case_3_title": Cell(UNUSABLE)},
        "c": {"case_1_title": ok("一"), "case_2_title": ok("二"), "case_3_title": ok("三")},
    }
    assert score_one(hunan, catalogue, "6.2", cells) == {"a": (80, False), "b": (60, False), "c": (100, False)}


def test_list_share_counts_the_listed_items_published(catalogue):
    moe = load_frameworks()["moe-2024"]
    cells = {"a": {"lists_published": ok(("core_products", "talent_needs", "key_majors"))}, "b": {}}
    assert score_one(moe, catalogue, "M1.2", cells) == {"a": (F(200, 3), False), "b": (0, True)}
    assert score_one(moe, catalogue, "M5.2", cells) == {"a": (F(100, 3), False), "b": (0, True)}


def test_deductions_are_ten_points_per_event_at_most_thirty(hunan, catalogue):
    cells = {
        "a": {"violations_count": ok(0)},
        "b": {"violations_count": ok(2)},
        "c": {"violations_count": ok(5)},
        "d": {},
    }
    assert score_one(hunan, catalogue, "7", cells) == {
        "a": (0, False),
        "b": (20, False),
        "c": (30, False),
        "d": (0, True),
    }


# --- totals, grades, ranks ---------------------------------------------------------------------------------


def _indicators(rows):
    return pd.DataFrame(rows, columns=["consortium_id", "indicator", "weight", "score", "no_data"])


def test_totals_weight_deduct_clamp_and_round_half_up_before_grading(hunan):
    def consortium(cid, scores, off):
        weights = dict(I1=10, I2=15, I3=20, I4=20, I5=20, I6=15, I7=0)
        return [(cid, code, F(weights[code]), F(score), False) for code, score in zip(weights, [*scores, off])]

    rows = (
        consortium("a", [85, 85, 85, 85, 85, 85], 0)  # 85.0 → 优秀
        + consortium("b", [F(8495, 100)] * 6, 0)  # exactly 84.95 rounds half up to 85.0 → 优秀
        + consortium("c", [F(8485, 100)] * 6, 0)  # 84.85 → 84.9 half up (half-even: 84.8)
        + consortium("d", [40] * 6, 30)  # 40 − 30 = 10
        + consortium("e", [20] * 6, 30)
    )  # 20 − 30 → clamped to 0
    table = totals(hunan, _indicators(rows), ["f"]).set_index("consortium_id")
    assert [str(t) for t in table["total"]] == ["85.0", "85.0", "84.9", "10.0", "0.0", "0.0"]
    assert list(table["grade"]) == ["优秀", "优秀", "良好", "不合格", "不合格", "不合格"]
    assert list(table["rank"]) == [1, 1, 3, 4, 5, 5]
    assert table.loc["f", "note"] == NO_SUMMARY and table.loc["e", "note"] == ""


def test_grade_boundaries(hunan):
    assert [hunan.grade(F(x)) for x in ("85", "84.9", "75", "74.9", "60", "59.9", "0")] == [
        "优秀",
        "良好",
        "良好",
        "合格",
        "合格",
        "不合格",
        "不合格",
    ]


def test_competition_ranks():
    assert list(competition_ranks(pd.Series([90, 80, 80, 70, 90]))) == [1, 3, 3, 5, 1]


def test_indicator_score_is_the_mean_of_its_points_and_deductions_add_up(hunan):
    points = pd.DataFrame(
        [
            ("a", "I2", "2.1", "milestone", F(100), False, "", ""),
            ("a", "I2", "2.3", "milestone", F(50), False, "", ""),
            ("a", "I2", "2.4", "threshold", F(0), True, "", ""),
            ("a", "I7", "7", "deduction", F(20), False, "", ""),
        ],
        columns=["consortium_id", "indicator", "point", "method", "score", "no_data", "basis", "detail"],
    )
    frame = indicator_scores(hunan, points).set_index("indicator")
    assert frame.loc["I2", "score"] == 50 and not frame.loc["I2", "no_data"]
    assert frame.loc["I7", "score"] == 20


# --- plan completion, adjustment, shortlist ---------------------------------------------------------------


def _plan_docs(targets: dict, actuals: dict, year=2025, cid="a"):
    return cells_frame({(cid, year, "plan"): targets}), cells_frame({(cid, year, "summary"): actuals})


def test_a_plan_is_completed_at_eighty_percent_of_targets(hunan, catalogue):
    targets = {"apprentices": 10, "co_majors": 5, "co_courses": 5, "patents": 2, "funding_total_10k": 100}
    four = {"apprentices": 10, "co_majors": 6, "co_courses": 5, "patents": 3, "funding_total_10k": 99}
    three = {**four, "patents": 1}
    plan, summary = _plan_docs(targets, four)
    row = plan_completion(hunan, catalogue, plan, summary, ["a"], 2025).iloc[0]
    assert (row.completed, row.targets, row.targets_met, row.unmet) == (True, 5, 4, ("funding_total_10k",))
    plan, summary = _plan_docs(targets, three)
    row = plan_completion(hunan, catalogue, plan, summary, ["a"], 2025).iloc[0]
    assert (row.completed, row.targets_met) == (False, 3)


def test_unusable_targets_leave_the_count_and_unusable_actuals_miss(hunan, catalogue):
    plan, summary = _plan_docs(
        {"apprentices": 10, "patents": BAD, "co_majors": 4}, {"apprentices": 12, "patents": 9, "co_majors": BAD}
    )
    row = plan_completion(hunan, catalogue, plan, summary, ["a"], 2025).iloc[0]
    assert (row.targets, row.targets_met, row.completed) == (2, 1, False)  # 1 of 2 = 50 %


def test_every_milestone_planned_for_the_year_must_be_achieved_by_its_end(hunan, catalogue):
    targets = {"apprentices": 10, "ms_council": date(2025, 6, 30), "ms_charter": date(2026, 3, 1)}
    plan, summary = _plan_docs(targets, {"apprentices": 10, "ms_council": date(2025, 12, 31)})
    row = plan_completion(hunan, catalogue, plan, summary, ["a"], 2025).iloc[0]
    assert (row.milestones_planned, row.milestones_achieved, row.completed) == (1, 1, True)  # 2026 not planned
    plan, summary = _plan_docs(targets, {"apprentices": 10, "ms_council": date(2026, 1, 2)})
    row = plan_completion(hunan, catalogue, plan, summary, ["a"], 2025).iloc[0]
    assert (row.milestones_achieved, row.pending, row.completed) == (0, ("ms_council",), False)


def test_no_plan_no_summary_or_no_targets_is_not_completed(hunan, catalogue):
    plan, summary = _plan_docs({"plan_text": "计划"}, {"apprentices": 10})
    rows = plan_completion(hunan, catalogue, plan, summary, ["a", "b"], 2025).set_index("consortium_id")
    assert not rows.loc["a", "completed"] and rows.loc["a", "targets"] == 0
    assert rows.loc["b", "reason"] == NO_PLAN
    rows = plan_completion(hunan, catalogue, plan, summary.iloc[0:0], ["a"], 2025)
    assert rows.iloc[0]["reason"] == NO_SUMMARY and not rows.iloc[0]["completed"]


def test_adjustment_needs_two_incomplete_years_after_recognition():
    registry = pd.DataFrame({"recognized_year": [2024, 2024, 2025]}, index=["two", "one", "new"])
    now = pd.DataFrame({"consortium_id": ["two", "one", "new"], "completed": [False, False, False]})
    before = pd.DataFrame({"consortium_id": ["two", "one", "new"], "completed": [False, True, False]})
    assert adjustment(registry, now, before, 2025).to_dict() == {"two": True, "one": False, "new": False}


def test_shortlist_takes_the_eligible_top_three_with_ties_at_third(hunan):
    registry = pd.DataFrame({"level": ["provincial"] * 7 + ["national"]}, index=list("abcdefgh"))
    scored = pd.DataFrame(
        {
            "consortium_id": list("abcdefgh"),
            "total": [95, 92, 90, 90, 89, 96, 97, 99],
            "grade": ["优秀"] * 8,
            "plan_completed": [True, True, True, True, True, False, True, True],
        }
    )
    timeliness = pd.DataFrame(
        {
            "consortium_id": list("abcdefgh"),
            "status": ["on_time"] * 6 + ["late", "on_time"],
            "city_approved": [True] * 8,
        }
    )
    violations = {cid: ok(0) for cid in "abcdefgh"}
    frame = shortlist(hunan, registry, scored, timeliness, violations).set_index("consortium_id")
    # f: plan not completed, g: late, h: national — not eligible however high; then a, b and c/d tied third.
    assert list(frame.index[frame["shortlisted"]]) == ["a", "b", "c", "d"]
    assert frame.loc["f", "ineligible_because"] == "年度计划未完成"
    assert frame.loc["g", "ineligible_because"] == "年度工作总结未按时报送"
    assert frame.loc["h", "ineligible_because"] == "非省级联合体"


def test_a_violation_a_missing_approval_or_a_lower_grade_blocks_the_shortlist(hunan):
    registry = pd.DataFrame({"level": ["provincial"] * 4}, index=list("abcd"))
    scored = pd.DataFrame(
        {
            "consortium_id": list("abcd"),
            "total": [90, 90, 90, 80],
            "grade": ["优秀", "优秀", "优秀", "良好"],
            "plan_completed": [True] * 4,
        }
    )
    timeliness = pd.DataFrame(
        {"consortium_id": list("abcd"), "status": ["on_time"] * 4, "city_approved": [True, False, True, True]}
    )
    frame = shortlist(
        hunan, registry, scored, timeliness, {"a": ok(1), "b": ok(0), "c": Cell(UNUSABLE), "d": ok(0)}
    ).set_index("consortium_id")
    assert not frame["shortlisted"].any()
    assert "一票否决" in frame.loc["a", "ineligible_because"]
    assert frame.loc["b", "ineligible_because"] == "年度工作总结未经地市审核同意"
    assert frame.loc["c", "ineligible_because"] == "违法违规事件数无有效值"
    assert frame.loc["d", "ineligible_because"] == "等级非优秀"


# --- inputs from stored values and findings ---------------------------------------------------------------


def test_input_cells_withhold_what_a_fatal_finding_involves(catalogue):
    values = clean_summary(employment_rate_pct="120")
    versions = pd.DataFrame([{"version_id": 7, "consortium_id": "SX-2024-01", "year": 2025, "kind": "summary"}])
    findings = pd.DataFrame(
        [
            {
                "version_id": 7,
                "field": "employment_rate_pct",
                "rule": "max",
                "severity": "fatal",
                "involves": "employment_rate_pct",
                "rule_id": "employment_rate_pct.max",
            }
        ]
    )
    frame = input_cells(catalogue, versions, {7: stored(values)}, findings).set_index("field")
    assert frame.loc["employment_rate_pct", "state"] == UNUSABLE
    assert frame.loc["employment_rate_pct", "withheld_by"] == "employment_rate_pct.max"
    assert (frame.loc["apprentices", "state"], frame.loc["apprentices", "value"]) == (OK, 100)  # clean_summary
    assert frame.loc["patents", "state"] == OK
    assert "contact_name" not in frame.index  # personal meta fields never reach scoring


def test_input_cells_a_missing_required_value_is_unusable_an_absent_optional_one_empty(catalogue):
    values = clean_summary(co_textbooks=None, social_training_person_days=None)
    versions = pd.DataFrame([{"version_id": 8, "consortium_id": "SX-2024-01", "year": 2025, "kind": "summary"}])
    findings = pd.DataFrame(
        [
            {
                "version_id": 8,
                "field": "co_textbooks",
                "rule": "required",
                "severity": "fatal",
                "involves": "co_textbooks",
                "rule_id": "co_textbooks.required",
            }
        ]
    )
    frame = input_cells(catalogue, versions, {8: stored(values)}, findings).set_index("field")
    assert frame.loc["co_textbooks", "state"] == UNUSABLE
    assert frame.loc["social_training_person_days", "state"] == EMPTY


# --- a small province, by hand -----------------------------------------------------------------------------

SHANXI_DUE = pd.DataFrame(
    [
        ("ms_council", "14", 2024, date(2024, 7, 31)),
        ("ms_charter", "14", 2024, date(2024, 7, 31)),
        ("ms_operating_rules", "14", 2024, date(2024, 7, 31)),
        ("ms_talent_plan", "14", 2024, date(2024, 8, 31)),
        ("ms_staff_training_plan", "14", 2024, date(2024, 8, 31)),
        ("ms_talent_platform", "14", 2024, date(2024, 12, 31)),
    ],
    columns=["milestone_code", "province_code", "recognized_year", "due_date"],
)

MEMBERS = (
    "members_secondary_vocational",
    "members_higher_vocational",
    "members_undergraduate",
    "members_government",
    "members_enterprise",
    "members_research",
)


def _summary(members: int, **values):
    """A 2025 summary: ``members`` of the six member types present, then the given values."""
    return {**{code: (1 if n < members else 0) for n, code in enumerate(MEMBERS)}, **values}


SMALL_PROVINCE = {
    # A: funding lowest, sums lowest, everything on time; 4.5 tied with C; rd_conversion one of only two values.
    ("A", 2025, "summary"): _summary(
        6,
        funding_total_10k=100,
        ms_council=date(2024, 7, 1),
        ms_charter=date(2024, 7, 1),
        ms_operating_rules=date(2024, 7, 1),
        secretariat_staff_fulltime=1,
        apprentices=10,
        co_majors=1,
        co_courses=1,
        co_textbooks=1,
        co_training_bases=1,
        co_industry_colleges=1,
        ent_teachers_hours=100,
        ms_talent_plan=date(2024, 8, 1),
        ms_talent_platform=date(2024, 12, 31),
        talent_demand_reports=1,
        internship_posts=5,
        ent_tech_posts=100,
        internship_person_months=10,
        through_secondary_higher=10,
        employment_rate_pct=90,
        tech_service_platforms=1,
        rd_conversion_rate_pct=30,
        patents=1,
        staff_training_person_days=400,
        innovation_text="创" * 300,
        case_1_title="一",
        case_2_title="二",
        case_3_title="三",
        violations_count=0,
    ),
    # B: five member types, a late council, a charter on time and its rules date carried over from 2024.
    ("B", 2024, "summary"): {"ms_operating_rules": date(2024, 7, 15)},
    ("B", 2025, "summary"): _summary(
        5,
        funding_total_10k=200,
        ms_council=date(2024, 9, 1),
        ms_charter=date(2024, 7, 1),
        ms_operating_rules=None,
        secretariat_staff_fulltime=2,
        apprentices=20,
        co_majors=2,
        co_courses=2,
        co_textbooks=2,
        co_training_bases=2,
        co_industry_colleges=1,
        ent_teachers_hours=100,
        ms_talent_platform=date(2025, 6, 1),
        talent_demand_reports=0,
        internship_posts=20,
        ent_tech_posts=100,
        internship_person_months=20,
        employment_rate_pct=95,
        tech_service_platforms=0,
        patents=2,
        staff_training_person_days=300,
        innovation_text="创" * 299,
        case_1_title="一",
        violations_count=0,
    ),
    # C: a charter after the year, an unusable textbook count (its sum drops out of the peers), one violation.
    ("C", 2025, "summary"): _summary(
        6,
        funding_total_10k=200,
        ms_council=date(2024, 7, 1),
        ms_charter=date(2026, 1, 5),
        ms_operating_rules=date(2024, 7, 1),
        secretariat_staff_fulltime=3,
        apprentices=30,
        co_majors=3,
        co_courses=3,
        co_textbooks=BAD,
        co_training_bases=2,
        co_industry_colleges=1,
        ent_teachers_hours=100,
        ms_talent_plan=date(2025, 3, 1),
        ms_staff_training_plan=date(2024, 8, 31),
        ms_talent_platform=date(2024, 10, 1),
        talent_demand_reports=2,
        internship_posts=5,
        ent_tech_posts=0,
        internship_person_months=30,
        through_secondary_higher=5,
        through_secondary_higher_bachelor=5,
        bachelor_admissions=0,
        employment_rate_pct=95,
        tech_service_platforms=2,
        patents=3,
        staff_training_person_days=200,
        innovation_text="创" * 400,
        case_1_title="一",
        case_2_title="二",
        violations_count=1,
    ),
    # D: no secretariat staff, no platform date, the only social-training value is 0, four violations (capped).
    ("D", 2025, "summary"): _summary(
        6,
        funding_total_10k=400,
        ms_council=date(2024, 7, 1),
        ms_charter=date(2024, 7, 1),
        ms_operating_rules=date(2024, 7, 1),
        secretariat_staff_fulltime=0,
        apprentices=40,
        co_majors=4,
        co_courses=4,
        co_textbooks=4,
        co_training_bases=5,
        co_industry_colleges=0,
        ent_teachers_hours=100,
        ms_talent_plan=date(2025, 5, 1),
        talent_demand_reports=3,
        internship_person_months=40,
        through_secondary_higher=30,
        employment_rate_pct=98,
        tech_service_platforms=1,
        rd_conversion_rate_pct=60,
        patents=4,
        staff_training_person_days=100,
        social_training_person_days=0,
        innovation_text="创" * 10,
        case_1_title="一",
        case_2_title="二",
        case_3_title="三",
        violations_count=4,
    ),
    # E filed nothing for 2025.
}

# Worked out on paper (indicator scores, then Σ weight·indicator / 100 − deductions):
#        I1       I2       I3       I4       I5       I6    I7 | weighted   total
#   A    50       250/3    37.5     35       56.25    100   0  | 58.25      58.3 (half up)
#   B    200/3    260/3    425/12   128/3    250/12   55    0  | 47.70      47.7
#   C    75       250/3    175/3    145/3    125/3    90    10 | 63.1667    53.2
#   D    100      200/3    77.5     70       50       75    30 | 70.75      40.8 (half up)
#   E    no summary                                           | 0          0.0
HAND_INDICATORS = {
    "A": [50, F(250, 3), F(75, 2), 35, F(225, 4), 100, 0],
    "B": [F(200, 3), F(260, 3), F(425, 12), F(128, 3), F(250, 12), 55, 0],
    "C": [75, F(250, 3), F(175, 3), F(145, 3), F(125, 3), 90, 10],
    "D": [100, F(200, 3), F(155, 2), 70, 50, 75, 30],
}
HAND_TOTALS = {"A": ("58.3", 1), "B": ("47.7", 3), "C": ("53.2", 2), "D": ("40.8", 4), "E": ("0.0", 5)}


@pytest.fixture(scope="module")
def small_province(hunan, catalogue):
    registry = pd.DataFrame(
        {
            "name": [f"联合体{c}" for c in "ABCDE"],
            "province_code": "14",
            "recognized_year": 2024,
            "level": "provincial",
        },
        index=list("ABCDE"),
    )
    timeliness = pd.DataFrame(
        {"consortium_id": list("ABCDE"), "status": ["on_time"] * 4 + ["missing"], "city_approved": [True] * 4 + [False]}
    )
    return score_year(hunan, catalogue, registry, SHANXI_DUE, cells_frame(SMALL_PROVINCE), timeliness, 2025, "14")


def test_small_province_indicator_scores_match_the_hand_computation(small_province):
    table = small_province.indicators.pivot(index="consortium_id", columns="indicator", values="score")
    for cid, expected in HAND_INDICATORS.items():
        assert list(table.loc[cid]) == [F(x) for x in expected], cid


def test_small_province_totals_grades_and_ranks_match_the_hand_computation(small_province):
    frame = small_province.consortia.set_index("consortium_id")
    assert {cid: (str(frame.loc[cid, "total"]), int(frame.loc[cid, "rank"])) for cid in "ABCDE"} == HAND_TOTALS
    assert set(frame["grade"]) == {"不合格"}
    assert frame.loc["E", "note"] == NO_SUMMARY
    # No plans at all: nothing completed, and a 2024 consortium without two completed years is marked.
    assert not frame["plan_completed"].any() and frame["adjustment"].all() and not frame["shortlisted"].any()


def test_small_province_points_say_how_they_were_made(small_province):
    points = small_province.points.set_index(["consortium_id", "point"])
    assert points.loc[("B", "2.3"), "basis"].count("沿用 2024 年总结") == 1
    assert (
        points.loc[("C", "3.1"), "score"] == F(100, 3)
        and "数据不可用（co_textbooks.max）" in points.loc[("C", "3.1"), "basis"]
    )
    assert points.loc[("D", "5.4"), "score"] == 0 and not points.loc[("D", "5.4"), "no_data"]
    assert points.loc[("A", "5.4"), "no_data"] and points.loc[("E", "1.1"), "no_data"]
    assert points.loc[("D", "7"), "score"] == 30


def test_a_framework_file_change_is_a_data_change(catalogue, hunan):
    """I1's weight raised from 10 to 30 (nothing else): indicator scores stay, totals follow the weights.
    A by hand: (30·50 + 15·250/3 + 20·37.5 + 20·35 + 20·56.25 + 15·100) / 120 = 6825 / 120 = 56.875 → 56.9."""
    text = open(hunan.file, encoding="utf-8").read().replace("weight: 10", "weight: 30", 1)
    heavier = parse_framework(text, catalogue, "heavier.yaml")
    registry = pd.DataFrame(
        {
            "name": [f"联合体{c}" for c in "ABCDE"],
            "province_code": "14",
            "recognized_year": 2024,
            "level": "provincial",
        },
        index=list("ABCDE"),
    )
    timeliness = pd.DataFrame({"consortium_id": list("ABCDE"), "status": "on_time", "city_approved": True})
    scored = score_year(heavier, catalogue, registry, SHANXI_DUE, cells_frame(SMALL_PROVINCE), timeliness, 2025, "14")
    frame = scored.consortia.set_index("consortium_id")
    assert frame.loc["A", "exact_total"] == F(6825, 120) and str(frame.loc["A", "total"]) == "56.9"
    assert heavier.digest != hunan.digest


def test_a_province_where_nobody_has_filed_yet_still_lists_everyone(hunan, catalogue):
    registry = pd.DataFrame(
        {"name": ["甲", "乙"], "province_code": "14", "recognized_year": 2025, "level": "provincial"}, index=["a", "b"]
    )
    timeliness = pd.DataFrame(columns=["consortium_id", "status", "city_approved"])
    scored = score_year(hunan, catalogue, registry, SHANXI_DUE, cells_frame({}), timeliness, 2025, "14")
    frame = scored.consortia.set_index("consortium_id")
    assert list(frame["total"].astype(str)) == ["0.0", "0.0"] and list(frame["rank"]) == [1, 1]
    assert set(frame["note"]) == {NO_SUMMARY} and not frame["adjustment"].any()  # recognised this year
    assert len(scored.points) == 2 * len(hunan.points) and scored.points["no_data"].all()


def test_milestone_due_dates_come_from_the_batch_table_else_the_first_reporting_year():
    from chanjiao.scoring.scores import milestone_due_dates

    table = pd.concat(
        [SHANXI_DUE, pd.DataFrame([("ms_tech_service_platform", "14", 2024, None)], columns=SHANXI_DUE.columns)]
    )
    registry = pd.DataFrame(
        {"province_code": ["14", "14", "43"], "recognized_year": [2024, 2025, 2024]}, index=["sx24", "sx25", "hn24"]
    )
    due = milestone_due_dates(table, registry, {"ms_council", "ms_tech_service_platform"})
    assert due[("sx24", "ms_council")] == date(2024, 7, 31)  # Shanxi's first batch
    assert due[("sx25", "ms_council")] == date(2025, 12, 31)  # a later batch: its first year
    assert due[("hn24", "ms_council")] == date(2024, 12, 31)  # another province
    assert due[("sx24", "ms_tech_service_platform")] == date(2024, 12, 31)  # no fixed deadline in the table


def test_an_empty_province_scores_to_empty_tables(hunan, catalogue):
    registry = pd.DataFrame(columns=["name", "province_code", "recognized_year", "level"])
    timeliness = pd.DataFrame(columns=["consortium_id", "status", "city_approved"])
    scored = score_year(hunan, catalogue, registry, SHANXI_DUE, cells_frame({}), timeliness, 2025, "11")
    assert scored.consortia.empty and scored.points.empty and scored.plan.empty


# --- a second province by hand: grades across every boundary, plans, adjustment, the shortlist ---------------
#
# Six consortia ordered the same way in every peer field: Z < Y < X < W = W2 < V (n = 6, so /5). Peer
# scores: Z 0, Y 20, X 40, W and W2 (3 below + ½ of 1 equal) 70, V 100. Every other point is 100 by design
# (six member types, milestones by the due date, targets reached, texts and cases complete). With every
# peer point at p:  I1 = (100 + p)/2, I2 = 100, I3 = (3p + 100)/4, I4 = (200 + 3p)/5, I5 = (100 + 3p)/4,
# I6 = 100, so the total = (5300 + 47p)/100:
#   V 100.0 优秀 · W, W2 85.9 优秀 · X 71.8 合格 · Y 62.4 − 10 (one violation) = 52.4 不合格 · Z 53.0 不合格.
# Ranks: V 1, W 2, W2 2, X 4, Z 5, Y 6. Shortlist: V is late, so W and W2 (2 eligible 优秀, both in).
# Plans: V, W, W2, Y have 2025 plans they met; X none in 2025 (2024's completed); Z none in either year.

PEER_FIELDS = (
    "funding_total_10k",
    "apprentices",
    "co_majors",
    "co_courses",
    "co_textbooks",
    "co_training_bases",
    "co_industry_colleges",
    "ent_teachers_hours",
    "internship_person_months",
    "through_secondary_higher",
    "rd_conversion_rate_pct",
    "patents",
    "staff_training_person_days",
    "social_training_person_days",
)


def _excellent(level: int, violations: int = 0) -> dict:
    """A 2025 summary: 100 on every non-peer point; ``level`` (1–5) × a base in every peer field."""
    return {
        **{code: level * 4 for code in PEER_FIELDS},
        "employment_rate_pct": 90 + level,
        **{code: 1 for code in MEMBERS},
        "ms_council": date(2024, 6, 1),
        "ms_charter": date(2024, 6, 1),
        "ms_operating_rules": date(2024, 6, 1),
        "ms_talent_plan": date(2024, 6, 1),
        "ms_talent_platform": date(2024, 6, 1),
        "secretariat_staff_fulltime": 2,
        "talent_demand_reports": 1,
        "internship_posts": 10,
        "ent_tech_posts": 100,
        "tech_service_platforms": 1,
        "innovation_text": "创" * 300,
        "case_1_title": "一",
        "case_2_title": "二",
        "case_3_title": "三",
        "violations_count": violations,
    }


def _met_plan(level: int) -> dict:
    return {"apprentices": level * 4, "patents": level * 4, "ms_council": date(2025, 3, 1)}


SHORTLIST_PROVINCE = {
    ("V", 2025, "summary"): _excellent(5),
    ("V", 2025, "plan"): _met_plan(5),
    ("W", 2025, "summary"): _excellent(4),
    ("W", 2025, "plan"): _met_plan(4),
    ("W2", 2025, "summary"): _excellent(4),
    ("W2", 2025, "plan"): _met_plan(3),
    ("X", 2025, "summary"): _excellent(3),
    ("X", 2024, "plan"): {"apprentices": 1},
    ("X", 2024, "summary"): {"apprentices": 2},
    ("Y", 2025, "summary"): _excellent(2, violations=1),
    ("Y", 2025, "plan"): _met_plan(2),
    ("Z", 2025, "summary"): _excellent(1),
}
SHORTLIST_EXPECTED = {  # total, grade, rank, plan completed, adjustment, shortlisted — worked out above
    "V": ("100.0", "优秀", 1, True, False, False),
    "W": ("85.9", "优秀", 2, True, False, True),
    "W2": ("85.9", "优秀", 2, True, False, True),
    "X": ("71.8", "合格", 4, False, False, False),
    "Y": ("52.4", "不合格", 6, True, False, False),
    "Z": ("53.0", "不合格", 5, False, True, False),
}


def test_second_province_by_hand_grades_plans_adjustment_and_shortlist(hunan, catalogue):
    ids = list(SHORTLIST_EXPECTED)
    registry = pd.DataFrame(
        {"name": ids, "province_code": "43", "recognized_year": 2024, "level": "provincial"}, index=ids
    )
    timeliness = pd.DataFrame({"consortium_id": ids, "status": ["late"] + ["on_time"] * 5, "city_approved": True})
    no_batch_table = SHANXI_DUE.iloc[0:0]  # Hunan: every milestone due 2024-12-31
    scored = score_year(
        hunan, catalogue, registry, no_batch_table, cells_frame(SHORTLIST_PROVINCE), timeliness, 2025, "43"
    )
    frame = scored.consortia.set_index("consortium_id")
    got = {
        cid: (
            str(frame.loc[cid, "total"]),
            frame.loc[cid, "grade"],
            int(frame.loc[cid, "rank"]),
            bool(frame.loc[cid, "plan_completed"]),
            bool(frame.loc[cid, "adjustment"]),
            bool(frame.loc[cid, "shortlisted"]),
        )
        for cid in ids
    }
    assert got == SHORTLIST_EXPECTED
    assert frame.loc["V", "ineligible_because"] == "年度工作总结未按时报送"
    assert bool(frame.loc["X", "previous_plan_completed"]) and not bool(frame.loc["Z", "previous_plan_completed"])
    plan = scored.plan.set_index("consortium_id")
    assert (
        plan.loc["V", "targets"],
        plan.loc["V", "targets_met"],
        plan.loc["V", "milestones_planned"],
        plan.loc["V", "milestones_achieved"],
    ) == (2, 2, 1, 1)


def test_last_years_plan_means_nothing_for_a_consortium_recognised_this_year(hunan, catalogue):
    registry = pd.DataFrame(
        {"name": ["新"], "province_code": "43", "recognized_year": 2025, "level": "provincial"}, index=["N"]
    )
    timeliness = pd.DataFrame({"consortium_id": ["N"], "status": ["on_time"], "city_approved": [True]})
    scored = score_year(
        hunan,
        catalogue,
        registry,
        SHANXI_DUE.iloc[0:0],
        cells_frame({("N", 2025, "summary"): _excellent(3)}),
        timeliness,
        2025,
        "43",
    )
    row = scored.consortia.iloc[0]
    assert row["previous_plan_completed"] is None and not row["adjustment"] and not row["plan_completed"]


def test_the_moe_framework_on_the_second_province_by_hand(catalogue):
    """moe-2024 on the same six. The summaries give no field_engineers (required in a summary), so M2.1's sum
    apprentices+field_engineers+other_joint_training is unusable for all: 0. No local employment rate, no
    research income, no 五金 counts, no lists: those parts score 0. With peer points at p:
    M1 = p/2, M2 = (0 + p)/2, M3 = (100 + (p + 0)/2 + p)/3, M4 = (0 + p)/2, M5 = 0, M6 = the deduction;
    total = 20·(2p + 100/3)/100 = (2p + 100/3)/5:
    V 140/3 = 46.7 · W, W2 34.7 · X 22.7 · Z 6.7 · Y 4.7 (after −10)."""
    moe = load_frameworks()["moe-2024"]
    ids = list(SHORTLIST_EXPECTED)
    registry = pd.DataFrame(
        {"name": ids, "province_code": "43", "recognized_year": 2024, "level": "provincial"}, index=ids
    )
    timeliness = pd.DataFrame({"consortium_id": ids, "status": "on_time", "city_approved": True})
    scored = score_year(
        moe, catalogue, registry, SHANXI_DUE.iloc[0:0], cells_frame(SHORTLIST_PROVINCE), timeliness, 2025, "43"
    )
    frame = scored.consortia.set_index("consortium_id")
    assert {cid: (str(frame.loc[cid, "total"]), int(frame.loc[cid, "rank"])) for cid in ids} == {
        "V": ("46.7", 1),
        "W": ("34.7", 2),
        "W2": ("34.7", 2),
        "X": ("22.7", 4),
        "Y": ("4.7", 6),
        "Z": ("6.7", 5),
    }
    assert frame.loc["V", "exact_total"] == F(140, 3)
    points = scored.points.set_index(["consortium_id", "point"])
    assert (
        points.loc[("V", "M2.1"), "no_data"] and "必填项未填报（现场工程师培养）" in points.loc[("V", "M2.1"), "basis"]
    )
