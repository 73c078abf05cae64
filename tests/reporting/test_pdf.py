"""chanjiao.reporting.pdf: archival PDF/A-3b with Chinese text, metadata and attachments; nothing fetched from outside
report_templates/; a missing CJK font stops the run before any file is written; batches in worker processes."""

from __future__ import annotations

import builtins
import json
import os
import pickle
import subprocess
import sys
import textwrap
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pdfplumber
import pikepdf
import pytest
from pypdf import PdfReader

from chanjiao.common.errors import ConfigurationError
from chanjiao.reporting import pdf as render
from chanjiao.reporting.pdf import (
    TEMPLATES_DIR,
    Attachment,
    PdfJob,
    ReportError,
    TemplateAssetFetcher,
    font_configuration,
    harfbuzz_subset_available,
    render_batch,
    render_pdf,
    require_cjk_font,
)

CHINESE = "市域产教联合体年度监测报告"
TITLE = "2025年度 某联合体 监测报告"
AUTHOR = "某省教育厅职业教育与成人教育处"
SCORES = {"consortium_id": "C001", "总分": 87.5, "指标": [{"编号": "1.1", "得分": 9.0}]}


def page(body: str, head: str = "", lang: str = "en", title: str = "模板里的标题") -> str:
    """A small document; its <title> and lang deliberately differ from the job's, which must win."""
    return (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title>'
        f'<style>body {{ font-family: "Noto Sans CJK SC", sans-serif; }}</style>{head}</head>'
        f"<body>{body}</body></html>"
    )


def pages(n: int) -> str:
    return page("".join(f'<h1 style="break-before: page">第{i + 1}页</h1><p>{CHINESE}</p>' for i in range(n)))


def scores_attachment() -> Attachment:
    return Attachment(
        name="C001-2025-scores.json",
        data=json.dumps(SCORES, ensure_ascii=False).encode("utf-8"),
        description="总分与指标（机器可读）",
        mime_type="application/json",
    )


def embedded_file_count(document: pikepdf.Pdf) -> int:
    return sum(1 for obj in document.objects if isinstance(obj, pikepdf.Stream) and obj.get("/Type") == "/EmbeddedFile")


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """One rendered Chinese report with a JSON attachment, shared by the read-only checks below."""
    target = tmp_path_factory.mktemp("report") / "C001.pdf"
    job = PdfJob(
        html=page(f"<h1>{CHINESE}</h1><p>总分 87.5 分。</p>"),
        target=target,
        title=TITLE,
        author=AUTHOR,
        attachments=(scores_attachment(),),
    )
    return job, render_pdf(job)


# --- the rendered document ------------------------------------------------------------------------------


def test_chinese_text_is_real_text_set_in_an_embedded_noto_cjk_font(report):
    job, result = report
    assert result.target == job.target and result.pages == 1 and result.seconds > 0
    with pdfplumber.open(job.target) as document:
        assert CHINESE in document.pages[0].extract_text()
    assert CHINESE in PdfReader(job.target).pages[0].extract_text()
    with pikepdf.open(job.target) as document:
        embedded = []
        for font in document.pages[0].Resources.Font.values():
            for descendant in font.get("/DescendantFonts", [font]):
                descriptor = descendant.FontDescriptor
                if any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")):
                    embedded.append(str(descendant.BaseFont))
    assert any("Noto-Sans-CJK-SC" in name for name in embedded), embedded


def test_pdfa_3b_with_the_jobs_title_author_and_language(report):
    job, _ = report
    with pikepdf.open(job.target) as document:
        metadata = document.open_metadata()
        assert metadata["pdfaid:part"] == "3"
        assert metadata["pdfaid:conformance"] == "B"
        assert metadata["dc:title"] == TITLE  # not the template's <title>
        assert AUTHOR in metadata["dc:creator"]
        assert document.docinfo["/Title"] == TITLE
        assert document.docinfo["/Author"] == AUTHOR
        assert document.Root.Lang == "zh-CN"  # not the template's lang="en"
        assert "/StructTreeRoot" in document.Root  # tagged
        assert "/OutputIntents" in document.Root


