"""The warehouse API on SQLite and on a real PostgreSQL (see the ``database_url`` fixture)."""

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from builders import csv_bytes, minimal_fields
from sqlalchemy import inspect, text

from chanjiao.common.errors import ConfigurationError, NotFoundError
from chanjiao.intake.ingest import parse_submission
from chanjiao.reporting.versions import Published
from warehouse import Warehouse


def submission(catalogue, name="2025/a.csv", **fields):
    content = csv_bytes(minimal_fields(consortium_name="大同市通用航空产教联合体", **fields))
    return parse_submission(name, content, catalogue, {"SX-2024-01", "SX-2024-02"})


def test_migration_creates_the_schema_and_is_idempotent(warehouse, database_url):
    warehouse.migrate()
    again = Warehouse.open(database_url)
    tables = set(inspect(again.engine).get_table_names())
    again.close()
    assert {
        "submission_versions",
        "submission_values",
        "rejections",
        "timeliness",
        "consortia",
        "provinces",
        "ingest_runs",
        "alembic_version",
    } <= tables


def test_the_migration_matches_the_models(warehouse):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from warehouse.models import Base

    with warehouse.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []


def test_long_names_and_paths_fit(warehouse):
    """What a hostile or careless file can put in a rejection must never break the run on PostgreSQL."""
    file = "2025/" + "很长的文件名" * 60 + ".csv"
    warehouse.replace_rejections([(file, 2025, "h", "x" * 300, "reason " * 200)])
    assert warehouse.rejections(2025)[0].field == "x" * 300


def test_versions_are_numbered_per_consortium_year_kind(warehouse, catalogue):
    run = warehouse.start_run("inbox")
    first = warehouse.save_submission(submission(catalogue, "2025/a.csv"), run)
    second = warehouse.save_submission(submission(catalogue, "2025/b.csv", co_majors=3), run)
    other = warehouse.save_submission(submission(catalogue, "2025/c.csv", consortium_id="SX-2024-02"), run)
    assert (first.version, second.version, other.version) == (1, 2, 1)
    assert first.id < second.id < other.id  # the ingest sequence
    assert warehouse.known_hashes() == {first.sha256, second.sha256, other.sha256}
    assert [v.source_file for v in warehouse.versions(2025, ["SX-2024-01"])] == ["2025/a.csv", "2025/b.csv"]
    assert warehouse.versions(2024) == []


def test_values_round_trip_with_chinese_text_and_problems(warehouse, catalogue):
    saved = warehouse.save_submission(
        submission(catalogue, co_majors="十二", employment_rate_pct="85％", submitted_on="2025年1月10日")
    )
    values = warehouse.values(saved.id)
    assert values["consortium_name"].value == "大同市通用航空产教联合体"
    assert values["co_majors"].raw == "十二" and values["co_majors"].value is None and values["co_majors"].problem
    assert values["employment_rate_pct"].value == "85" and values["employment_rate_pct"].raw == "85％"
    assert values["submitted_on"].value == "2025-01-10"
    assert saved.submitted_on == date(2025, 1, 10) and saved.consortium_name == "大同市通用航空产教联合体"


def test_withdraw_marks_and_keeps(warehouse, catalogue):
    warehouse.save_submission(submission(catalogue))
    record = warehouse.withdraw("SX-2024-01", 2025, "plan", 1, "  filed for the wrong consortium ")
    assert record.withdrawn and record.withdrawn_reason == "filed for the wrong consortium"
    assert warehouse.versions(2025)[0].withdrawn
    with pytest.raises(ConfigurationError, match="already withdrawn on .* \\(filed for the wrong consortium\\)"):
        warehouse.withdraw("SX-2024-01", 2025, "plan", 1, "again")
    with pytest.raises(NotFoundError, match="no version 2 of the 2025 plan \\(versions on file: 1\\)"):
        warehouse.withdraw("SX-2024-01", 2025, "plan", 2, "x")
    with pytest.raises(NotFoundError, match="no versions on file"):
        warehouse.withdraw("SX-2024-02", 2025, "plan", 1, "x")


