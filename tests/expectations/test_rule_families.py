"""Each rule family with a passing and a failing row; the Chinese message is pinned.

All cases are validated in one batch (module fixture), as a year's submissions are in production.
"""

from __future__ import annotations

import pytest
from builders import clean_plan, clean_summary
from conftest import validate_cases

SX2 = dict(consortium_id="SX-2024-02", name="示范区晋中开发区纺机液压产教联合体")  # has a previous summary
HN = dict(consortium_id="HN-2024-01", name="株洲市轨道交通市域产教联合体")  # 株洲市: layout applies
LONG_200 = "产" * 200


def summary(notes=None, **changes):
    return clean_summary(**changes), notes or {}


def plan(notes=None, **changes):
    return clean_plan(**changes), notes or {}


# case name -> (fields, notes), expected [(field, rule, severity, message)]
CASES = {
    "clean summary": (summary(), []),
    "clean plan": (plan(), []),
    "type": (summary(co_majors="十二"), [("co_majors", "type", "fatal", "「共建专业」填写的“十二”不是有效的整数。")]),
    "type, percent": (
        summary(apprentice_post_ratio_pct="约一成"),
        [
            (
                "apprentice_post_ratio_pct",
                "type",
                "fatal",
                "「企业学徒岗位占岗位总量比例」填写的“约一成”不是有效的百分比（0–100）。",
            )
        ],
    ),
    "required (summary)": (
        summary(co_courses=None),
        [("co_courses", "required", "fatal", "「共建课程」是年度工作总结的必填项，但未填写。")],
    ),
    "required (both kinds) in a plan": (
        plan(contact_name=None),
        [("contact_name", "required", "fatal", "「联系人」是年度工作计划的必填项，但未填写。")],
    ),
    "summary-only requirement not asked of a plan": (plan(), []),
    "min": (
        summary(secretariat_area_m2="-5"),
        [("secretariat_area_m2", "min", "fatal", "「秘书处固定办公面积」为-5m²，低于下限0m²。")],
    ),
    "max": (
        summary(employment_rate_pct="105"),
        [("employment_rate_pct", "max", "fatal", "「联合体学校整体就业率」为105%，超过上限100%。")],
    ),
    "max boundary": (summary(apprentice_post_ratio_pct="100"), []),
    "max_chars": (
        summary(park_industry_text=LONG_200 + "业"),
        [("park_industry_text", "max_chars", "fatal", "「产业园区主导产业情况」共201字，超过200字的上限。")],
    ),
    "max_chars boundary, trimmed": (summary(park_industry_text=f"  {LONG_200}  "), []),
    "sum_eq": (
        summary(secretariat_staff_total="13"),
        [
            (
                "secretariat_staff_total",
                "sum_eq",
                "fatal",
                "「秘书处人员总数」为13人，但「秘书处专职人数」、「秘书处兼职人数」之和为12人（相差1人）。",
            )
        ],
    ),
    "sum_eq within tolerance": (summary(funding_total_10k="100.51"), []),
    "sum_eq beyond tolerance": (
        summary(funding_total_10k="100.52"),
        [
            (
                "funding_total_10k",
                "sum_eq",
                "fatal",
                "「运行经费总额」为100.52万元，但「经费来源：牵头单位负担」、「经费来源：政府核拨」、"
                "「经费来源：其他成员负担」、「经费来源：其他途径」之和为100.5万元（相差0.02万元，"
                "允许误差0.01万元）。",
            )
        ],
    ),
    "sum_eq not evaluated with a part missing": (plan(funding_total_10k="50", funding_lead_10k="20"), []),
    "le": (
        summary(patents="11"),
        [("patents", "le", "fatal", "「发明专利与实用新型专利数」为11个，大于「研究成果数量」的10个。")],
    ),
    "le equal": (summary(patents="10"), []),
    "not_after@summary": (
        summary(ms_council="2025-12-02"),
        [
            (
                "ms_council",
                "not_after",
                "fatal",
                "「理事会（董事会）成立日期」为2025-12-02，晚于「报送日期」2025-12-01。",
            )
        ],
    ),
    "not_after@summary skips a plan": (plan(ms_council="2025-06-30"), []),
    "not_after on both kinds": (
        plan(city_approved_on="2025-01-11"),
        [
            (
                "city_approved_on",
                "not_after",
                "fatal",
                "「地市教育行政部门审核日期」为2025-01-11，晚于「报送日期」2025-01-10。",
            )
        ],
    ),
    "required_if": (
        summary(case_2_title="第二个案例"),
        [("case_2_text", "required_if", "fatal", "已填写「典型案例2 标题」，但未填写「典型案例2 正文」。")],
    ),
    "required_if satisfied": (summary(case_2_title="第二个案例", case_2_text="正文"), []),
    "any_positive": (
        summary(members_secondary_vocational="0", members_higher_vocational="0"),
        [
            (
                "members_higher_vocational",
                "any_positive",
                "warning",
                "「成员：高职院校（含职教本科）数」与「成员：中职学校数」均为0。",
            )
        ],
    ),
    "both_or_neither": (
        summary(ent_teachers_hours="0"),
        [
            (
                "ent_teachers_hours",
                "both_or_neither",
                "warning",
                "「企业兼职教师课时数」为0课时，而「企业兼职教师」为30人次：两者应同时大于0或同时为0。",
            )
        ],
    ),
    "both_or_neither, both 0": (summary(ent_teachers_hours="0", ent_teachers_persons="0"), []),
    "warn_below (warning)": (
        summary(employment_rate_pct="45"),
        [("employment_rate_pct", "warn_below", "warning", "「联合体学校整体就业率」为45%，低于50%。")],
    ),
    "warn_below (info)": (
        summary(practice_hours_pct="46.5"),
        [("practice_hours_pct", "warn_below", "info", "「实践性教学课时占总课时比例」为46.5%，低于50%。")],
    ),
    "warn_below boundary": (summary(practice_hours_pct="50"), []),
    "warn_equal": (
        summary(employment_rate_pct="100%"),
        [("employment_rate_pct", "warn_equal", "warning", "「联合体学校整体就业率」恰好为100%，请核实。")],
    ),
    "min_ratio": (
        summary(ent_tech_posts="200", internship_posts="10"),
        [
            (
                "internship_posts",
                "min_ratio",
                "info",
                "「规模以上企业接收顶岗实习岗位数」为10个，仅为「规模以上企业技术岗位数」（200个）的5%，低于10%的目标。",
            )
        ],
    ),
    "min_ratio met": (summary(ent_tech_posts="200", internship_posts="20"), []),
    "min_ratio not evaluated on 0": (summary(ent_tech_posts="0", internship_posts="0"), []),
    "known_codes": (
        summary(lists_published="core_products;secret_list"),
        [("lists_published", "known_codes", "fatal", "「已发布清单」含有无法识别的代码：secret_list。")],
    ),
    "known_codes ok": (summary(lists_published="core_products；tech_needs"), []),
    "is_true": (
        summary(integrity_pledge="否"),
        [("integrity_pledge", "is_true", "fatal", "「申报承诺（数据真实、准确、有效）」未确认（应为“是”）。")],
    ),
    "registry_name": (
        summary(consortium_name="大同通航产教联合体"),
        [
            (
                "consortium_name",
                "registry_name",
                "warning",
                "「联合体名称」“大同通航产教联合体”与联合体名录中的名称“大同市通用航空产教联合体”不一致。",
            )
        ],
    ),
    "registry_name after NFKC and spaces": (summary(consortium_name="大同市 通用航空 产教联合体"), []),
    "in_city_layout": (
        summary(**HN, industry_codes="C1;A1"),
        [
            (
                "industry_codes",
                "in_city_layout",
                "warning",
                "「主导产业代码」中的A1不是所在地市产业布局中的核心或重点产业。",
            )
        ],
    ),
    "in_city_layout ok": (summary(**HN, industry_codes="C1;B2"), []),
    "in_city_layout: no layout for Shanxi": (summary(industry_codes="A1"), []),
    "unknown industry code": (
        summary(**HN, industry_codes="C1;Z9"),
        [("industry_codes", "known_codes", "fatal", "「主导产业代码」含有无法识别的代码：Z9。")],
    ),
    "yoy": (
        summary(**SX2, apprentices="151"),
        [("apprentices", "yoy", "warning", "「中国特色学徒制培养」由上年的100人变为151人（+51%），变化超过±50%。")],
    ),
    "yoy down": (
        summary(**SX2, apprentices="49"),
        [("apprentices", "yoy", "warning", "「中国特色学徒制培养」由上年的100人变为49人（-51%），变化超过±50%。")],
    ),
    "yoy boundary": (summary(**SX2, apprentices="150"), []),
    "yoy skipped on a plan": (plan(**SX2, apprentices="900"), []),
    "veto": (
        summary(violations_count="1", violations_text="2024年发生一起实习安全事故。"),
        [
            (
                "violations_count",
                "veto",
                "warning",
                "「近3年招生、就业、安全等领域重大违法违规事件数」为1件：属一票否决情形，不能被说明或豁免，不得推荐申报国家级。",
            )
        ],
    ),
    "veto without its text": (
        summary(violations_count="2"),
        [
            (
                "violations_count",
                "veto",
                "warning",
                "「近3年招生、就业、安全等领域重大违法违规事件数」为2件：属一票否决情形，不能被说明或豁免，不得推荐申报国家级。",
            ),
            (
                "violations_text",
                "required_if",
                "fatal",
                "已填写「近3年招生、就业、安全等领域重大违法违规事件数」，但未填写「违法违规事件说明」。",
            ),
        ],
    ),
}
# SX-2024-02's 2024 summary: apprentices 100; field_engineers 0 (a previous 0 is never compared).
PREVIOUS = {"SX-2024-02": clean_summary(**SX2, year=2024, apprentices="100", field_engineers="0")}


