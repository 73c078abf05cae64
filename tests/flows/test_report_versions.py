"""End to end, reports are versioned by what they show (issue 14): on a populated warehouse, a code-only change
makes the stages recompute but renders no PDF and creates no version; a label change revises the reports that
print the label, saying "报告模板或程序版本更新"."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from pypdf import PdfReader
from test_annual_compliance import run

import tasks.templates as versions_of_code
from chanjiao.reference import catalogue as catalogue_module
from chanjiao.reporting.versions import REASONS_ZH, is_content_fingerprint
from warehouse import Warehouse

PROVINCE = "14"
LABEL, NEW_LABEL = "秘书处所在单位", "秘书处依托单位"


@pytest.fixture(scope="module")
def populated(sample_dir, tmp_path_factory):
    """Shanxi 2025 run once with its PDFs: the warehouse every test starts from (copied, never changed)."""
    folder = tmp_path_factory.mktemp("populated")
    shutil.copytree(sample_dir / "inbox", folder / "inbox")
    run(
        sample_dir,
        folder / "inbox",
        folder / "warehouse",
        f"sqlite:///{folder / 'warehouse.db'}",
        provinces=[PROVINCE],
        pdf=True,
    )
    return folder


@pytest.fixture
def warehouse_copy(populated, tmp_path):
    shutil.copytree(populated, tmp_path / "run", symlinks=True)
    return tmp_path / "run"


def _run(sample_dir, folder: Path) -> None:
    run(
        sample_dir,
        folder / "inbox",
        folder / "warehouse",
        f"sqlite:///{folder / 'warehouse.db'}",
        provinces=[PROVINCE],
        pdf=True,
    )


def _versions(folder: Path) -> list:
    warehouse = Warehouse.open(f"sqlite:///{folder / 'warehouse.db'}")
    try:
        return [v for v in warehouse.report_versions(2025, PROVINCE) if v.kind != "receipt"]
    finally:
        warehouse.close()


def _pdfs(folder: Path) -> dict[Path, tuple[int, int]]:
    """Every PDF under the warehouse with its modification time and size: what a run wrote."""
    return {p: (p.stat().st_mtime_ns, p.stat().st_size) for p in (folder / "warehouse").rglob("*.pdf")}


CODE_VERSION_BEFORE = versions_of_code.code_version()


@pytest.fixture
def changed_code(tmp_path, monkeypatch):
    """A copy of the core and rules with a comment added to a core module and two imports swapped: the
    code digest moves (as after any upgrade), nothing a report shows does."""
    root = tmp_path / "code"
    for folder in ("chanjiao", "expectations"):
        shutil.copytree(versions_of_code.ROOT / folder, root / folder, ignore=shutil.ignore_patterns("__pycache__"))
    scores = root / "chanjiao" / "scoring" / "scores.py"
    lines = scores.read_text(encoding="utf-8").splitlines(keepends=True)
    first = next(n for n, line in enumerate(lines) if line.startswith("from chanjiao"))
    lines[first], lines[first + 1] = lines[first + 1], lines[first]  # a reordered import
    scores.write_text("".join(lines) + "\n# a comment: a harmless upgrade\n", encoding="utf-8")
    monkeypatch.setattr(versions_of_code, "ROOT", root)
    versions_of_code.code_version.cache_clear()
    versions_of_code.templates_version.cache_clear()
    yield root
    versions_of_code.code_version.cache_clear()
    versions_of_code.templates_version.cache_clear()


def test_a_code_only_change_renders_no_pdf_and_creates_no_version(sample_dir, warehouse_copy, changed_code):
    moved_from = CODE_VERSION_BEFORE
    before_versions, before_pdfs = _versions(warehouse_copy), _pdfs(warehouse_copy)
    assert before_versions and all(is_content_fingerprint(v.fingerprint) for v in before_versions)
    assert versions_of_code.code_version() != moved_from  # the digest the stages compare moved with the copy
    _run(sample_dir, warehouse_copy)
    after_versions = _versions(warehouse_copy)
    assert [(v.subject, v.version, v.fingerprint) for v in after_versions] == [
        (v.subject, v.version, v.fingerprint) for v in before_versions
    ]
    assert _pdfs(warehouse_copy) == before_pdfs  # not one PDF rewritten


def test_a_label_change_revises_the_reports_that_show_it_as_a_template_or_program_update(
    sample_dir, warehouse_copy, changed_code, monkeypatch
):
    original = catalogue_module.data_text

    def relabelled(name: str) -> str:
        text = original(name)
        return text.replace(f",{LABEL},", f",{NEW_LABEL},") if name == "fields.csv" else text

    monkeypatch.setattr(catalogue_module, "data_text", relabelled)
    catalogue_module.load_catalogue.cache_clear()
    (changed_code / "chanjiao" / "data" / "fields.csv").write_text(relabelled("fields.csv"), encoding="utf-8")
    try:
        before = {(v.kind, v.subject): v for v in _versions(warehouse_copy)}
        _run(sample_dir, warehouse_copy)
        after = _versions(warehouse_copy)
    finally:
        catalogue_module.load_catalogue.cache_clear()
    revised = [v for v in after if (v.kind, v.subject) in before and v.version > before[(v.kind, v.subject)].version]
    consortia = {s for k, s in before if k == "consortium"}
    assert {v.subject for v in revised if v.kind == "consortium"} == consortia  # every appendix prints the label
    for version in revised:
        assert version.version == 2
        assert version.reasons == (REASONS_ZH["template"],), version  # not "本联合体报送数据…更新"
    report = warehouse_copy / "warehouse" / "reports" / "2025" / PROVINCE / f"{sorted(consortia)[0]}.pdf"
    text = "".join(page.extract_text() or "" for page in PdfReader(report).pages).replace(" ", "")
    assert NEW_LABEL in text and "修订版" in text and REASONS_ZH["template"] in text
