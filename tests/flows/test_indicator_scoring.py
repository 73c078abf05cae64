"""End to end, scoring: the flow scores every expected consortium of the sample, agrees with the sample's
answer key on plan completion, marks the two-year failure for adjustment, shortlists by the rule, stores how
each number was made and publishes the ranking."""

from __future__ import annotations

import shutil
from fractions import Fraction

import pytest
from test_annual_compliance import database, latest_artifact, read_csv, run

from chanjiao.quality.timeliness import latest_versions, versions_frame
from chanjiao.reference.frameworks import load_frameworks
from chanjiao.scoring.outputs import POINTS_CSV_COLUMNS, SCORES_COLUMNS
from warehouse import Warehouse

HUNAN = load_frameworks()["hunan-2024"]
INDICATORS = [i.code for i in HUNAN.indicators]


@pytest.fixture(scope="module")
def scored(sample_dir, tmp_path_factory, module_database_url):
    """One 2025 run per database, read by every test here (later tests may add runs, never change inputs)."""
    folder = tmp_path_factory.mktemp("scored")
    inbox = folder / "inbox"
    shutil.copytree(sample_dir / "inbox", inbox)
    warehouse_dir = folder / "warehouse"
    result = run(sample_dir, inbox, warehouse_dir, module_database_url, year=2025)
    return inbox, warehouse_dir, result


@pytest.fixture
def database_url(module_database_url):
    return module_database_url


def _scores(warehouse_dir, year, province):
    return read_csv(warehouse_dir / "reports" / str(year) / province / "scores.csv")


def test_every_expected_consortium_is_scored_with_the_exact_columns(scored, sample_dir):
    _, warehouse_dir, result = scored
    for province, expected in (("14", 10), ("43", 11)):  # HN-2024-09 withdrew from 2025
        path = warehouse_dir / "reports" / "2025" / province / "scores.csv"
        header = path.read_bytes().decode("utf-8-sig").splitlines()[0].split(",")
        assert header == [*SCORES_COLUMNS, *INDICATORS, "note"]
        rows = _scores(warehouse_dir, 2025, province)
        assert len(rows) == expected and {r["framework"] for r in rows} == {"hunan-2024"}
        totals = [float(r["total"]) for r in rows]
        assert totals == sorted(totals, reverse=True)
        for row in rows:  # competition ranks and grades from the total
            assert int(row["rank"]) == 1 + sum(t > float(row["total"]) for t in totals)
            total = Fraction(row["total"])
            assert row["grade"] == (
                "优秀" if total >= 85 else "良好" if total >= 75 else "合格" if total >= 60 else "不合格"
            )
            assert row["note"] == ("no summary" if row["consortium_id"] == "HN-2024-07" else "")
        points = read_csv(warehouse_dir / "reports" / "2025" / province / "points.csv")
        assert list(points[0]) == list(POINTS_CSV_COLUMNS) and len(points) == expected * len(HUNAN.points)
    assert str(warehouse_dir / "reports" / "2025" / "43" / "scores.csv") in result["outputs"]
    assert "HN-2024-09" not in {r["consortium_id"] for r in _scores(warehouse_dir, 2025, "43")}


def test_a_consortium_without_a_summary_appears_with_zero(scored):
    _, warehouse_dir, result = scored
    row = next(r for r in _scores(warehouse_dir, 2025, "43") if r["consortium_id"] == "HN-2024-07")
    assert (row["total"], row["grade"], row["plan_completed"], row["shortlisted"], row["note"]) == (
        "0.0",
        "不合格",
        "false",
        "false",
        "no summary",
    )
    points = [
        p
        for p in read_csv(warehouse_dir / "reports" / "2025" / "43" / "points.csv")
        if p["consortium_id"] == "HN-2024-07"
    ]
    assert {p["no_data"] for p in points} == {"true"} and {p["score"] for p in points} == {"0.00"}
    assert result["scores"]["43"]["no_summary"] == ["HN-2024-07"]