def test_attachment_is_embedded_as_a_pdfa3_associated_file(report):
    job, _ = report
    given = job.attachments[0]
    with pikepdf.open(job.target) as document:
        assert set(document.attachments) == {given.name}
        spec = document.attachments[given.name]
        assert spec.description == given.description
        embedded = spec.get_file()
        assert embedded.read_bytes() == given.data
        assert embedded.mime_type == "application/json"
        assert json.loads(embedded.read_bytes()) == SCORES
        assert spec.obj.AFRelationship == "/Data"
        # WeasyPrint 70 lists each file twice in /AF; the finisher keeps one entry per file.
        assert [entry.objgen for entry in document.Root.AF] == [spec.obj.objgen]


def test_html_without_lang_is_shaped_as_the_jobs_language(tmp_path):
    """Without a language Pango falls back to the Japanese cut of Noto CJK (different glyphs for 第, 页…)."""
    job = PdfJob(
        html="<html><body><p style='font-family: sans-serif'>第一页 中文</p></body></html>",
        target=tmp_path / "nolang.pdf",
        title="t",
        author="a",
    )
    render_pdf(job)
    with pikepdf.open(job.target) as document:
        fonts = [str(font.BaseFont) for font in document.pages[0].Resources.Font.values()]
        assert document.Root.Lang == "zh-CN"
    assert fonts and all("CJK-SC" in name for name in fonts), fonts


def test_keep_html_writes_the_html_beside_the_pdf(report, tmp_path):
    job, _ = report
    assert job.html_target == job.target.with_suffix(".html")
    assert job.html_target.read_text(encoding="utf-8") == job.html
    without = PdfJob(html=page("<p>中文</p>"), target=tmp_path / "no-html.pdf", title="t", author="a", keep_html=False)
    render_pdf(without)
    assert without.target.exists() and not without.html_target.exists()


def test_jobs_need_a_pdf_target_and_metadata(tmp_path):
    with pytest.raises(ReportError, match="end in .pdf"):
        PdfJob(html="<p>x</p>", target=tmp_path / "report.html", title="t", author="a")
    with pytest.raises(ReportError, match="needs a title"):
        PdfJob(html="<p>x</p>", target=tmp_path / "report.pdf", title=" ", author="a")
    with pytest.raises(ValueError, match="relationship"):
        Attachment(name="a.json", data=b"{}", description="d", mime_type="application/json", relationship="x")


# --- nothing outside report_templates/ ------------------------------------------------------------------


@pytest.fixture
def http_server():
    """A local HTTP server that counts every request it receives."""
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "text/css")
            self.end_headers()
            self.wfile.write(b"body { color: red }")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", hits
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def spy_fetchers(monkeypatch):
    """The fetchers render_pdf creates, to see what they served and refused."""
    created: list[TemplateAssetFetcher] = []

    class Spy(TemplateAssetFetcher):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            created.append(self)

    monkeypatch.setattr(render, "TemplateAssetFetcher", Spy)
    return created


def test_hostile_html_fetches_nothing_outside_report_templates(tmp_path, http_server, spy_fetchers):
    base, hits = http_server
    traversal = TEMPLATES_DIR.as_uri() + "/../../../../../etc/passwd"
    hostile = {
        "img": "file:///etc/passwd",
        "stylesheet": "file:///etc/passwd?stylesheet",
        "link-attachment": "file:///etc/passwd?attachment",
        "a-attachment": "file:///etc/passwd?a",
        "http-img": f"{base}/x.png",
        "http-css": f"{base}/x.css",
        "https": "https://127.0.0.1:9/y.png",
        "ftp": "ftp://127.0.0.1/z.png",
        "data": "data:text/css,body%7Bcolor%3Ared%7D",
        "import": "file:///etc/hostname",
        "background": "file:///etc/passwd?background",
        "traversal": traversal,
        "relative-traversal": (TEMPLATES_DIR.parent / "pyproject.toml").as_uri(),
    }
    head = (
        f'<link rel="stylesheet" href="receipt.css">'  # under report_templates/: allowed
        f'<link rel="stylesheet" href="{hostile["stylesheet"]}">'
        f'<link rel="stylesheet" href="{hostile["http-css"]}">'
        f'<link rel="stylesheet" href="{hostile["data"]}">'
        f'<link rel="attachment" href="{hostile["link-attachment"]}">'
        f'<link rel="attachment" href="receipt.css">'  # even a template file is never embedded
        "<style>@import url(file:///etc/hostname);"
        f" p {{ background: url(../../../../etc/passwd?background); }}</style>"
    )
    body = (
        f"<p>{CHINESE}</p>"
        f'<img src="{hostile["img"]}"><img src="{hostile["http-img"]}"><img src="{hostile["https"]}">'
        f'<img src="{hostile["ftp"]}"><img src="{traversal}"><img src="../pyproject.toml">'
        f'<a rel="attachment" href="{hostile["a-attachment"]}">附件</a>'
    )
    job = PdfJob(
        html=page(body, head),
        target=tmp_path / "hostile.pdf",
        title="t",
        author="a",
        attachments=(scores_attachment(),),
    )
    result = render_pdf(job)

    (fetcher,) = spy_fetchers
    assert hits == []  # not one HTTP request
    refused = set(result.refused)
    assert refused == set(fetcher.refused)
    missing = {name: url for name, url in hostile.items() if url not in refused}
    assert not missing, (missing, refused)
    assert fetcher.fetched == [TEMPLATES_DIR.as_uri() + "/receipt.css"]  # the template's own CSS was loaded
    assert (TEMPLATES_DIR.as_uri() + "/receipt.css") in refused  # … but not embedded as an attachment

    with pikepdf.open(job.target) as document:
        assert set(document.attachments) == {"C001-2025-scores.json"}
        assert embedded_file_count(document) == 1
        assert "/Annots" not in document.pages[0]
    text = "".join(p.extract_text() for p in PdfReader(job.target).pages)
    assert CHINESE in text
    assert "root:" not in text and "/bin/" not in text


