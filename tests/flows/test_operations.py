"""Operating the pipeline: re-runs that change nothing, one province re-run after a late file (修订版, versions
kept), --force, the run lock, and a run killed mid-render that the next run completes."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pikepdf
import pytest
from prefect.settings import PREFECT_API_URL
from pypdf import PdfReader
from test_annual_compliance import read_csv, run

from chanjiao.common.errors import RunLocked
from warehouse import Warehouse

ROOT = Path(__file__).resolve().parents[2]
SHANXI, HUNAN = "14", "43"
LATE_FILE = "SX-2024-06_2025_summary_v3.json"


def snapshot(root: Path) -> dict[str, tuple[str, int]]:
    """Every output under the warehouse folder (not the database, its locks or the server log): path →
    (sha256, mtime_ns)."""
    skipped = {"warehouse.db", "warehouse.db-wal", "warehouse.db-shm", "prefect-server.log"}
    return {
        p.relative_to(root).as_posix(): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name not in skipped and "locks" not in p.relative_to(root).parts
    }


def changed(before: dict, after: dict) -> set[str]:
    return {path for path in before.keys() | after.keys() if before.get(path) != after.get(path)}


def pdf_text(path: Path) -> str:
    return "".join((page.extract_text() or "") for page in PdfReader(path).pages).replace(" ", "")


def late_resubmission(sample_dir: Path, inbox: Path) -> Path:
    """A third version of a Shanxi consortium's 2025 summary: a corrected figure, filed after the others."""
    source = json.loads(
        (sample_dir / "inbox" / "2025" / "SX-2024-06_2025_summary_v2（更正）.json").read_text(encoding="utf-8")
    )
    source["fields"]["submitted_on"] = "2025年12月20日"
    source["fields"]["secretariat_area_m2"] = "318.3"
    target = inbox / "2025" / LATE_FILE
    target.write_text(json.dumps(source, ensure_ascii=False), encoding="utf-8")
    return target


@pytest.fixture(scope="module")
def published(sample_dir, tmp_path_factory, module_database_url):
    """The sample's 2024 data and its 2025 reports, published once (every report at version 1), on SQLite
    and on PostgreSQL (where the run locks are advisory locks)."""
    folder = tmp_path_factory.mktemp("operations")
    inbox = folder / "inbox"
    shutil.copytree(sample_dir / "inbox", inbox)
    warehouse_dir, url = folder / "warehouse", module_database_url
    run(sample_dir, inbox, warehouse_dir, url, year=2024)
    first = run(sample_dir, inbox, warehouse_dir, url, year=2025, pdf=True)
    return {"folder": folder, "inbox": inbox, "warehouse_dir": warehouse_dir, "url": url, "first": first}