def test_rejections_are_replaced_each_run(warehouse):
    warehouse.replace_rejections(
        [("2025/a.csv", 2025, "h1", "year", "a: bad year"), ("2024/b.csv", 2024, "h2", "-", "b: broken")]
    )
    first_seen = warehouse.rejections(2025)[0].first_seen_at
    warehouse.replace_rejections([("2025/a.csv", 2025, "h1", "year", "a: bad year")])
    assert [r.file for r in warehouse.rejections()] == ["2025/a.csv"]
    assert warehouse.rejections(2025)[0].first_seen_at == first_seen  # same file, same content
    warehouse.replace_rejections([])
    assert warehouse.rejections() == []


def test_timeliness_is_replaced_per_year_and_province(warehouse):
    row = {
        "consortium_id": "SX-2024-01",
        "kind": "plan",
        "province_code": "14",
        "due_date": date(2025, 1, 15),
        "extended": False,
        "status": "late",
        "days_late": 2,
        "city_approved": True,
        "first_version": 1,
        "first_submitted_on": date(2025, 1, 17),
        "version": 1,
        "source_file": "2025/a.csv",
    }
    other = {**row, "consortium_id": "HN-2024-01", "province_code": "43"}
    warehouse.save_timeliness([row, other], year=2025, province_codes=["14", "43"], as_of=date(2025, 6, 1))
    warehouse.save_timeliness(
        [{**row, "status": "on_time", "days_late": 0}], year=2025, province_codes=["14"], as_of=date(2025, 6, 2)
    )
    stored = warehouse.timeliness(2025)
    assert [(r["consortium_id"], r["status"]) for r in stored] == [("HN-2024-01", "late"), ("SX-2024-01", "on_time")]
    assert warehouse.timeliness(2025, "14")[0]["as_of"] == date(2025, 6, 2)


def test_registry_sync_upserts(warehouse, reference):
    registry = reference.registry.astype(object).where(reference.registry.notna(), None)
    warehouse.sync_registry(registry.to_dict("records"), reference.provinces.to_dict("records"))
    warehouse.sync_registry(registry.to_dict("records"), reference.provinces.to_dict("records"))
    names = warehouse.consortium_names()
    assert names["HN-2024-01"] == "株洲市轨道交通市域产教联合体" and len(names) == 5


def _finding(version_id: int, rule: str = "yoy", field: str = "apprentices", **extra) -> dict:
    return {
        "version_id": version_id,
        "field": field,
        "rule": rule,
        "rule_id": f"{field}.{rule}",
        "severity": "warning",
        "veto": False,
        "message": "「中国特色学徒制培养」变化超过±50%。",
        "fix": "请说明",
        "value": "100人 → 160人",
        "involves": field,
        "explanation": None,
        **extra,
    }


def test_findings_are_replaced_per_validated_version(warehouse, catalogue):
    first = warehouse.save_submission(submission(catalogue, "2025/a.csv"))
    second = warehouse.save_submission(submission(catalogue, "2025/b.csv", co_majors=3))
    assert (
        warehouse.save_findings([first.id, second.id], [_finding(first.id), _finding(second.id, "le", "patents")]) == 2
    )
    assert [f["rule"] for f in warehouse.findings([first.id, second.id])] == ["yoy", "le"]
    warehouse.save_findings([first.id], [])  # revalidated and clean now
    assert [f["version_id"] for f in warehouse.findings([first.id, second.id])] == [second.id]
    validated = {v.id: v.validated_at for v in warehouse.versions(2025)}
    assert validated[first.id] is not None and validated[second.id] is not None


def test_overrides_are_kept_with_who_when_why_and_not_recorded_twice(warehouse, catalogue):
    from chanjiao.common.errors import ConfigurationError
    from chanjiao.quality.checks import Override

    saved = warehouse.save_submission(submission(catalogue))
    record = Override(
        consortium_id="SX-2024-01",
        year=2025,
        kind="plan",
        field="apprentices",
        rule="yoy",
        value="100人 → 160人",
        reason="新开学徒制班",
        by="李审核",
        at=None,
    )
    kept = warehouse.add_override(record, version_id=saved.id)
    assert (kept.by, kept.reason, kept.value) == ("李审核", "新开学徒制班", "100人 → 160人") and kept.at is not None
    with pytest.raises(ConfigurationError, match="already accepted by 李审核"):
        warehouse.add_override(record)
    assert warehouse.overrides(2025) == [kept] and warehouse.overrides(2024) == []
    assert warehouse.overrides(consortium_ids=["SX-2024-02"]) == []


