"""Framework files: the shipped ones load as docs/DOMAIN.md's indicators.csv says; a broken one is refused on load
with the file, the point and the reason; provinces pick frameworks by year."""

from __future__ import annotations

from fractions import Fraction

import pytest

from chanjiao.common.errors import ReferenceDataError
from chanjiao.reference.catalogue import data_text
from chanjiao.reference.frameworks import (
    FrameworkError,
    framework_id_for,
    load_frameworks,
    parse_assignment,
    parse_framework,
    shipped_dir,
)
from chanjiao.reference.registry import check_framework_assignments, parse_provinces

MINIMAL = """\
id: tiny
version: "1"
grades:
  - {min: 60, grade: 合格}
  - {min: 0, grade: 不合格}
indicators:
  - code: T1
    weight: 100
    points:
      - {code: "1", method: peer, inputs: apprentices}
"""


# docs/DOMAIN.md's indicators.csv (framework, indicator, weight, point, method, inputs), copied when the YAML was
# written: the shipped files must say the same, point for point.
SPEC_TABLE = """\
hunan-2024,I1,10,1.1,member_types,members_secondary_vocational;members_higher_vocational;members_undergraduate;members_government;members_enterprise;members_research
hunan-2024,I1,10,1.4,peer,funding_total_10k
hunan-2024,I2,15,2.1,milestone,ms_council
hunan-2024,I2,15,2.3,milestone,ms_charter;ms_operating_rules
hunan-2024,I2,15,2.4,threshold,secretariat_staff_fulltime
hunan-2024,I3,20,3.1,peer,apprentices;co_majors+co_courses+co_textbooks
hunan-2024,I3,20,3.3,peer,co_training_bases+co_industry_colleges
hunan-2024,I3,20,3.4,peer,ent_teachers_hours
hunan-2024,I3,20,3.5,milestone,ms_talent_plan;ms_staff_training_plan
hunan-2024,I4,20,4.1,milestone+presence,ms_talent_platform;talent_demand_reports
hunan-2024,I4,20,4.4a,threshold_ratio,internship_posts/ent_tech_posts
hunan-2024,I4,20,4.4b,peer,internship_person_months
hunan-2024,I4,20,4.5,peer,through_secondary_higher+through_secondary_higher_bachelor+bachelor_admissions
hunan-2024,I4,20,4.6,peer,employment_rate_pct
hunan-2024,I5,20,5.1,presence,tech_service_platforms
hunan-2024,I5,20,5.2,peer,rd_conversion_rate_pct;patents
hunan-2024,I5,20,5.3,peer,staff_training_person_days
hunan-2024,I5,20,5.4,peer,social_training_person_days
hunan-2024,I6,15,6.1,text,innovation_text
hunan-2024,I6,15,6.2,case_count,case_1_title;case_2_title;case_3_title
hunan-2024,I7,0,7,deduction,violations_count
moe-2024,M1,20,M1.1,peer,co_industry_colleges+co_training_bases
moe-2024,M1,20,M1.2,list_share,lists_published
moe-2024,M2,20,M2.1,peer,apprentices+field_engineers+other_joint_training
moe-2024,M2,20,M2.2,peer,through_secondary_higher+through_secondary_higher_bachelor+bachelor_admissions
moe-2024,M3,20,M3.1,milestone,ms_talent_platform
moe-2024,M3,20,M3.2,peer,employment_rate_pct;local_employment_rate_pct
moe-2024,M3,20,M3.3,peer,internship_person_months
moe-2024,M4,20,M4.1,peer,rd_income_10k
moe-2024,M4,20,M4.2,peer,staff_training_person_days
moe-2024,M5,20,M5.1,peer,gold_majors;gold_courses;gold_textbooks;gold_teachers;gold_bases
moe-2024,M5,20,M5.2,list_share,lists_published
moe-2024,M6,0,M6,deduction,violations_count
"""