def test_operations_rerun_late_file_and_force(sample_dir, published):
    inbox, warehouse_dir, url = published["inbox"], published["warehouse_dir"], published["url"]
    first = published["first"]
    reports = warehouse_dir / "reports" / "2025"
    assert first["pdfs"]["rendered"] == first["pdfs"]["reports"] + first["pdfs"]["receipts"] > 20
    assert first["pdfs"]["skipped"] == 0 and first["pdfs"]["revised"] == []

    # 1. Nothing new: nothing is rendered, no output file is touched.
    before = snapshot(warehouse_dir)
    again = run(sample_dir, inbox, warehouse_dir, url, year=2025, pdf=True)
    assert again["pdfs"]["rendered"] == 0
    assert again["pdfs"]["skipped"] == first["pdfs"]["reports"] + again["pdfs"]["actions"]["receipt"]["unchanged"]
    assert changed(before, snapshot(warehouse_dir)) == set()

    # 2. A late file for Shanxi; the operator re-runs province 14 only.
    late_resubmission(sample_dir, inbox)
    before = snapshot(warehouse_dir)
    rerun = run(sample_dir, inbox, warehouse_dir, url, year=2025, pdf=True, provinces=[SHANXI])
    touched = changed(before, snapshot(warehouse_dir))
    assert touched, "the late file changed nothing"
    assert all(
        p.startswith(f"reports/2025/{SHANXI}/")
        or p.startswith("receipts/2025/SX-")
        or p == "reports/2025/_rejected.csv"
        for p in touched
    ), touched
    assert not any(p.startswith(f"reports/2025/{HUNAN}/") or "HN-" in p for p in touched)
    assert rerun["pdfs"]["revised"] == [SHANXI, "SX-2024-06"]
    assert {
        f"reports/2025/{SHANXI}/SX-2024-06.pdf",
        f"reports/2025/{SHANXI}/versions/SX-2024-06-v2.pdf",
        f"reports/2025/{SHANXI}/province.pdf",
        f"reports/2025/{SHANXI}/versions/province-v2.pdf",
        "receipts/2025/SX-2024-06-summary-v3.pdf",
    } <= touched
    # The other Shanxi reports did not change: their inputs did not (the corrected figure is not a peer figure).
    assert f"reports/2025/{SHANXI}/SX-2024-01.pdf" not in touched

    # Version 1 is kept beside version 2; version 2 says it is a revision and why; the province lists it.
    versions = reports / SHANXI / "versions"
    v1, v2 = versions / "SX-2024-06-v1.pdf", versions / "SX-2024-06-v2.pdf"
    assert "修订版" not in pdf_text(v1) and "修订版" in pdf_text(v2)
    assert "本联合体报送数据或数据质量结论更新" in pdf_text(v2)
    assert (reports / SHANXI / "SX-2024-06.pdf").read_bytes() == v2.read_bytes()
    province = pdf_text(reports / SHANXI / "province.pdf")
    assert "报告修订记录" in province and "SX-2024-06" in province.split("报告修订记录")[-1]
    assert "报告修订记录" not in pdf_text(versions / "province-v1.pdf")
    assert "报告修订记录" not in pdf_text(reports / HUNAN / "province.pdf")
    warehouse = Warehouse.open(url)
    try:
        stored = {(r.kind, r.subject): r.version for r in warehouse.report_versions(2025) if r.kind != "receipt"}
        history = [r for r in warehouse.report_versions(2025, SHANXI, "consortium") if r.subject == "SX-2024-06"]
    finally:
        warehouse.close()
    assert stored[("consortium", "SX-2024-06")] == 2 and stored[("province", SHANXI)] == 2
    assert stored[("consortium", "SX-2024-01")] == 1 and stored[("province", HUNAN)] == 1
    assert [r.version for r in history] == [1, 2] and history[1].reasons == ("本联合体报送数据或数据质量结论更新",)
    assert history[0].path == f"reports/2025/{SHANXI}/versions/SX-2024-06-v1.pdf"

    # 3. --force renders every Hunan report again, as the same versions (no content changed: no 修订版).
    before = snapshot(warehouse_dir)
    forced = run(sample_dir, inbox, warehouse_dir, url, year=2025, pdf=True, provinces=[HUNAN], force=True)
    touched = changed(before, snapshot(warehouse_dir))
    hunan_pdfs = {p.name for p in (reports / HUNAN).glob("*.pdf")}
    assert forced["pdfs"]["actions"]["consortium"]["forced"] + 1 == len(hunan_pdfs)
    assert forced["pdfs"]["revised"] == []
    assert {f"reports/2025/{HUNAN}/{name}" for name in hunan_pdfs} <= touched
    assert not any(p.startswith(f"reports/2025/{SHANXI}/") for p in touched)
    assert "修订版" not in pdf_text(reports / HUNAN / "province.pdf")
    warehouse = Warehouse.open(url)
    try:
        assert {r.version for r in warehouse.report_versions(2025, HUNAN) if r.kind != "receipt"} == {1}
    finally:
        warehouse.close()


def test_the_run_summary_counts_written_and_skipped_reports(published):
    from test_annual_compliance import latest_artifact

    markdown = latest_artifact("annual-compliance-2025").data
    assert "unchanged (skipped)" in markdown and "## Timings" in markdown
    rankings = json.loads(latest_artifact("rankings-2025").data)
    assert {row["province"] for row in rankings} <= {SHANXI, HUNAN}
    assert all({"rank", "consortium_id", "total", "grade", "shortlisted"} <= set(row) for row in rankings)


