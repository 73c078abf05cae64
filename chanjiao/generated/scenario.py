"""The sample's scenario: the years it covers, who files what and when, which deliberate faults and variants
the files carry, and every normalisation case of the input contract the files must exercise.

Pure data, read by the modules that draw the documents (``documents``, ``dates``, ``defects``) and the answer
key (``answer_key``); each name says which consortium, year and document it concerns.
"""

from __future__ import annotations

YEARS = (2024, 2025)

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
