"""The CSV exports: exact columns, UTF-8 with BOM, and formula injection neutralised."""

import csv
import io
from datetime import date

import pandas as pd
import pytest

from chanjiao.common.exports import SUBMISSIONS_COLUMNS, neutralise, rejected_csv, submissions_csv


@pytest.mark.parametrize("text", ["=1+1", "+cmd", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_formula_starts_are_neutralised(text):
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize(
    "value, expected",
    [
        ("大同市通用航空产教联合体", "大同市通用航空产教联合体"),
        (3, "3"),
        (True, "true"),
        (None, ""),
        (date(2025, 1, 15), "2025-01-15"),
        (pd.NA, ""),
    ],
)
def test_ordinary_values_pass(value, expected):
    assert neutralise(value) == expected


def read(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def test_submissions_csv_has_the_contract_columns_in_order():
    frame = pd.DataFrame(
        [
            {
                "consortium_id": "SX-2024-01",
                "name": '=HYPERLINK("x")',
                "year": 2025,
                "kind": "summary",
                "due_date": date(2025, 12, 15),
                "status": "late",
                "days_late": 3,
                "city_approved": False,
                "source_file": "2025/a.csv",
                "version": 2,
                "extra": "not exported",
            }
        ]
    )
    rows = read(submissions_csv(frame))
    assert tuple(rows[0]) == SUBMISSIONS_COLUMNS
    assert rows[1] == [
        "SX-2024-01",
        '\'=HYPERLINK("x")',
        "2025",
        "summary",
        "2025-12-15",
        "late",
        "3",
        "false",
        "2025/a.csv",
        "2",
    ]


def test_rejected_csv_even_when_empty():
    assert read(rejected_csv(pd.DataFrame(columns=["file", "reason"]))) == [["file", "reason"]]
    rows = read(rejected_csv(pd.DataFrame([{"file": "2025/-x.csv", "reason": "2025/-x.csv: field year: bad"}])))
    assert rows[1] == ["2025/-x.csv", "2025/-x.csv: field year: bad"]
