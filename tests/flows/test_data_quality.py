"""End to end, data quality: the sample's faulty files produce exactly the findings they were built to
produce; findings.csv, receipts and the artifact; reviewer overrides survive re-runs and resubmissions."""

from __future__ import annotations

import csv
import io
import re
import shutil

import pandas as pd
import pytest
from test_annual_compliance import latest_artifact, read_csv, run

from chanjiao.common.exports import FINDINGS_COLUMNS
from chanjiao.operations.cli import main as cli
from chanjiao.quality.privacy import mask_name, mask_phone
from chanjiao.quality.timeliness import latest_versions
from warehouse import Warehouse


def expected_by_file(manifest: dict) -> dict[tuple, bool | None]:
    """(file, field, rule, severity) → explained (None: not said), from the sample's answer key."""
    return {
        (item["file"], fault["field"], fault["rule"], fault["severity"]): fault.get("explained")
        for item in manifest["files"]
        for fault in item.get("faults") or []
    }


@pytest.fixture
def ran(sample_dir, tmp_path, database_url):
    inbox = tmp_path / "inbox"
    shutil.copytree(sample_dir / "inbox", inbox)
    warehouse_dir = tmp_path / "warehouse"
    first = run(sample_dir, inbox, warehouse_dir, database_url, year=2025)  # validates 2025 and 2024
    run(sample_dir, inbox, warehouse_dir, database_url, year=2024)
    return inbox, warehouse_dir, first


def test_the_sample_faults_are_found_exactly(ran, manifest, database_url):
    inbox, warehouse_dir, first = ran
    reports = warehouse_dir / "reports"
    header = (reports / "2025" / "14" / "findings.csv").read_bytes().decode("utf-8-sig").splitlines()[0]
    assert tuple(header.split(",")) == FINDINGS_COLUMNS

    handle = Warehouse.open(database_url)
    try:
        versions = handle.versions()
        values = handle.values_for([v.id for v in versions])
        stored = handle.findings([v.id for v in versions])
    finally:
        handle.close()
    by_id = {v.id: v for v in versions}

    # Every version has exactly the findings its file was built to produce (all versions, not just the latest).
    expected = expected_by_file(manifest)
    assert {(by_id[f["version_id"]].source_file, f["field"], f["rule"], f["severity"]) for f in stored} == set(expected)

    # findings.csv lists the latest versions' findings, each explained as built.
    frame = pd.DataFrame([{**v.__dict__, "ingest_seq": v.id} for v in versions])
    latest = {(r.consortium_id, r.year, r.kind): r.source_file for r in latest_versions(frame).itertuples()}
    rows = [
        r
        for year in ("2024", "2025")
        for province in ("14", "43")
        for r in read_csv(reports / year / province / "findings.csv")
    ]
    exported = {
        (latest[(r["consortium_id"], int(r["year"]), r["kind"])], r["field"], r["rule"], r["severity"]): r["explained"]
        == "true"
        for r in rows
    }
    assert set(exported) == {key for key in expected if key[0] in set(latest.values())}
    for key, explained in exported.items():
        assert expected[key] in (None, explained), key
    assert first["findings"]["fatal"] == sum(1 for r in rows if r["year"] == "2025" and r["severity"] == "fatal")

    # One receipt per accepted version of each year, listing its findings; no contact appears unmasked.
    accepted = [f for f in manifest["files"] if f["expected"] == "accepted"]
    receipts = sorted((warehouse_dir / "receipts").rglob("*.html"))
    assert len(receipts) == len(accepted)
    outputs = [p.read_text(encoding="utf-8") for p in receipts]
    outputs += [p.read_text(encoding="utf-8-sig") for p in reports.rglob("findings.csv")]
    for fields in values.values():
        name, phone = fields["contact_name"].value, fields["contact_phone"].value
        assert not any(name in text or phone in text for text in outputs), (name, phone)
    faulty = next(v for v in versions if v.source_file == "2025/HN-2024-08 2025年度全年工作总结.xlsx")
    receipt = (warehouse_dir / "receipts" / "2025" / f"HN-2024-08-summary-v{faulty.version}.html").read_text("utf-8")
    assert "「共建专业」填写的“十二”不是有效的整数。" in receipt and "须修改后重新报送" in receipt
    contact = values[faulty.id]
    assert f"{mask_name(contact['contact_name'].value)}（{mask_phone(contact['contact_phone'].value)}）" in receipt