def test_fetcher_refuses_without_io_and_serves_files_under_its_root(tmp_path, monkeypatch):
    root = tmp_path / "templates"
    (root / "css").mkdir(parents=True)
    (root / "css" / "a.css").write_text("p { color: blue }", encoding="utf-8")
    (tmp_path / "secret.txt").write_text("secret", encoding="utf-8")
    (root / "link.css").symlink_to(tmp_path / "secret.txt")  # a symlink inside pointing outside
    fetcher = TemplateAssetFetcher(root)

    response = fetcher.fetch((root / "css" / "a.css").as_uri())
    try:
        assert response.read() == b"p { color: blue }" and response.content_type == "text/css"
    finally:
        response.close()

    with pytest.raises(ValueError):  # symlink resolved: refused although its name is under root
        fetcher.fetch((root / "link.css").as_uri())

    def no_io(*args, **kwargs):
        raise AssertionError("I/O attempted for a refused URL")

    monkeypatch.setattr(builtins, "open", no_io)
    monkeypatch.setattr(os.path, "realpath", no_io)
    monkeypatch.setattr(urllib.request.OpenerDirector, "open", no_io)
    refused = [
        "file:///etc/passwd",
        root.as_uri() + "/../secret.txt",
        "http://127.0.0.1:9/",
        "https://example.invalid/a.png",
        "ftp://example.invalid/a",
        "data:,hello",
        "file://otherhost" + str(root / "css" / "a.css"),
        "gopher://x/",
        "file:relative.css",
    ]
    for url in refused:
        with pytest.raises(ValueError, match="refused"):
            fetcher.fetch(url)
    assert fetcher.refused == [(root / "link.css").as_uri(), *refused]
    assert fetcher.fetched == [(root / "css" / "a.css").as_uri()]


# --- the machine -------------------------------------------------------------------------------------------


def test_cjk_font_and_harfbuzz_are_found_here():
    assert require_cjk_font() == "Noto Sans CJK SC"
    assert require_cjk_font(("Not A Font", "Noto Serif CJK SC")) == "Noto Serif CJK SC"
    assert harfbuzz_subset_available() is True
    assert font_configuration() is font_configuration()
    with pytest.raises(ConfigurationError, match="fonts-noto-cjk"):
        require_cjk_font(("Not A Font",))


