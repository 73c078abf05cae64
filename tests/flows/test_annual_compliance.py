"""End to end: the annual-compliance flow on the generated sample, on SQLite and on PostgreSQL."""

from __future__ import annotations

import csv
import io
import os
import shutil
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from builders import csv_bytes, minimal_fields

from chanjiao.common.exports import REJECTED_COLUMNS, SUBMISSIONS_COLUMNS
from flows.annual_compliance import annual_compliance
from warehouse import Warehouse

AS_OF = date(2026, 1, 31)  # every 2024 and 2025 deadline has passed


def read_csv(path: Path) -> list[dict]:
    content = path.read_bytes()
    assert content.startswith(b"\xef\xbb\xbf"), f"{path} lacks the UTF-8 BOM"
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


@contextmanager
def database(url: str):
    """The warehouse URL as a worker gets it: from its settings (the environment), never a flow parameter."""
    before = os.environ.get("CHANJIAO_DATABASE_URL")
    os.environ["CHANJIAO_DATABASE_URL"] = url
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("CHANJIAO_DATABASE_URL", None)
        else:
            os.environ["CHANJIAO_DATABASE_URL"] = before


def run(sample_dir: Path, inbox: Path, warehouse_dir: Path, database_url: str, year: int = 2025, **extra) -> dict:
    """One flow run on the sample; data only unless a test asks for the PDFs (``pdf=True``)."""
    extra.setdefault("pdf", False)
    with database(database_url):
        return annual_compliance(
            year=year,
            as_of=AS_OF,
            inbox_dir=str(inbox),
            registry_file=str(sample_dir / "registry.csv"),
            extensions_file=str(sample_dir / "extensions.csv"),
            warehouse_dir=str(warehouse_dir),
            **extra,
        )