def test_the_shipped_frameworks_say_what_indicators_csv_says_point_for_point():
    frameworks = load_frameworks()
    shipped = [
        ",".join([framework.id, indicator.code, str(indicator.weight), point.code, point.method, point.inputs])
        for framework in (frameworks["hunan-2024"], frameworks["moe-2024"])
        for indicator, point in framework.points
    ]
    assert shipped == SPEC_TABLE.splitlines()


def test_the_shipped_frameworks_hold_the_spec_points():
    frameworks = load_frameworks()
    assert set(frameworks) == {"hunan-2024", "moe-2024"}
    hunan, moe = frameworks["hunan-2024"], frameworks["moe-2024"]
    assert [(i.code, i.weight, len(i.points)) for i in hunan.indicators] == [
        ("I1", 10, 2),
        ("I2", 15, 3),
        ("I3", 20, 4),
        ("I4", 20, 5),
        ("I5", 20, 4),
        ("I6", 15, 2),
        ("I7", 0, 1),
    ]
    assert [(i.code, i.weight, len(i.points)) for i in moe.indicators] == [
        ("M1", 20, 2),
        ("M2", 20, 2),
        ("M3", 20, 3),
        ("M4", 20, 2),
        ("M5", 20, 2),
        ("M6", 0, 1),
    ]
    points = {p.code: p for _, p in hunan.points}
    assert points["3.1"].inputs == "apprentices;co_majors+co_courses+co_textbooks"
    assert points["3.5"].combine == "max" and points["4.4a"].target == Fraction(1, 10)
    assert points["4.4a"].parts[0].denominator == ("ent_tech_posts",)
    assert points["6.2"].scores == (0, 60, 80, 100) and points["7"].per_unit == 10 and points["7"].cap == 30
    assert hunan.grades == ((85, "优秀"), (75, "良好"), (60, "合格"), (0, "不合格"))
    assert hunan.plan_share_met == Fraction(4, 5) and hunan.shortlist_top == 3
    assert len(hunan.digest) == 12 and hunan.label.startswith("hunan-2024 v2024.1 (sha256 ")


def test_a_minimal_framework_parses(catalogue):
    framework = parse_framework(MINIMAL, catalogue, "tiny.yaml")
    assert framework.grade(Fraction(60)) == "合格" and framework.lowest_grade == "不合格"


@pytest.mark.parametrize(
    "change, where, reason",
    [
        (("method: peer", "method: median"), "indicators[0] (T1).points[0] (1)", "unknown method 'median'"),
        (("inputs: apprentices", "inputs: apprentice"), "(1)", "unknown field 'apprentice'"),
        (("inputs: apprentices", "inputs: innovation_text"), "(1)", "method peer cannot read field innovation_text"),
        (("inputs: apprentices", "inputs: plan_text"), "(1)", "plan_text is not in a summary"),
        (("inputs: apprentices", "inputs: apprentices+"), "(1)", "cannot read the inputs"),
        (("inputs: apprentices", "inputs: apprentices/patents"), "(1)", "needs method threshold_ratio"),
        (("weight: 100", "weight: -5"), "indicators[0] (T1)", "weight -5 is not allowed"),
        (("weight: 100", "weight: 0"), "indicators[0] (T1)", "needs a weight > 0"),
        (("weight: 100", "weight: lots"), "indicators[0] (T1)", "weight must be a number"),
        (("method: peer", "method: threshold"), "(1)", "needs a target > 0"),
        (("{min: 60, grade: 合格}", "{min: -1, grade: 合格}"), "grades", "highest minimum down"),
        (("{min: 0, grade: 不合格}", "{min: 10, grade: 不合格}"), "grades", "must start at 0"),
        (("method: peer, inputs", "method: peer, bonus: 3, inputs"), "(1)", "unknown key(s) bonus"),
        (
            ("method: peer, inputs: apprentices", "method: milestone, inputs: ms_council+ms_charter"),
            "(1)",
            "reads fields one by one",
        ),
        (
            (
                "method: peer, inputs: apprentices",
                "method: case_count, combine: max, inputs: case_1_title, scores: [0, 100]",
            ),
            "(1)",
            "combine means nothing to it",
        ),
        (
            (
                "method: peer, inputs: apprentices",
                "method: text, inputs: innovation_text, tiers: [{min_chars: 0, score: 20}]",
            ),
            "(1)",
            "min_chars ≥ 1",
        ),
        (
            (
                "method: peer, inputs: apprentices",
                "method: case_count, inputs: case_1_title;case_2_title, scores: [0, 50]",
            ),
            "(1)",
            "needs 3 scores",
        ),
        (
            ("method: peer, inputs: apprentices", "method: list_share, inputs: lists_published, items: [gold]"),
            "(1)",
            "unknown: gold",
        ),
    ],
)
def test_a_broken_framework_is_refused_naming_file_place_and_reason(catalogue, change, where, reason):
    with pytest.raises(FrameworkError) as caught:
        parse_framework(MINIMAL.replace(*change), catalogue, "tiny.yaml")
    message = str(caught.value)
    assert message.startswith("tiny.yaml: field ") and where in message and reason in message