def test_missing_cjk_font_is_a_configuration_error_and_writes_nothing(tmp_path):
    config = tmp_path / "fonts.conf"
    config.write_text(
        f"<?xml version='1.0'?><fontconfig><cachedir>{tmp_path / 'fc-cache'}</cachedir></fontconfig>", encoding="utf-8"
    )
    target = tmp_path / "out" / "report.pdf"
    script = textwrap.dedent(f"""
        from pathlib import Path
        from chanjiao.common.errors import ConfigurationError
        from chanjiao.reporting.pdf import PdfJob, render_pdf, require_cjk_font
        try:
            require_cjk_font()
        except ConfigurationError as exc:
            print("CHECK:", exc)
        try:
            render_pdf(PdfJob(html="<p>中文</p>", target=Path({str(target)!r}), title="t", author="a"))
        except ConfigurationError as exc:
            print("RENDER:", exc)
    """)
    env = {
        **os.environ,
        "FONTCONFIG_FILE": str(config),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "PYTHONIOENCODING": "utf-8",
    }
    env.pop("FONTCONFIG_PATH", None)
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, encoding="utf-8", timeout=60
    )
    assert done.returncode == 0, done.stderr
    lines = dict(line.split(": ", 1) for line in done.stdout.splitlines() if line.startswith(("CHECK", "RENDER")))
    assert set(lines) == {"CHECK", "RENDER"}, done.stdout + done.stderr
    for message in lines.values():
        assert "no Chinese (CJK) font found" in message and "apt-get install fonts-noto-cjk" in message
    assert not target.exists() and not target.parent.exists()


# --- batches -----------------------------------------------------------------------------------------------


def test_render_batch_in_two_worker_processes_keeps_job_order(tmp_path):
    jobs = [PdfJob(html=pages(n), target=tmp_path / f"r{n}.pdf", title=f"报告{n}", author="a") for n in (3, 1, 2)]
    results = render_batch(jobs, workers=2)
    assert [r.target for r in results] == [job.target for job in jobs]
    assert [r.pages for r in results] == [3, 1, 2]
    for job in jobs:
        assert len(PdfReader(job.target).pages) == int(job.target.stem[1:])
        assert job.html_target.exists()


def test_a_failing_job_in_a_worker_names_its_target(tmp_path):
    blocker = tmp_path / "blocker"
    blocker.write_text("a file, not a directory", encoding="utf-8")
    bad = blocker / "bad.pdf"
    jobs = [
        PdfJob(html=pages(1), target=tmp_path / "ok1.pdf", title="t", author="a"),
        PdfJob(html=pages(1), target=bad, title="t", author="a"),
        PdfJob(html=pages(1), target=tmp_path / "ok2.pdf", title="t", author="a"),
    ]
    with pytest.raises(ReportError) as raised:
        render_batch(jobs, workers=2)
    assert raised.value.file == str(bad)
    assert str(bad) in str(raised.value)
    assert (tmp_path / "ok1.pdf").exists()


@pytest.mark.parametrize("workers", [1, 2])
def test_with_a_failures_list_a_failing_job_is_collected_and_the_others_are_written(tmp_path, workers):
    blocker = tmp_path / "blocker"
    blocker.write_text("a file, not a directory", encoding="utf-8")
    bad = blocker / "bad.pdf"
    jobs = [
        PdfJob(html=pages(1), target=tmp_path / "ok1.pdf", title="t", author="a"),
        PdfJob(html=pages(1), target=bad, title="t", author="a"),
        PdfJob(html=pages(2), target=tmp_path / "ok2.pdf", title="t", author="a"),
    ]
    failures: list = []
    results = render_batch(jobs, workers=workers, failures=failures)
    assert [r.target for r in results] == [tmp_path / "ok1.pdf", tmp_path / "ok2.pdf"]
    assert [(type(f), f.file) for f in failures] == [(ReportError, str(bad))]
    assert len(PdfReader(tmp_path / "ok2.pdf").pages) == 2


def test_render_batch_in_process_and_its_checks(tmp_path):
    assert render_batch([]) == []
    job = PdfJob(html=pages(2), target=tmp_path / "one.pdf", title="t", author="a")
    (result,) = render_batch([job])  # a single job: no pool
    assert result.pages == 2 and result.target.exists()
    bad = PdfJob(html=pages(1), target=tmp_path / "one.pdf" / "x.pdf", title="t", author="a")
    with pytest.raises(ReportError) as raised:
        render_batch([job, bad], workers=1)
    assert raised.value.file == str(bad.target)
    with pytest.raises(ReportError, match="same PDF"):
        render_batch([job, job])
    with pytest.raises(ValueError):
        render_batch([job], workers=0)


def test_report_error_survives_pickling():
    error = pickle.loads(pickle.dumps(ReportError("boom", file="/x/y.pdf")))
    assert isinstance(error, ReportError) and error.file == "/x/y.pdf" and str(error) == "/x/y.pdf: boom"