def test_plan_completion_and_adjustment_follow_the_answer_key(scored, manifest):
    _, warehouse_dir, result = scored
    rows = {r["consortium_id"]: r for p in ("14", "43") for r in _scores(warehouse_dir, 2025, p)}
    key = {e["consortium_id"]: e for e in manifest["plan_completion"] if e["year"] == 2025}
    assert {cid: rows[cid]["plan_completed"] == "true" for cid in rows} == {cid: key[cid]["completed"] for cid in rows}
    # HN-2024-10 misses its plan in 2024 and 2025: the only consortium marked for adjustment.
    assert [cid for cid, r in rows.items() if r["adjustment"] == "true"] == ["HN-2024-10"]
    assert result["scores"]["43"]["adjustment"] == ["HN-2024-10"]


def test_the_violation_is_a_deduction_and_blocks_the_shortlist(scored, manifest, database_url):
    _, warehouse_dir, _ = scored
    row = next(r for r in _scores(warehouse_dir, 2025, "43") if r["consortium_id"] == "HN-2024-06")
    assert row["I7"] == "-10.00" and row["shortlisted"] == "false"
    warehouse = Warehouse.open(database_url)
    try:
        stored = {s["consortium_id"]: s for s in warehouse.scores(2025, "43")}
    finally:
        warehouse.close()
    assert "一票否决" in stored["HN-2024-06"]["ineligible_because"]
    assert stored["HN-2024-06"]["deductions"] == 10


def test_scores_say_how_they_were_made(scored, database_url):
    _, warehouse_dir, _ = scored
    warehouse = Warehouse.open(database_url)
    try:
        totals = warehouse.scores(2025, "14")
        points = warehouse.point_scores(2025, "14")
        latest = latest_versions(versions_frame(warehouse.versions(year=2025)))
    finally:
        warehouse.close()
    summaries = dict(
        zip(latest[latest["kind"] == "summary"]["consortium_id"], latest[latest["kind"] == "summary"]["version_id"])
    )
    for total in totals:
        assert (total["framework_id"], total["framework_version"], total["framework_digest"]) == (
            "hunan-2024",
            HUNAN.version,
            HUNAN.digest,
        )
        assert total["summary_version_id"] == summaries.get(total["consortium_id"])
        assert total["as_of"].isoformat() == "2026-01-31" and total["pipeline_version"]
    peer = next(p for p in points if p["point"] == "1.4" and p["consortium_id"] == "SX-2024-01")
    assert peer["method"] == "peer" and peer["inputs"] == "funding_total_10k" and "省内 10 个有效值" in peer["basis"]


def test_the_ranking_artifact_and_an_unchanged_rerun(scored, sample_dir, database_url):
    inbox, warehouse_dir, _ = scored
    artifact = latest_artifact("ranking-2025-43")
    assert artifact.type == "markdown"
    markdown = artifact.data
    assert "湖南省 2025 年度市域产教联合体评分排名" in markdown and "hunan-2024" in markdown
    assert "予以调整：**邵阳经济技术开发区轻工制造市域产教联合体" in markdown
    before = {
        p: (warehouse_dir / "reports" / "2025" / p / name).read_bytes()
        for p in ("14", "43")
        for name in ("scores.csv", "points.csv")
    }
    run(sample_dir, inbox, warehouse_dir, database_url, year=2025)
    assert before == {
        p: (warehouse_dir / "reports" / "2025" / p / name).read_bytes()
        for p in ("14", "43")
        for name in ("scores.csv", "points.csv")
    }