def test_deductions_need_an_indicator_of_their_own_with_weight_zero(catalogue):
    deduction = '      - {code: "2", method: deduction, inputs: violations_count, per_unit: 10, max: 30}\n'
    with pytest.raises(FrameworkError, match="deduction points go in an indicator of their own"):
        parse_framework(MINIMAL + deduction, catalogue, "tiny.yaml")
    weighted = MINIMAL + "  - code: T2\n    weight: 5\n    points:\n" + deduction
    with pytest.raises(FrameworkError, match="a deduction indicator's is 0"):
        parse_framework(weighted, catalogue, "tiny.yaml")


def test_a_point_code_used_twice_and_bad_yaml_are_refused(catalogue):
    twice = MINIMAL + '      - {code: "1", method: presence, inputs: patents}\n'
    with pytest.raises(FrameworkError, match="point code 1 is used twice"):
        parse_framework(twice, catalogue, "tiny.yaml")
    with pytest.raises(FrameworkError, match="not valid YAML"):
        parse_framework("id: [unclosed", catalogue, "tiny.yaml")


def test_an_operators_framework_folder_is_validated_and_named_by_id(tmp_path):
    (tmp_path / "tiny.yaml").write_text(MINIMAL, encoding="utf-8")
    assert set(load_frameworks(tmp_path)) == {"tiny"}
    (tmp_path / "other.yaml").write_text(MINIMAL, encoding="utf-8")
    with pytest.raises(FrameworkError, match="name it tiny.yaml"):
        load_frameworks(tmp_path)  # a file added since the last load is seen
    with pytest.raises(FrameworkError, match="does not exist"):
        load_frameworks(tmp_path / "nope")


def test_provinces_choose_a_framework_by_year():
    assert parse_assignment("hunan-2024") == ((0, "hunan-2024"),)
    assert framework_id_for("hunan-2024;moe-2024@2026", 2025) == "hunan-2024"
    assert framework_id_for("hunan-2024;moe-2024@2026", 2027) == "moe-2024"
    with pytest.raises(ReferenceDataError, match="no framework applies to 2024"):
        framework_id_for("moe-2024@2026", 2024)
    with pytest.raises(ReferenceDataError, match="cannot read framework"):
        parse_assignment("moe-2024@next")


def test_a_province_naming_an_unknown_framework_fails_at_load():
    text = data_text("provinces.csv").replace("14,山西省,山西省教育厅,hunan-2024", "14,山西省,山西省教育厅,shanxi-2030")
    with pytest.raises(ReferenceDataError, match="province 14 is scored with framework 'shanxi-2030'"):
        check_framework_assignments(parse_provinces(text), load_frameworks())
    check_framework_assignments(parse_provinces(data_text("provinces.csv")), load_frameworks())
    assert shipped_dir().name == "frameworks"