@pytest.fixture(scope="module")
def batch(validator, test_reference):
    return validate_cases(validator, test_reference, {name: case for name, (case, _) in CASES.items()}, PREVIOUS)[0]


@pytest.mark.parametrize("name", list(CASES))
def test_rule_family(batch, name):
    expected = CASES[name][1]
    found = batch[name]
    assert list(found[["field", "rule", "severity", "message"]].itertuples(index=False, name=None)) == expected


def test_a_value_that_does_not_parse_is_a_type_finding_not_also_a_missing_one(batch):
    assert list(batch["type"]["rule"]) == ["type"]  # co_majors is required in a summary


def test_a_previous_value_of_zero_is_not_compared(batch):
    assert "field_engineers" not in set(batch["yoy"]["field"])  # 0 → 40 would be +∞ %


def test_findings_say_the_value_seen_and_what_to_do(batch):
    sum_eq = batch["sum_eq"].iloc[0]
    assert sum_eq["value"] == "13人 ≠ 12人"
    assert sum_eq["fix"] == "请核对合计与各分项，使合计等于各分项之和。"
    assert sum_eq["involves"] == "secretariat_staff_total;secretariat_staff_fulltime;secretariat_staff_parttime"
    yoy = batch["yoy"].iloc[0]
    assert yoy["value"] == "100人 → 151人" and "说明" in yoy["fix"]
    assert batch["veto"].iloc[0]["veto"] and not batch["yoy"].iloc[0]["veto"]
