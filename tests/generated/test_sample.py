"""The seeded sample inbox: reproducible, bundled as generated, and true to the input contract."""

from __future__ import annotations

import csv
import io
import json
import unicodedata
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from chanjiao.generated.sample import DEFAULT_SEED, NORMALISATIONS, generate_sample
from chanjiao.reference.catalogue import load_catalogue

REPO = Path(__file__).resolve().parents[2]
BUNDLED = REPO / "sample"
HEADER = ["字段代码", "字段名称", "填报值", "说明"]


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def fresh(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("sample_a")
    generate_sample(out)
    return out


@pytest.fixture(scope="module")
def manifest(fresh: Path) -> dict:
    return json.loads((fresh / "manifest.json").read_text(encoding="utf-8"))


def _rows(root: Path, entry: dict) -> list[tuple[str, object]]:
    """(code, value) rows of one submission file, read as simply as possible."""
    path = root / "inbox" / entry["file"]
    if entry["format"] == "xlsx":
        wb = openpyxl.load_workbook(path, read_only=True)
        try:
            rows = list(wb["填报数据"].iter_rows(values_only=True))
        finally:
            wb.close()
        assert list(rows[0][:4]) == HEADER
        return [(r[0], r[2]) for r in rows[1:]]
    if entry["format"] == "csv":
        rows = list(csv.reader(io.StringIO(path.read_bytes().decode(entry["encoding"]))))
        assert rows[0] == HEADER
        return [(r[0], r[2]) for r in rows[1:]]
    document = json.loads(path.read_text(encoding="utf-8"))
    return list(document["fields"].items())


def _number(value: object) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)):
        return Decimal(str(value))
    text = unicodedata.normalize("NFKC", str(value)).replace(",", "").rstrip("%")
    return Decimal(text)


def test_same_seed_gives_byte_identical_trees(fresh: Path, tmp_path: Path) -> None:
    generate_sample(tmp_path)
    first, second = _tree(fresh), _tree(tmp_path)
    assert sorted(first) == sorted(second)
    differing = [name for name in first if first[name] != second[name]]
    assert differing == []


def test_another_seed_gives_another_sample(fresh: Path, tmp_path: Path) -> None:
    generate_sample(tmp_path, seed=DEFAULT_SEED + 1)
    assert _tree(fresh)["registry.csv"] == _tree(tmp_path)["registry.csv"]
    assert _tree(fresh)["manifest.json"] != _tree(tmp_path)["manifest.json"]


def test_regenerating_into_the_same_folder_replaces_the_old_inbox(tmp_path: Path) -> None:
    generate_sample(tmp_path, seed=DEFAULT_SEED + 1)
    (tmp_path / "inbox" / "2025" / "stale.csv").write_text("old", encoding="utf-8")
    generate_sample(tmp_path)
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    on_disk = {p.relative_to(tmp_path / "inbox").as_posix() for p in (tmp_path / "inbox").rglob("*") if p.is_file()}
    assert on_disk == {entry["file"] for entry in manifest["files"]}


def test_bundled_sample_is_the_default_generation(fresh: Path) -> None:
    bundled, generated = _tree(BUNDLED), _tree(fresh)
    assert sorted(bundled) == sorted(generated), "regenerate with: python -m chanjiao.generated.sample sample"
    stale = [name for name in generated if bundled[name] != generated[name]]
    assert stale == [], "regenerate with: python -m chanjiao.generated.sample sample"


def test_manifest_lists_every_inbox_file_exactly_once(fresh: Path, manifest: dict) -> None:
    listed = [entry["file"] for entry in manifest["files"]]
    on_disk = sorted(p.relative_to(fresh / "inbox").as_posix() for p in (fresh / "inbox").rglob("*") if p.is_file())
    assert len(listed) == len(set(listed))
    assert sorted(listed) == on_disk
    assert manifest["seed"] == DEFAULT_SEED
    for entry in manifest["files"]:
        assert entry["file"].split("/")[0] in ("2024", "2025")
        assert entry["expected"] in ("accepted", "rejected")
        assert ("rejected_field" in entry) == (entry["expected"] == "rejected")