def test_the_run_leaves_a_findings_artifact(ran):
    artifact = latest_artifact("findings-2025")
    assert artifact.type == "table"
    table = artifact.data if isinstance(artifact.data, list) else __import__("json").loads(artifact.data)
    assert {"rule", "severity", "findings", "versions", "explained"} <= set(table[0])
    assert {(row["rule"], row["severity"]) for row in table} >= {("le", "fatal"), ("yoy", "warning")}


def _resubmit(inbox, source: str, target: str, submitted_on: str, **changes) -> None:
    """Copy a CSV submission with a new submitted_on (and other values changed) as a new file."""
    text = (inbox / source).read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    for row in rows:
        if row and row[0] == "submitted_on":
            row[2] = submitted_on
        if row and row[0] in changes:
            row[2] = changes[row[0]]
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    (inbox / target).write_text(buffer.getvalue(), encoding="utf-8")


def test_overrides_are_kept_and_survive_reruns_and_unchanged_resubmissions(ran, sample_dir, database_url, capsys):
    inbox, warehouse_dir, _ = ran
    storage = ["--warehouse", str(warehouse_dir), "--database-url", database_url]

    def yoy_row():
        rows = read_csv(warehouse_dir / "reports" / "2025" / "43" / "findings.csv")
        return next(r for r in rows if (r["consortium_id"], r["rule"]) == ("HN-2024-01", "yoy"))

    assert yoy_row()["explained"] == "false"
    code = cli(
        [
            "override",
            "--consortium",
            "HN-2024-01",
            "--year",
            "2025",
            "--kind",
            "summary",
            "--rule",
            "yoy",
            "--reason",
            "园区新引进研发中心，经费到账大幅增加，已电话核实",
            "--by",
            "李审核",
            *storage,
        ]
    )
    assert code == 0
    run(sample_dir, inbox, warehouse_dir, database_url, year=2025, provinces=["43"])
    row = yoy_row()
    assert (row["explained"], row["override_by"]) == ("true", "李审核")
    assert row["override_reason"].startswith("园区新引进研发中心")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00", row["override_at"])

    # A resubmission that leaves the value alone keeps the acceptance; one that changes it does not.
    _resubmit(inbox, "2025/HN-2024-01-summary-2025.csv", "2025/HN-2024-01-summary-2025-v2.csv", "2025-12-10")
    run(sample_dir, inbox, warehouse_dir, database_url, year=2025, provinces=["43"])
    row = yoy_row()
    assert (row["version"], row["explained"], row["override_by"]) == ("2", "true", "李审核")
    _resubmit(
        inbox,
        "2025/HN-2024-01-summary-2025.csv",
        "2025/HN-2024-01-summary-2025-v3.csv",
        "2025-12-11",
        rd_income_10k="180",
    )
    run(sample_dir, inbox, warehouse_dir, database_url, year=2025, provinces=["43"])
    row = yoy_row()
    assert (row["version"], row["explained"], row["override_by"]) == ("3", "false", "")

    # Fatal and veto findings cannot be overridden; the refusal is one clear line.
    capsys.readouterr()
    for rule, consortium in (("le", "HN-2024-04"), ("veto", "HN-2024-06")):
        code = cli(
            [
                "override",
                "--consortium",
                consortium,
                "--year",
                "2025",
                "--kind",
                "summary",
                "--rule",
                rule,
                "--reason",
                "x",
                "--by",
                "y",
                *storage,
            ]
        )
        err = capsys.readouterr().err
        assert code == 2 and "cannot be overridden" in err and len(err.strip().splitlines()) == 1, err