def latest_artifact(key: str):
    """The newest artifact with ``key`` on the session's Prefect server (other tests' runs leave theirs too)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
    from prefect.client.schemas.sorting import ArtifactSort

    with get_client(sync_client=True) as client:
        found = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key])), sort=ArtifactSort.CREATED_DESC, limit=1
        )
    assert found, f"no artifact {key}"
    return found[0]


def test_annual_compliance_end_to_end(sample_dir, manifest, database_url, tmp_path):
    inbox = tmp_path / "inbox"
    shutil.copytree(sample_dir / "inbox", inbox)
    warehouse_dir = tmp_path / "warehouse"
    files = manifest["files"]
    accepted = [f for f in files if f["expected"] == "accepted"]
    rejected = {f["file"]: f for f in files if f["expected"] == "rejected"}

    result = run(sample_dir, inbox, warehouse_dir, database_url)

    # Ingest: every file of every year, each accepted or rejected exactly as it was built to be.
    assert result["files_seen"] == len(files)
    assert result["accepted"] == len(accepted)
    assert {file for file, _ in result["rejected"]} == set(rejected)
    for file, reason in result["rejected"]:
        assert reason.startswith(file)
        if rejected[file]["rejected_field"] != "-":
            assert f"field {rejected[file]['rejected_field']}" in reason, reason

    # Exports: the contract's columns; one row per expected consortium x kind, statuses as built.
    reports = warehouse_dir / "reports" / "2025"
    rows = read_csv(reports / "14" / "submissions.csv") + read_csv(reports / "43" / "submissions.csv")
    assert tuple(read_csv(reports / "14" / "submissions.csv")[0]) == SUBMISSIONS_COLUMNS
    by_key = {(r["consortium_id"], r["kind"]): r for r in rows}
    assert len(by_key) == len(rows)
    for missing in (m for m in manifest["missing"] if m["year"] == 2025):
        assert by_key[(missing["consortium_id"], missing["kind"])]["status"] == "missing"
    for late in (m for m in manifest["late"] if m["year"] == 2025):
        row = by_key[(late["consortium_id"], late["kind"])]
        assert (row["status"], int(row["days_late"])) == ("late", late["days_late"])
    for item in (m for m in manifest["not_city_approved"] if m["year"] == 2025):
        assert by_key[(item["consortium_id"], item["kind"])]["city_approved"] == "false"
    filed = {(f["consortium_id"], f["kind"]) for f in accepted if f["year"] == 2025}
    assert {k for k, r in by_key.items() if r["status"] in ("on_time", "late")} == filed
    for row in rows:
        if row["status"] in ("on_time", "late"):
            assert row["source_file"].startswith("2025/") and int(row["version"]) >= 1
    rejected_rows = read_csv(reports / "_rejected.csv")
    header = (reports / "_rejected.csv").read_bytes().decode("utf-8-sig").splitlines()[0]
    assert tuple(header.split(",")) == REJECTED_COLUMNS
    assert {r["file"] for r in rejected_rows} == {f for f in rejected if f.startswith("2025/")}
    assert (warehouse_dir / "reports" / "2024" / "_rejected.csv").exists()

    # The warehouse holds every version, with timeliness.
    handle = Warehouse.open(database_url)
    try:
        assert len(handle.versions()) == len(accepted)
        assert len(handle.timeliness(2025)) == len(rows)
    finally:
        handle.close()

    # A second run with nothing new ingests nothing and changes nothing.
    exported = (reports / "14" / "submissions.csv").read_bytes()
    again = run(sample_dir, inbox, warehouse_dir, database_url)
    assert (again["accepted"], again["unchanged"]) == (0, len(accepted))
    assert {f for f, _ in again["rejected"]} == set(rejected)  # rejections are retried every run
    assert (reports / "14" / "submissions.csv").read_bytes() == exported

    # A resubmission becomes the next version and the one named in the export; withdrawing it rolls back.
    target = next(r for r in rows if r["status"] in ("on_time", "late") and r["consortium_id"].startswith("SX"))
    before = int(target["version"])
    resubmitted = csv_bytes(
        minimal_fields(
            consortium_id=target["consortium_id"],
            kind=target["kind"],
            submitted_on="2025-12-31",
            city_approved_on="2025-12-30",
        )
    )
    (inbox / "2025" / "resubmission.csv").write_bytes(resubmitted)
    third = run(sample_dir, inbox, warehouse_dir, database_url, provinces=["14"])
    assert third["accepted"] == 1 and set(third["provinces"]) == {"14"}
    updated = {(r["consortium_id"], r["kind"]): r for r in read_csv(reports / "14" / "submissions.csv")}
    row = updated[(target["consortium_id"], target["kind"])]
    assert (row["source_file"], int(row["version"]), row["city_approved"]) == (
        "2025/resubmission.csv",
        before + 1,
        "true",
    )
    assert row["status"] == target["status"]  # timeliness still judged on the first version

    handle = Warehouse.open(database_url)
    try:
        handle.withdraw(target["consortium_id"], 2025, target["kind"], before + 1, "filed in error")
    finally:
        handle.close()
    run(sample_dir, inbox, warehouse_dir, database_url, provinces=["14"])
    restored = {(r["consortium_id"], r["kind"]): r for r in read_csv(reports / "14" / "submissions.csv")}
    assert restored[(target["consortium_id"], target["kind"])]["version"] == target["version"]


def test_a_registry_fix_cures_a_rejected_file(sample_dir, tmp_path):
    """Rejections are retried every run: once the registry knows the consortium, its file is accepted."""
    inbox = tmp_path / "inbox"
    (inbox / "2025").mkdir(parents=True)
    (inbox / "2025" / "new.csv").write_bytes(csv_bytes(minimal_fields(consortium_id="SX-2025-09")))
    url = f"sqlite:///{tmp_path / 'wh.db'}"
    first = run(sample_dir, inbox, tmp_path / "wh", url)
    assert [f for f, _ in first["rejected"]] == ["2025/new.csv"]
    registry = tmp_path / "registry.csv"
    registry.write_text(
        (sample_dir / "registry.csv").read_text(encoding="utf-8")
        + "SX-2025-09,新认定产教联合体,14,山西省,太原市,provincial,2025,某开发区,某学院,某企业,,,\n",
        encoding="utf-8",
    )
    with database(url):
        second = annual_compliance(
            year=2025,
            as_of=AS_OF,
            inbox_dir=str(inbox),
            registry_file=str(registry),
            warehouse_dir=str(tmp_path / "wh"),
            pdf=False,
        )
    assert second["accepted"] == 1 and second["rejected"] == []
    assert read_csv(tmp_path / "wh" / "reports" / "2025" / "_rejected.csv") == []


def test_odd_file_names_and_unforeseen_errors_never_stop_the_run(sample_dir, tmp_path, monkeypatch):
    """A GBK-encoded file name (unzipped from a Windows archive) and a reader bug are contained per file."""
    import os

    import tasks.intake

    inbox = tmp_path / "inbox" / "2025"
    inbox.mkdir(parents=True)
    gbk_name = os.fsdecode("报送材料.csv".encode("gbk"))
    (inbox / gbk_name).write_bytes(csv_bytes(minimal_fields()))
    (inbox / "boom.csv").write_bytes(csv_bytes(minimal_fields(consortium_id="SX-2024-02")))
    (inbox / "fine.csv").write_bytes(csv_bytes(minimal_fields(consortium_id="SX-2024-03")))
    real = tasks.intake.parse_submission

    def flaky(name, *args, **kwargs):
        if name.endswith("boom.csv"):
            raise RuntimeError("reader bug")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(tasks.intake, "parse_submission", flaky)
    url = f"sqlite:///{tmp_path / 'wh.db'}"
    result = run(sample_dir, tmp_path / "inbox", tmp_path / "wh", url)
    assert result["accepted"] == 2
    assert result["rejected"] == [("2025/boom.csv", "2025/boom.csv: could not be read (RuntimeError: reader bug)")]
    handle = Warehouse.open(url)
    try:
        assert sorted(v.source_file for v in handle.versions()) == ["2025/fine.csv", "2025/报送材料.csv"]
    finally:
        handle.close()


def test_each_year_is_a_subflow_whose_parameters_keep_no_settings(sample_dir, tmp_path):
    """The Prefect UI shows each year of a run as a subflow of it; what it keeps of the run context is the
    run's choices and paths, never the settings (the database URL) nor the reference data."""
    import json

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterParentFlowRunId

    url = f"sqlite:///{tmp_path / 'wh.db'}"
    with database(url):
        state = annual_compliance(
            provinces=["43"],
            as_of=AS_OF,  # 01-31: last year and this one
            pdf=False,
            inbox_dir=str(sample_dir / "inbox"),
            registry_file=str(sample_dir / "registry.csv"),
            warehouse_dir=str(tmp_path / "wh"),
            return_state=True,
        )
    result = state.result()
    assert [year["year"] for year in result["years"]] == [2025, 2026]
    with get_client(sync_client=True) as client:
        parent = state.state_details.flow_run_id
        subflows = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[parent]))
        )
    assert sorted(run.name for run in subflows) == ["annual-compliance-2025", "annual-compliance-2026"]
    assert all(run.state.is_completed() for run in subflows)
    kept = subflows[0].parameters["run"]
    assert {"year", "years", "provinces", "as_of", "force", "pdf", "paths"} <= set(kept)
    assert kept["provinces"] == ["43"] and kept["paths"]["warehouse_dir"] == str(tmp_path / "wh")
    assert not {"settings", "reference", "ingest"} & set(kept)
    assert "sqlite:///" not in json.dumps([run.parameters for run in subflows])