def test_a_second_run_on_a_locked_province_stops_with_a_clear_message(sample_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("CHANJIAO_LOCK_WAIT_SECONDS", "0")
    url = f"sqlite:///{tmp_path / 'warehouse.db'}"
    holder = Warehouse.open(url)
    try:
        with holder.lock(["province-14"]):
            with pytest.raises(RunLocked) as caught:
                run(sample_dir, sample_dir / "inbox", tmp_path / "warehouse", url, year=2025)
            # Another province is not blocked by it.
            other = run(sample_dir, sample_dir / "inbox", tmp_path / "warehouse", url, year=2025, provinces=[HUNAN])
    finally:
        holder.close()
    message = str(caught.value)
    assert "province-14 is being processed by another run" in message and f"pid {os.getpid()}" in message
    assert not (tmp_path / "warehouse" / "reports" / "2025" / SHANXI).exists()
    assert set(other["scores"]) == {HUNAN}


def test_a_run_killed_mid_render_leaves_no_partial_file_and_the_next_run_completes(sample_dir, tmp_path):
    inbox, warehouse_dir = tmp_path / "inbox", tmp_path / "warehouse"
    shutil.copytree(sample_dir / "inbox", inbox)
    url = f"sqlite:///{tmp_path / 'warehouse.db'}"
    command = [
        sys.executable,
        "-m",
        "chanjiao.operations.cli",
        "run",
        "--year",
        "2025",
        "--inbox",
        str(inbox),
        "--registry",
        str(sample_dir / "registry.csv"),
        "--extensions",
        str(sample_dir / "extensions.csv"),
        "--warehouse",
        str(warehouse_dir),
        "--database-url",
        url,
        "--as-of",
        "2026-01-10",
        "--no-progress",
    ]
    env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value(), "CHANJIAO_REPORT_WORKERS": "2"}
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    reports = warehouse_dir / "reports" / "2025"
    deadline = time.monotonic() + 240
    try:
        while time.monotonic() < deadline and process.poll() is None:
            if len(list(reports.glob("*/*.pdf"))) >= 2:  # mid-render: some reports written, most not
                break
            time.sleep(0.05)
        assert process.poll() is None, "the run finished before it could be interrupted"
        os.killpg(process.pid, signal.SIGKILL)  # the CLI and its render workers, at once
    finally:
        process.wait(30)
    written = sorted(reports.glob("*/*.pdf"))
    assert 2 <= len(written) < 23, "the kill did not land mid-render"
    for pdf in written:  # whatever is under a report's name is whole
        with pikepdf.open(pdf) as document:
            assert len(document.pages) >= 1
    for table in reports.glob("*/*.csv"):
        assert read_csv(table) is not None
    # A temporary file as a kill during a write leaves it (the rename never happened).
    stray = reports / HUNAN / ".HN-2024-01.pdf.abcd1234.tmp"
    stray.parent.mkdir(parents=True, exist_ok=True)
    stray.write_bytes(b"%PDF-1.7 half a report")

    result = run(sample_dir, inbox, warehouse_dir, url, year=2025, pdf=True)
    assert not list(warehouse_dir.rglob("*.tmp"))
    scored = {
        cid
        for province in (SHANXI, HUNAN)
        for cid in (row["consortium_id"] for row in read_csv(reports / province / "scores.csv"))
    }
    for cid in scored:
        province = SHANXI if cid.startswith("SX") else HUNAN
        with pikepdf.open(reports / province / f"{cid}.pdf") as document:
            assert len(document.pages) > 3
    warehouse = Warehouse.open(url)
    try:
        recorded = {r.subject: r.version for r in warehouse.report_versions(2025, kind="consortium")}
    finally:
        warehouse.close()
    assert recorded == {cid: 1 for cid in scored}  # the interrupted run published nothing half-way
    assert result["pdfs"]["revised"] == []


def test_a_pdf_that_cannot_be_written_fails_the_run_after_the_others_are_published(sample_dir, tmp_path):
    from test_annual_compliance import latest_artifact

    url, warehouse_dir = f"sqlite:///{tmp_path / 'warehouse.db'}", tmp_path / "warehouse"
    blocked = warehouse_dir / "reports" / "2025" / SHANXI / "SX-2024-01.pdf"
    blocked.mkdir(parents=True)  # a folder where the PDF should go: renaming the PDF into place fails
    with pytest.raises(Exception, match=r"1 PDFs of 2025 not written \(the others are published\).*SX-2024-01\.pdf"):
        run(sample_dir, sample_dir / "inbox", warehouse_dir, url, year=2025, pdf=True, provinces=[SHANXI])
    assert "1 PDFs not written" in latest_artifact("annual-compliance-2025").data
    warehouse = Warehouse.open(url)
    try:
        recorded = {r.subject for r in warehouse.report_versions(2025, SHANXI) if r.kind != "receipt"}
    finally:
        warehouse.close()
    assert "SX-2024-01" not in recorded and {"SX-2024-02", SHANXI} <= recorded

    blocked.rmdir()  # the operator fixes the folder; the next run renders just that one
    again = run(sample_dir, sample_dir / "inbox", warehouse_dir, url, year=2025, pdf=True, provinces=[SHANXI])
    assert again["pdfs"]["rendered"] == 1 and again["pdfs"]["actions"]["consortium"]["new"] == 1
    with pikepdf.open(blocked) as document:
        assert len(document.pages) > 3