def test_a_missing_cell_from_a_frame_is_stored_as_null(warehouse, catalogue):
    saved = warehouse.save_submission(submission(catalogue))
    warehouse.save_findings([saved.id], [_finding(saved.id, explanation=float("nan"))])
    assert warehouse.findings([saved.id])[0]["explanation"] is None  # PostgreSQL would keep the text 'NaN'


def test_frames_are_stored_as_they_are_with_their_gaps_as_null(warehouse, catalogue, reference):
    """The API takes a stage's frames as they come (NaN, NaT, pd.NA): the gaps are NULL, in one place."""
    import pandas as pd

    warehouse.sync_registry(reference.registry, reference.provinces)  # industry_codes, status_year: NaN
    assert warehouse.consortium_names()["HN-2024-01"] == "株洲市轨道交通市域产教联合体"
    row = {
        "consortium_id": "SX-2024-01",
        "kind": "plan",
        "province_code": "14",
        "due_date": date(2025, 1, 15),
        "extended": False,
        "status": "missing",
        "days_late": float("nan"),
        "city_approved": False,
        "first_version": pd.NA,
        "first_submitted_on": pd.NaT,
        "version": float("nan"),
        "source_file": None,
    }
    assert warehouse.save_timeliness(pd.DataFrame([row]), year=2025, province_codes=["14"], as_of=date(2025, 6, 1)) == 1
    [stored] = warehouse.timeliness(2025)
    assert [stored[c] for c in ("days_late", "first_version", "first_submitted_on", "latest_version")] == [None] * 4
    saved = warehouse.save_submission(submission(catalogue))
    warehouse.save_findings([saved.id], pd.DataFrame([_finding(saved.id, explanation=float("nan"))]))
    assert warehouse.findings([saved.id])[0]["explanation"] is None


def test_opening_again_reuses_the_process_engine(warehouse, database_url):
    """Tasks open the warehouse dozens of times a run: one engine per database, kept for the process."""
    from warehouse.api import _engines

    with Warehouse.open(database_url) as again:
        assert again.engine is warehouse.engine
        assert again.versions() == []
    assert _engines[database_url] is warehouse.engine
    warehouse.close()  # a handle closes; the engine stays for the next one
    assert Warehouse.open(database_url).engine is warehouse.engine


def test_a_deleted_sqlite_file_is_made_afresh(tmp_path):
    url = f"sqlite:///{tmp_path / 'gone.db'}"
    first = Warehouse.open(url)
    first.sync_registry([], [{"province_code": "14", "province": "山西省", "department": "厅", "framework": "x"}])
    (tmp_path / "gone.db").unlink()
    for suffix in ("-wal", "-shm"):
        (tmp_path / f"gone.db{suffix}").unlink(missing_ok=True)
    again = Warehouse.open(url)
    assert again.engine is not first.engine and again.consortium_names() == {}


def test_validation_digests_are_kept_with_the_validated_versions(warehouse, catalogue):
    first = warehouse.save_submission(submission(catalogue, "2025/a.csv"))
    second = warehouse.save_submission(submission(catalogue, "2025/b.csv", co_majors=3))
    assert {v.id: v.validated_digest for v in warehouse.versions(2025)} == {first.id: None, second.id: None}
    warehouse.save_findings([first.id, second.id], [], digests={first.id: "a" * 64})
    assert {v.id: v.validated_digest for v in warehouse.versions(2025)} == {first.id: "a" * 64, second.id: None}
    warehouse.save_findings([first.id], [])  # validated again without a digest: cleared
    assert {v.id: v.validated_digest for v in warehouse.versions(2025)} == {first.id: None, second.id: None}


# --- published report versions -------------------------------------------------------------------------------

BEIJING = timezone(timedelta(hours=8))
FIRST = datetime(2026, 1, 1, 1, 30, tzinfo=BEIJING)  # 2025-12-31 17:30 UTC
LATER = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)