def test_the_shortlist_is_the_eligible_top_three(scored, sample_dir, manifest, database_url):
    """2024: re-derive the shortlist from the outputs by the rule (grade 优秀, plan completed, no violation,
    summary on time and city-approved, top 3 with ties) and compare with the flow's."""
    inbox, warehouse_dir, _ = scored
    run(sample_dir, inbox, warehouse_dir, database_url, year=2024)
    violated = {v["consortium_id"] for v in manifest["violations"] if v["year"] == 2024 and v["kind"] == "summary"}
    for province in ("14", "43"):
        rows = _scores(warehouse_dir, 2024, province)
        timely = {
            r["consortium_id"]: r
            for r in read_csv(warehouse_dir / "reports" / "2024" / province / "submissions.csv")
            if r["kind"] == "summary"
        }
        eligible = [
            r
            for r in rows
            if r["grade"] == "优秀"
            and r["plan_completed"] == "true"
            and r["consortium_id"] not in violated
            and timely[r["consortium_id"]]["status"] == "on_time"
            and timely[r["consortium_id"]]["city_approved"] == "true"
        ]
        third = sorted((float(r["total"]) for r in eligible), reverse=True)[:3][-1:] or [101.0]
        expected = {r["consortium_id"] for r in eligible if float(r["total"]) >= third[0]}
        assert {r["consortium_id"] for r in rows if r["shortlisted"] == "true"} == expected
        assert expected, f"the sample has a shortlisted consortium in province {province} in 2024"


def test_the_scores_command_prints_the_stored_ranking(scored, database_url, capsys):
    from chanjiao.operations.cli import main as cli

    _, warehouse_dir, _ = scored
    assert (
        cli(
            [
                "scores",
                "--year",
                "2025",
                "--province",
                "43",
                "--warehouse",
                str(warehouse_dir),
                "--database-url",
                database_url,
            ]
        )
        == 0
    )
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("province 43 — hunan-2024 v2024.1 (sha256 ")
    assert len(lines) == 2 + 11 and lines[-1].split()[:2] == ["11", "HN-2024-07"] and "(no summary)" in lines[-1]
    assert any("HN-2024-10" in line and " yes " in line for line in lines)  # adjustment


# These two change what the module's warehouse holds: they run last.


def test_a_withdrawn_summary_is_not_scored(scored, sample_dir, database_url):
    inbox, warehouse_dir, _ = scored
    warehouse = Warehouse.open(database_url)
    try:
        summaries = sorted(
            (
                r
                for r in warehouse.versions(year=2025, consortium_ids=["HN-2024-06"])
                if r.kind == "summary" and not r.withdrawn
            ),
            key=lambda r: r.version,
        )
        warehouse.withdraw("HN-2024-06", 2025, "summary", summaries[-1].version, "误报")
    finally:
        warehouse.close()
    run(sample_dir, inbox, warehouse_dir, database_url, year=2025)
    warehouse = Warehouse.open(database_url)
    try:
        stored = {s["consortium_id"]: s for s in warehouse.scores(2025, "43")}["HN-2024-06"]
    finally:
        warehouse.close()
    if len(summaries) > 1:
        assert stored["summary_version_id"] == summaries[-2].id
    else:
        assert stored["summary_version_id"] is None and stored["note"] == "no summary" and stored["total"] == 0


def test_versions_filed_after_the_as_of_date_are_not_scored(scored, sample_dir, database_url):
    from datetime import date

    from flows.annual_compliance import annual_compliance

    inbox, warehouse_dir, _ = scored
    with database(database_url):
        annual_compliance(
            year=2025,
            as_of=date(2025, 6, 30),
            inbox_dir=str(inbox),
            registry_file=str(sample_dir / "registry.csv"),
            extensions_file=str(sample_dir / "extensions.csv"),
            warehouse_dir=str(warehouse_dir),
            pdf=False,
        )
    rows = _scores(warehouse_dir, 2025, "14")
    # On 2025-06-30 no 2025 summary had been filed yet: everyone is listed with no summary.
    assert {(r["total"], r["grade"], r["note"]) for r in rows} == {("0.0", "不合格", "no summary")}
