"""The national-scale generator: clones of the sample's consortia, registered and attributed as themselves."""

from __future__ import annotations

import csv
import html
import io
import json
import zipfile
from pathlib import Path

import pytest

from chanjiao.generated.clones import clone_bytes, swap_text
from chanjiao.generated.national import CITIES, MANIFEST, generate_national, national_provinces
from chanjiao.intake.ingest import parse_submission
from chanjiao.quality.checks import normalise_name
from chanjiao.reference.catalogue import load_catalogue
from chanjiao.reference.registry import load_reference

SAMPLE = Path(__file__).resolve().parents[2] / "sample"
EXPECTED_IDS = {f"{prefix}-2024-{n:03d}" for prefix in ("SX", "HN") for n in range(1, 5)}


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _text(path: Path, entry: dict) -> str:
    """All the text of a submission file as a person reads it (a workbook's XML unescaped)."""
    if entry["format"] != "xlsx":
        return path.read_bytes().decode(entry["encoding"])
    with zipfile.ZipFile(path) as archive:
        return html.unescape("".join(archive.read(n).decode("utf-8") for n in archive.namelist()))


@pytest.fixture(scope="module")
def national(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("national_a")
    return out, generate_national(out, provinces=2, per_province=4)


@pytest.fixture(scope="module")
def registry(national) -> dict[str, dict[str, str]]:
    out, _ = national
    with open(out / "registry.csv", encoding="utf-8", newline="") as handle:
        return {row["consortium_id"]: row for row in csv.DictReader(handle)}


@pytest.fixture(scope="module")
def sample_registry() -> dict[str, dict[str, str]]:
    with open(SAMPLE / "registry.csv", encoding="utf-8", newline="") as handle:
        return {row["consortium_id"]: row for row in csv.DictReader(handle)}


def test_provinces_always_include_shanxi_and_hunan():
    assert national_provinces(1) == ["43"]
    assert national_provinces(2) == ["14", "43"]
    assert national_provinces(3) == ["11", "14", "43"]
    assert len(national_provinces(31)) == 31 and {"14", "43"} <= set(national_provinces(31))
    with pytest.raises(ValueError):
        national_provinces(32)


def test_registry_holds_exactly_the_clones_in_their_provinces(national, registry):
    out, manifest = national
    assert set(registry) == EXPECTED_IDS
    assert manifest["provinces"] == ["14", "43"]
    for cid, row in registry.items():
        code, province = ("14", "山西省") if cid.startswith("SX-") else ("43", "湖南省")
        assert (row["province_code"], row["province"]) == (code, province)
        assert row["status"] == "active" and row["recognized_year"] == "2024"
        if code == "14":
            assert row["city"] in CITIES["14"]
        assert row["name"].startswith(row["city"]) and row["dev_zone"]
    assert len({row["name"] for row in registry.values()}) == len(registry)
    # The pipeline's own loader accepts registry and extensions (Hunan's industry codes included).
    reference = load_reference(out / "registry.csv", out / "extensions.csv")
    assert set(reference.registry.index) == EXPECTED_IDS
    assert set(reference.extensions["consortium_id"]) <= EXPECTED_IDS


def test_every_clone_has_both_years_of_files(national):
    out, manifest = national
    by_clone: dict[str, set[tuple[int, str]]] = {}
    for entry in manifest["files"]:
        assert (out / "inbox" / entry["file"]).is_file()
        assert entry["file"].startswith(f"{entry['year']}/")
        by_clone.setdefault(entry["consortium_id"], set()).add((entry["year"], entry["kind"]))
    assert set(by_clone) == EXPECTED_IDS
    for kinds in by_clone.values():
        assert {year for year, _ in kinds} == {2024, 2025}
    on_disk = {p.relative_to(out / "inbox").as_posix() for p in (out / "inbox").rglob("*") if p.is_file()}
    assert on_disk == {entry["file"] for entry in manifest["files"]}


def test_contents_name_the_clone_not_its_source(national, registry, sample_registry):
    out, manifest = national
    catalogue = load_catalogue()
    source_of = {c["consortium_id"]: c["source"] for c in manifest["consortia"]}
    formats = set()
    for entry in manifest["files"]:
        path = out / "inbox" / entry["file"]
        clone, source = entry["consortium_id"], source_of[entry["consortium_id"]]
        submission = parse_submission(entry["file"], path.read_bytes(), catalogue, set(registry))
        assert submission.consortium_id == clone
        assert (submission.year, submission.kind) == (entry["year"], entry["kind"])
        name = submission.consortium_name
        assert name is not None and registry[clone]["city"][:2] in name
        text = _text(path, entry)
        assert source not in text and sample_registry[source]["name"] not in text
        formats.add((entry["format"], entry["encoding"]))
    assert {fmt for fmt, _ in formats} == {"xlsx", "csv", "json"}


def test_a_name_variant_stays_a_variant():
    """The sample's width/spacing variant of a name maps to one of the clone's name (no finding), an
    abbreviation to an abbreviation (still flagged)."""
    from chanjiao.generated.national import _clone_names

    mapped = _clone_names(
        "忻州市智能制造市域产教联合体", ("太忻(智能制造) 市域产教联合体",), "太忻（智能制造）市域产教联合体", "忻州市"
    )
    variant = mapped["太忻(智能制造) 市域产教联合体"]
    assert variant != "忻州市智能制造市域产教联合体"
    assert normalise_name(variant) == normalise_name("忻州市智能制造市域产教联合体")
    short = _clone_names("朔州市通用航空市域产教联合体", ("大同通航产教联合体",), "大同市通用航空产教联合体", "朔州市")[
        "大同通航产教联合体"
    ]
    assert normalise_name(short) != normalise_name("朔州市通用航空市域产教联合体")


def test_ids_swap_only_whole():
    swaps = {"HN-2024-01": "HN-2024-001"}
    assert swap_text("HN-2024-01-plan; HN-2024-010; XHN-2024-01", swaps) == (
        "HN-2024-001-plan; HN-2024-010; XHN-2024-01",
        1,
    )


def test_workbook_cells_are_swapped_and_stay_readable(tmp_path):
    entry = next(
        e
        for e in json.loads((SAMPLE / "manifest.json").read_text(encoding="utf-8"))["files"]
        if e["expected"] == "accepted" and e["format"] == "xlsx"
    )
    content, count = clone_bytes(
        (SAMPLE / "inbox" / entry["file"]).read_bytes(), "xlsx", None, {entry["consortium_id"]: "ZZ-2024-001"}
    )
    assert count >= 1
    submission = parse_submission(entry["file"], content, load_catalogue(), {"ZZ-2024-001"})
    assert submission.consortium_id == "ZZ-2024-001"
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert all(info.date_time == (2025, 1, 1, 0, 0, 0) for info in archive.infolist())


def test_same_seed_same_bytes_and_another_seed_differs(national, tmp_path):
    out, manifest = national
    again = tmp_path / "again"
    assert generate_national(again, provinces=2, per_province=4) == manifest
    assert _tree(again) == _tree(out)
    other = generate_national(tmp_path / "other", provinces=2, per_province=4, seed=7)
    assert [c["source"] for c in other["consortia"]] != [c["source"] for c in manifest["consortia"]]


def test_regenerating_replaces_its_own_inbox_but_no_other(tmp_path):
    out = tmp_path / "n"
    generate_national(out, provinces=1, per_province=2)
    stray = out / "inbox" / "2025" / "stray.csv"
    stray.write_text("x", encoding="utf-8")
    generate_national(out, provinces=1, per_province=2)
    assert not stray.exists()
    foreign = tmp_path / "foreign"
    (foreign / "inbox" / "2025").mkdir(parents=True)
    (foreign / "inbox" / "2025" / "real.xlsx").write_bytes(b"x")
    with pytest.raises(FileExistsError):
        generate_national(foreign, provinces=1, per_province=2)
    assert (foreign / MANIFEST).exists() is False