def published(subject="SX-2024-01", version=1, kind="consortium", at=FIRST, **extra) -> Published:
    fields = {
        "kind": kind,
        "year": 2025,
        "subject": subject,
        "version": version,
        "fingerprint": f"{version:064x}",
        "parts": {"template": "t1", "framework": "c8ec", "data": "d" * 64},
        "reasons": ("本联合体报送数据或数据质量结论更新", "省内联合体数据更新：SX-2024-01、SX-2024-02"),
        "published_at": at,
        "path": f"reports/2025/14/versions/{subject}-v{version}.pdf",
        "pages": 11,
    }
    return Published(**{**fields, **extra})


def test_a_published_version_reads_back_as_it_was_recorded(warehouse):
    record = published()
    assert warehouse.record_report_versions([(record, "14")]) == 1
    [back] = warehouse.report_versions(2025)
    assert back.published_at.tzinfo is not None
    assert back.published_at == FIRST  # the same instant, whatever the zone
    assert back == record
    assert back.reasons == ("本联合体报送数据或数据质量结论更新", "省内联合体数据更新：SX-2024-01、SX-2024-02")
    assert back.parts == {"template": "t1", "framework": "c8ec", "data": "d" * 64}
    no_reasons = published("SX-2024-02", reasons=(), parts={})
    warehouse.record_report_versions([(no_reasons, "14")])
    assert warehouse.report_versions(2025)[1] == no_reasons


def test_rendering_a_version_again_updates_its_pages_but_not_its_archive_or_publication(warehouse):
    first = published(at=LATER)
    warehouse.record_report_versions([(first, "14")])
    again = published(at=LATER + timedelta(days=30), path="reports/2025/14/SX-2024-01.pdf", pages=12)
    assert warehouse.record_report_versions([(again, "14")]) == 1
    [back] = warehouse.report_versions(2025)
    assert (back.path, back.pages, back.version) == (first.path, 12, 1)
    assert back.published_at == LATER
    with warehouse.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM report_versions")).scalar() == 1


def test_a_new_version_is_added_beside_the_earlier_ones(warehouse):
    warehouse.record_report_versions([(published(at=LATER), "14")])
    warehouse.record_report_versions([(published(version=2, at=LATER + timedelta(days=1), reasons=("r",)), "14")])
    versions = warehouse.report_versions(2025)
    assert [(p.subject, p.version, p.reasons) for p in versions] == [
        ("SX-2024-01", 1, published().reasons),
        ("SX-2024-01", 2, ("r",)),
    ]
    assert versions[0].published_at == LATER and versions[1].published_at == LATER + timedelta(days=1)


def test_report_versions_by_year_province_and_kind(warehouse):
    warehouse.record_report_versions(
        [
            (published("SX-2024-02", 2, at=LATER), "14"),
            (published("SX-2024-02", 1, at=LATER), "14"),
            (published("14", 1, kind="province", at=LATER), "14"),
            (published("HN-2024-01", 1, at=LATER), "43"),
            (published("SX-2024-01-summary-v2", 1, kind="receipt", at=LATER), "14"),
            (published("SX-2024-01", 1, at=LATER, year=2024), "14"),
        ]
    )
    everything = [(p.kind, p.subject, p.version) for p in warehouse.report_versions(2025)]
    assert everything == [
        ("consortium", "HN-2024-01", 1),
        ("consortium", "SX-2024-02", 1),
        ("consortium", "SX-2024-02", 2),
        ("province", "14", 1),
        ("receipt", "SX-2024-01-summary-v2", 1),
    ]
    assert [(p.kind, p.subject) for p in warehouse.report_versions(2025, "43")] == [("consortium", "HN-2024-01")]
    assert [p.subject for p in warehouse.report_versions(2025, "14", kind="consortium")] == ["SX-2024-02"] * 2
    assert [p.subject for p in warehouse.report_versions(2025, kind="receipt")] == ["SX-2024-01-summary-v2"]
    assert [p.year for p in warehouse.report_versions(2024)] == [2024]
    assert warehouse.report_versions(2026) == [] and warehouse.report_versions(2025, "11") == []
