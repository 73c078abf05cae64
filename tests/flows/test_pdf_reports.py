"""End to end, the PDF reports: one 2024 run (data only) and one 2025 run with PDFs on the sample, with hostile
text and a contact's phone number planted in one summary. The PDFs are read back as a reviewer's tools would:
their text, their attachments, their metadata, their outline."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil

import pikepdf
import pytest
from pypdf import PdfReader
from test_annual_compliance import read_csv, run

from chanjiao.quality.checks import Override
from warehouse import Warehouse

HOSTILE_TITLE = '<img src="file:///etc/passwd">校企共育'
HOSTILE_TEXT = (
    '<link rel=attachment href="file:///etc/passwd"></style><style>body{display:none}</style>'
    "@import url(file:///etc/hostname); 联合体坚持产教融合。"
)
PLANTED = "HN-2025-01"


def _text(path) -> list[str]:
    return [page.extract_text() or "" for page in PdfReader(path).pages]


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def reports(sample_dir, tmp_path_factory):
    folder = tmp_path_factory.mktemp("reports")
    inbox = folder / "inbox"
    shutil.copytree(sample_dir / "inbox", inbox)
    planted = inbox / "2025" / "HN-2025-01_2025_summary.json"
    document = json.loads(planted.read_text(encoding="utf-8"))
    document["fields"]["case_1_title"] = HOSTILE_TITLE
    document["fields"]["innovation_text"] = HOSTILE_TEXT + document["fields"]["innovation_text"]
    document["notes"]["ent_employees"] = "如有疑问请致电 0744-6673594（何红红）"
    planted.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    warehouse_dir = folder / "warehouse"
    url = f"sqlite:///{folder / 'warehouse.db'}"
    run(sample_dir, inbox, warehouse_dir, url, year=2024)
    run(sample_dir, inbox, warehouse_dir, url, year=2025)
    # A reviewer accepts a warning and, as people do, quotes the contact in the reason.
    warning = next(
        f
        for f in read_csv(warehouse_dir / "reports" / "2025" / "43" / "findings.csv")
        if f["severity"] == "warning" and f["rule"] != "veto"
    )
    warehouse = Warehouse.open(url)
    try:
        version = next(
            v
            for v in warehouse.versions(year=2025, consortium_ids=[warning["consortium_id"]])
            if v.kind == warning["kind"] and v.version == int(warning["version"])
        )
        contact = warehouse.values(version.id)
        reason = f"已电话核实（联系人{contact['contact_name'].value} {contact['contact_phone'].value}）"
        warehouse.add_override(
            Override(
                consortium_id=warning["consortium_id"],
                year=2025,
                kind=warning["kind"],
                field=warning["field"],
                rule=warning["rule"],
                value=warning["value"],
                reason=reason,
                by="李审核",
                at=None,
            ),
            version.id,
        )
    finally:
        warehouse.close()
    result = run(sample_dir, inbox, warehouse_dir, url, year=2025, pdf=True)
    return warehouse_dir, url, result, warning


def _scores(warehouse_dir, province):
    return read_csv(warehouse_dir / "reports" / "2025" / province / "scores.csv")


def test_every_report_and_receipt_is_a_pdf_with_its_html_beside_it(reports):
    warehouse_dir, _, result, _ = reports
    for province in ("14", "43"):
        folder = warehouse_dir / "reports" / "2025" / province
        expected = {f"{row['consortium_id']}.pdf" for row in _scores(warehouse_dir, province)} | {"province.pdf"}
        assert {p.name for p in folder.glob("*.pdf")} == expected
        assert all(p.with_suffix(".html").is_file() for p in folder.glob("*.pdf"))
    receipts = sorted((warehouse_dir / "receipts" / "2025").glob("*.html"))
    assert receipts and all(p.with_suffix(".pdf").is_file() for p in receipts)
    assert {len(PdfReader(p.with_suffix(".pdf")).pages) for p in receipts} == {1}
    assert result["pdfs"]["reports"] == len(_scores(warehouse_dir, "14")) + len(_scores(warehouse_dir, "43")) + 2
    assert not list(warehouse_dir.rglob("*.tmp")) and not list(warehouse_dir.rglob(".*.pdf*"))


def test_consortium_report_shows_its_name_total_grade_and_chapters_in_chinese(reports):
    warehouse_dir, _, _, _ = reports
    for row in _scores(warehouse_dir, "14")[:3]:
        pages = _text(warehouse_dir / "reports" / "2025" / "14" / f"{row['consortium_id']}.pdf")
        whole = _flat("\n".join(pages))
        assert _flat(row["name"]) in _flat(pages[0])  # the cover
        for heading in (
            "目录",
            "一、总体评价",
            "二、指标得分与全省中位数",
            "建设进度（里程碑）",
            "材料报送情况",
            "数据质量问题",
            "典型案例",
            "附录报送数据与来源",
            "山西省教育厅",
        ):
            assert heading in whole, heading
        headline = _flat(next(p for p in pages[2:] if "一、总体评价" in p))
        assert f"总分（满分100）{row['total']}" in headline and f"评价等级{row['grade']}" in headline
        assert f"全省排名{row['rank']}/{len(_scores(warehouse_dir, '14'))}" in headline


def test_every_page_has_the_running_header_and_numbered_footer(reports):
    warehouse_dir, _, _, _ = reports
    pages = _text(warehouse_dir / "reports" / "2025" / "43" / "HN-2024-01.pdf")
    for number, text in enumerate(pages[1:], start=2):
        assert _flat(f"第 {number} 页 / 共 {len(pages)} 页") in _flat(text)
        assert "株洲市轨道交通市域产教联合体·2025年度" in _flat(text)
    assert "第 1 页" not in pages[0]  # the cover carries neither


def test_table_of_contents_page_numbers_point_at_their_chapters(reports):
    warehouse_dir, _, _, _ = reports
    for name in ("14/SX-2024-01.pdf", "43/province.pdf"):
        pages = _text(warehouse_dir / "reports" / "2025" / name)
        entries = re.findall(r"^(.+?)[\s.]*?(\d+)\s*$", pages[1].split("目录", 1)[1], flags=re.M)
        assert len(entries) >= 7, pages[1]
        for title, number in entries:
            title = _flat(title).rstrip(".")
            assert title in _flat(pages[int(number) - 1]), (name, title, number)


def test_pdfs_are_pdfa_3b_tagged_with_metadata_bookmarks_and_cjk_fonts(reports):
    warehouse_dir, _, _, _ = reports
    path = warehouse_dir / "reports" / "2025" / "43" / "HN-2024-01.pdf"
    with pikepdf.open(path) as pdf:
        meta = pdf.open_metadata()
        assert meta["pdfaid:part"] == "3" and meta["pdfaid:conformance"] == "B"
        assert "株洲市轨道交通市域产教联合体" in meta["dc:title"]
        assert "湖南省教育厅" in str(meta["dc:creator"])
        assert str(pdf.Root.Lang) == "zh-CN"
        assert "/StructTreeRoot" in pdf.Root and pdf.Root.MarkInfo.Marked
        with pdf.open_outline() as outline:
            titles = [item.title for item in outline.root]
        assert titles[:3] == ["封面", "目录", "一、总体评价"] and "附录　报送数据与来源" in titles
        fonts = {str(font.get("/BaseFont")) for page in pdf.pages for font in page.Resources.get("/Font", {}).values()}
        assert fonts and all(re.search(r"\+Noto-Sans-CJK-SC", f) for f in fonts), fonts


def test_consortium_attachment_parses_back_to_its_scores_points_and_findings(reports):
    warehouse_dir, _, _, _ = reports
    folder = warehouse_dir / "reports" / "2025" / "43"
    row = next(r for r in _scores(warehouse_dir, "43") if r["consortium_id"] == "HN-2024-06")
    with pikepdf.open(folder / "HN-2024-06.pdf") as pdf:
        assert list(pdf.attachments) == ["HN-2024-06-2025-scores.json"]
        spec = pdf.attachments["HN-2024-06-2025-scores.json"]
        document = json.loads(spec.get_file().read_bytes())
        assert str(spec.obj.AFRelationship) == "/Data"
    assert f"{document['score']['total']:.1f}" == row["total"] and document["score"]["grade"] == row["grade"]
    assert {i["indicator"]: f"{i['score']:.2f}" for i in document["indicators"]} == {
        code: row[code] for code in ("I1", "I2", "I3", "I4", "I5", "I6", "I7")
    }
    points = [p for p in read_csv(folder / "points.csv") if p["consortium_id"] == "HN-2024-06"]
    assert {p["point"]: f"{p['score']:.2f}" for p in document["points"]} == {p["point"]: p["score"] for p in points}
    findings = [f for f in read_csv(folder / "findings.csv") if f["consortium_id"] == "HN-2024-06"]
    assert sorted((f["rule"], f["field"]) for f in document["findings"]) == sorted(
        (f["rule"], f["field"]) for f in findings
    )
    assert any(f["rule"] == "veto" for f in document["findings"])


def test_province_report_embeds_the_exports_and_lists_the_provinces_findings(reports):
    warehouse_dir, _, _, _ = reports
    folder = warehouse_dir / "reports" / "2025" / "43"
    with pikepdf.open(folder / "province.pdf") as pdf:
        attached = {name: spec.get_file().read_bytes() for name, spec in pdf.attachments.items()}
    assert set(attached) == {"scores.csv", "points.csv", "findings.csv"}
    for name, content in attached.items():
        assert content == (folder / name).read_bytes(), name
    text = _flat("\n".join(_text(folder / "province.pdf")))
    for heading in (
        "排名与等级",
        "得分分布与指标中位数",
        "材料报送情况",
        "数据质量",
        "连续两年未完成年度计划的联合体",
        "推荐国家级候选",
        "产业布局契合度",
        "附录评价指标体系",
    ):
        assert heading in text, heading
    assert "邵阳经济技术开发区轻工制造市域产教联合体" in text.split("连续两年未完成年度计划的联合体")[-1]
    # Shanxi has no industry layout table: no alignment chapter.
    assert "产业布局契合度" not in _flat("\n".join(_text(warehouse_dir / "reports" / "2025" / "14" / "province.pdf")))


def test_earlier_years_show_as_a_trend(reports):
    warehouse_dir, _, _, _ = reports
    with_history = _flat("\n".join(_text(warehouse_dir / "reports" / "2025" / "14" / "SX-2024-01.pdf")))
    assert "历年得分趋势" in with_history and "2024年" in with_history
    first_year = _flat("\n".join(_text(warehouse_dir / "reports" / "2025" / "43" / f"{PLANTED}.pdf")))
    assert "历年得分趋势" not in first_year


def test_hostile_text_is_printed_literally_and_fetches_nothing(reports):
    warehouse_dir, _, _, _ = reports
    path = warehouse_dir / "reports" / "2025" / "43" / f"{PLANTED}.pdf"
    text = _flat("\n".join(_text(path)))
    assert _flat(HOSTILE_TITLE) in text
    assert _flat('<link rel=attachment href="file:///etc/passwd"></style><style>body{display:none}</style>') in text
    assert "root:x:0:0" not in text
    with pikepdf.open(path) as pdf:
        assert list(pdf.attachments) == [f"{PLANTED}-2025-scores.json"]
    html = path.with_suffix(".html").read_text(encoding="utf-8")
    assert "<img" not in html and "&lt;img src=&#34;file:///etc/passwd&#34;&gt;" in html


def test_no_contact_appears_unmasked_in_any_pdf_html_or_attachment(reports):
    warehouse_dir, url, _, warning = reports
    warehouse = Warehouse.open(url)
    try:
        values = warehouse.values_for([v.id for v in warehouse.versions()])
    finally:
        warehouse.close()
    secrets = {
        str(fields[code].value)
        for fields in values.values()
        for code in ("contact_name", "contact_phone")
        if code in fields and fields[code].value
    }
    secrets |= {re.sub(r"\D", "", s) for s in secrets if re.search(r"\d{7}", s)}
    assert "0744-6673594" in secrets and "何红红" in secrets
    outputs = list((warehouse_dir / "reports" / "2025").rglob("*.pdf")) + list(
        (warehouse_dir / "receipts" / "2025").glob("*.pdf")
    )
    for path in outputs:
        with pikepdf.open(path) as pdf:
            attached = " ".join(spec.get_file().read_bytes().decode("utf-8") for spec in pdf.attachments.values())
        html = path.with_suffix(".html")  # archived versions (versions/) have no HTML beside them
        seen = "\n".join(_text(path)) + (html.read_text(encoding="utf-8") if html.exists() else "") + attached
        digits = re.sub(r"\D", "", seen)
        leaked = [s for s in secrets if s in seen or (s.isdigit() and s in digits)]
        assert not leaked, (path.name, leaked)
    planted = _flat("\n".join(_text(warehouse_dir / "reports" / "2025" / "43" / f"{PLANTED}.pdf")))
    assert "如有疑问请致电0744-****594（何**）" in planted
    # The reviewer's override reason, masked in the report of the consortium it concerns.
    overridden = _flat("\n".join(_text(warehouse_dir / "reports" / "2025" / "43" / f"{warning['consortium_id']}.pdf")))
    assert "审核人员认可：已电话核实（联系人" in overridden and "（李审核）" in overridden


def test_provincial_csv_attachment_reads_as_a_table(reports):
    warehouse_dir, _, _, _ = reports
    with pikepdf.open(warehouse_dir / "reports" / "2025" / "14" / "province.pdf") as pdf:
        content = pdf.attachments["scores.csv"].get_file().read_bytes().decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(content)))
    assert [r["consortium_id"] for r in rows] == [r["consortium_id"] for r in _scores(warehouse_dir, "14")]