def test_files_follow_the_contract(fresh: Path, manifest: dict) -> None:
    catalogue = load_catalogue()
    for entry in manifest["files"]:
        if entry["expected"] == "rejected" and entry["rejected_field"] == "-":
            with pytest.raises(zipfile.BadZipFile):
                _rows(fresh, entry)
            continue
        rows = _rows(fresh, entry)
        assert rows, entry["file"]
        if entry["expected"] == "accepted":
            codes = [code for code, _ in rows]
            assert len(codes) == len(set(codes)), entry["file"]
            assert set(codes) <= set(catalogue.codes), entry["file"]
            expected = [f.code for f in catalogue.for_kind(entry["kind"])]
            assert codes == expected, f"{entry['file']}: not the catalogue's fields in catalogue order"
        elif entry["rejected_field"] not in catalogue:
            assert entry["rejected_field"] in [code for code, _ in rows]


def test_csv_encodings_are_as_recorded(fresh: Path, manifest: dict) -> None:
    for entry in manifest["files"]:
        if entry["format"] != "csv":
            continue
        content = (fresh / "inbox" / entry["file"]).read_bytes()
        assert content.startswith(b"\xef\xbb\xbf") == (entry["encoding"] == "utf-8-sig"), entry["file"]
        if entry["encoding"] == "gb18030":
            with pytest.raises(UnicodeDecodeError):
                content.decode("utf-8")
    encodings = {e["encoding"] for e in manifest["files"] if e["format"] == "csv"}
    assert encodings == {"utf-8", "utf-8-sig", "gb18030"}


def test_sum_rules_hold_in_clean_files(fresh: Path, manifest: dict) -> None:
    catalogue = load_catalogue()
    sums = [(f.code, rule) for f in catalogue for rule in f.rules if rule.name == "sum_eq"]
    assert sums
    checked = broken = 0
    for entry in manifest["files"]:
        if entry["expected"] != "accepted":
            continue
        values = dict(_rows(fresh, entry))
        faulty = {(fault["field"], fault["rule"]) for fault in entry["faults"]}
        for code, rule in sums:
            parts = [_number(values.get(x)) for x in rule.fields]
            total = _number(values.get(code))
            if total is None or any(p is None for p in parts):
                continue
            holds = abs(total - sum(parts)) <= rule.tolerance
            if (code, "sum_eq") in faulty:
                assert not holds, f"{entry['file']}: the deliberate {code} fault is not there"
                broken += 1
            else:
                assert holds, f"{entry['file']}: {code} != {' + '.join(rule.fields)}"
                checked += 1
    assert checked > 50 and broken == 1


def test_sample_covers_the_scenarios(manifest: dict) -> None:
    accepted = [e for e in manifest["files"] if e["expected"] == "accepted"]
    covered = {tag for e in accepted for tag in e["normalisation"]}
    assert set(NORMALISATIONS) <= covered
    formats = [e["format"] for e in manifest["files"]]
    assert formats.count("xlsx") > formats.count("csv") > formats.count("json") > 0
    rejected = {e["rejected_field"] for e in manifest["files"] if e["expected"] == "rejected"}
    assert {"consortium_id", "year", "submitted_on", "-"} <= rejected
    rules = {(f["field"], f["rule"]) for e in accepted for f in e["faults"]}
    assert {
        ("funding_total_10k", "sum_eq"),
        ("patents", "le"),
        ("employment_rate_pct", "max"),
        ("employment_rate_pct", "warn_equal"),
        ("case_2_text", "required_if"),
        ("consortium_name", "registry_name"),
        ("industry_codes", "in_city_layout"),
    } <= rules
    assert any(f["rule"] == "yoy" and f.get("explained") for e in accepted for f in e["faults"])
    assert len(manifest["missing"]) == 3 and manifest["late"] and manifest["not_city_approved"]
    assert all(1 <= late["days_late"] <= 20 for late in manifest["late"])
    incomplete = {
        (p["consortium_id"], p["year"]) for p in manifest["plan_completion"] if not p["completed"] and "reason" not in p
    }
    assert {cid for cid, _ in incomplete} == {"HN-2024-10"} and len(incomplete) == 2


def test_an_inbox_that_is_not_a_sample_is_never_cleared(tmp_path: Path) -> None:
    submission = tmp_path / "inbox" / "2025" / "real.xlsx"
    submission.parent.mkdir(parents=True)
    submission.write_bytes(b"a real submission")
    with pytest.raises(FileExistsError):
        generate_sample(tmp_path)
    assert submission.read_bytes() == b"a real submission"
