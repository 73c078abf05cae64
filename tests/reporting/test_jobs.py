"""This run's PDF jobs (chanjiao.reporting.jobs): which reports are rendered again, as which version, and what the
warehouse records — on the small inline Shanxi province of tests/reporting/test_context.py, with no PDF written."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
import test_context as shared  # tests/reporting/test_context.py: the inline ProvinceYear (Shanxi 2025)

from chanjiao.intake.ingest import FieldValue
from chanjiao.reporting.context import ProvinceYear
from chanjiao.reporting.jobs import (
    VERSIONS_FOLDER,
    PlannedReport,
    ReceiptDraft,
    plan_province_reports,
    plan_receipts,
    published_records,
)
from chanjiao.reporting.receipts import receipt_context, receipt_name
from chanjiao.reporting.versions import REASONS_ZH, Published, tally

CONSORTIA = ("SX-2024-01", "SX-2024-02", "SX-2025-01")
RUN_1 = datetime(2026, 2, 1, 1, 0, tzinfo=UTC)  # 2026-02-01 in Beijing
RUN_2 = datetime(2026, 3, 2, 17, 0, tzinfo=UTC)  # 2026-03-03 in Beijing
RUN_3 = datetime(2026, 4, 10, 2, 0, tzinfo=UTC)  # 2026-04-10 in Beijing


@pytest.fixture
def province() -> ProvinceYear:
    return shared.province.__wrapped__()


@pytest.fixture
def folder(tmp_path) -> Path:
    return tmp_path / "reports" / "2025" / "14"


def plan(data, catalogue, folder, published=(), *, now=RUN_1, template="t1", exists=lambda p: False, **options):
    return plan_province_reports(
        data, catalogue, list(published), template=template, folder=folder, now=now, exists=exists, **options
    )


def record(planned: list[PlannedReport], now: datetime, root: Path | None = None) -> list[Published]:
    """What the publish stage stores after every job was rendered (as the warehouse would hand it back)."""
    pages = {p.job.target: 11 for p in planned if p.job is not None}
    return [published for published, _ in published_records(planned, pages, now, root=root)]


def by_subject(planned: list[PlannedReport]) -> dict[str, PlannedReport]:
    return {p.decision.subject: p for p in planned}


def actions(planned: list[PlannedReport]) -> dict[str, tuple[str, int]]:
    return {p.decision.subject: (p.decision.action, p.decision.version) for p in planned}


def with_finding_message(data: ProvinceYear, consortium_id: str, message: str) -> ProvinceYear:
    findings = data.findings.copy()
    mine = findings.index[findings["consortium_id"] == consortium_id]
    assert len(mine)
    findings.loc[mine[0], "message"] = message
    findings.loc[mine[0], "value"] = f"{message}（新值）"  # a changed finding: another value seen, another message
    return replace(data, findings=findings)


def with_case_title(data: ProvinceYear, version_id: int, title: str) -> ProvinceYear:
    values = {vid: dict(fields) for vid, fields in data.values.items()}
    values[version_id]["case_1_title"] = FieldValue("case_1_title", None, title)
    return replace(data, values=values)


# --- the first run ---------------------------------------------------------------------------------------------


def test_first_run_renders_every_report_as_version_1(province, catalogue, folder):
    planned = plan(province, catalogue, folder)
    assert [p.decision.subject for p in planned] == [*CONSORTIA, "14"]
    assert [p.decision.kind for p in planned] == ["consortium"] * 3 + ["province"]
    assert actions(planned) == {subject: ("new", 1) for subject in (*CONSORTIA, "14")}
    for report in planned:
        name = "province" if report.decision.kind == "province" else report.decision.subject
        assert report.province_code == "14"
        assert report.job.target == folder / f"{name}.pdf"
        assert report.job.copies == (folder / VERSIONS_FOLDER / f"{name}-v1.pdf",)
        assert report.published_path == folder / "versions" / f"{name}-v1.pdf"
        assert "修订版" not in report.job.html and "报告修订记录" not in report.job.html
        assert report.job.author == "山西省教育厅"
    jobs = by_subject(planned)
    assert [a.name for a in jobs["SX-2024-01"].job.attachments] == ["SX-2024-01-2025-scores.json"]
    assert jobs["14"].job.attachments and all(a.mime_type == "text/csv" for a in jobs["14"].job.attachments)
    assert "大同市通用航空产教联合体" in jobs["SX-2024-01"].job.title
    assert tally([p.decision for p in planned])["new"] == 4


def test_a_stray_file_does_not_stop_a_first_version(province, catalogue, folder):
    planned = plan(province, catalogue, folder, exists=lambda p: True)
    assert actions(planned) == {subject: ("new", 1) for subject in (*CONSORTIA, "14")}


# --- runs with nothing new ---------------------------------------------------------------------------------------


def test_nothing_new_and_every_file_in_place_renders_nothing(province, catalogue, folder):
    published = record(plan(province, catalogue, folder), RUN_1)
    assert len(published) == 4
    again = plan(province, catalogue, folder, published, now=RUN_2, exists=lambda p: True)
    assert actions(again) == {subject: ("unchanged", 1) for subject in (*CONSORTIA, "14")}
    assert all(p.job is None and p.published_path is None for p in again)
    assert record(again, RUN_2) == []


def test_a_missing_pdf_is_restored_as_the_same_version(province, catalogue, folder):
    published = record(plan(province, catalogue, folder), RUN_1)
    gone = folder / "SX-2024-02.pdf"
    again = plan(province, catalogue, folder, published, now=RUN_2, exists=lambda p: p != gone)
    assert actions(again) == {
        "SX-2024-01": ("unchanged", 1),
        "SX-2024-02": ("restored", 1),
        "SX-2025-01": ("unchanged", 1),
        "14": ("unchanged", 1),
    }
    restored = by_subject(again)["SX-2024-02"]
    assert restored.job.target == gone
    assert restored.job.copies == ()  # the archived v1 is there: the version as published stays as it is
    archive = folder / "versions" / "SX-2024-02-v1.pdf"
    lost_too = plan(province, catalogue, folder, published, now=RUN_2, exists=lambda p: p not in (gone, archive))
    assert by_subject(lost_too)["SX-2024-02"].job.copies == (archive,)
    assert "修订版" not in restored.job.html
    assert [p.decision.subject for p in again if p.job is not None] == ["SX-2024-02"]


def test_the_moment_of_the_run_alone_changes_nothing(province, catalogue, folder):
    published = record(plan(province, catalogue, folder), RUN_1)
    later = replace(province, as_of=date(2026, 3, 1), generated_at=datetime(2026, 3, 1, 9, 30, tzinfo=UTC))
    again = plan(later, catalogue, folder, published, now=RUN_2, exists=lambda p: True)
    assert actions(again) == {subject: ("unchanged", 1) for subject in (*CONSORTIA, "14")}


def test_force_renders_every_report_again_as_the_same_version(province, catalogue, folder):
    published = record(plan(province, catalogue, folder), RUN_1)
    forced = plan(province, catalogue, folder, published, now=RUN_2, exists=lambda p: True, force=True)
    assert actions(forced) == {subject: ("forced", 1) for subject in (*CONSORTIA, "14")}
    assert all(p.job is not None and "修订版" not in p.job.html for p in forced)
    assert all(p.job.copies == () for p in forced)  # the archived versions are left as published


# --- revisions ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "change, subject",
    [
        (lambda data: with_finding_message(data, "SX-2024-02", "新的问题说明"), "SX-2024-02"),  # a finding
        (lambda data: with_case_title(data, 3, "校企共育（更正）"), "SX-2024-01"),  # an appendix value
    ],
)
def test_a_consortiums_own_data_revises_its_report_and_the_provinces(province, catalogue, folder, change, subject):
    published = record(plan(province, catalogue, folder), RUN_1)
    changed = change(province)
    again = plan(changed, catalogue, folder, published, now=RUN_2, exists=lambda p: True)
    others = {c: ("unchanged", 1) for c in CONSORTIA if c != subject}
    assert actions(again) == {**others, subject: ("revised", 2), "14": ("revised", 2)}

    mine = by_subject(again)[subject]
    assert mine.decision.reasons == (REASONS_ZH["data"],)
    assert mine.job.target == folder / f"{subject}.pdf"
    assert mine.job.copies == (folder / "versions" / f"{subject}-v2.pdf",)
    assert "修订版 · 第 2 版" in mine.job.html and "（修订版 第2版）" in mine.job.title
    assert "首次发布 2026-02-01 · 上一版发布 2026-02-01 · 本版发布 2026-03-03" in mine.job.html
    assert REASONS_ZH["data"] in mine.job.html

    own = by_subject(again)["14"]
    assert own.decision.reasons == (f"{REASONS_ZH['consortia']}：{subject}",)
    html = own.job.html
    assert "修订版" in html and "报告修订记录" in html
    listing = html[html.index('id="revisions"') :]
    listing = listing[: listing.index("</section>")]
    assert subject in listing and "第 2 版" in listing and REASONS_ZH["data"] in listing
    assert "2026-02-01" in listing and "2026-03-03" in listing
    assert all(other not in listing for other in others)


def test_after_a_revision_is_recorded_the_next_run_renders_nothing(province, catalogue, folder):
    published = record(plan(province, catalogue, folder), RUN_1)
    changed = with_finding_message(province, "SX-2024-02", "新的问题说明")
    revision = plan(changed, catalogue, folder, published, now=RUN_2, exists=lambda p: True)
    published += record(revision, RUN_2)
    assert sorted((p.subject, p.version) for p in published) == sorted(
        [(c, 1) for c in CONSORTIA] + [("14", 1), ("SX-2024-02", 2), ("14", 2)]
    )
    third = plan(changed, catalogue, folder, published, now=RUN_3, exists=lambda p: True)
    assert actions(third) == {
        "SX-2024-01": ("unchanged", 1),
        "SX-2024-02": ("unchanged", 2),
        "SX-2025-01": ("unchanged", 1),
        "14": ("unchanged", 2),
    }


def test_a_restored_revision_prints_the_dates_of_that_version(province, catalogue, folder):
    """Restoring version 2 re-creates version 2: its cover must say when v2 was published (as the warehouse
    keeps it), not the day it was restored.

    Fails today: plan_province_reports passes ``now`` to revision_note for every rendered decision, so the
    restored v2 prints 本版发布 = the restoring run's date (and Decision carries no published date of the
    version it re-renders)."""
    published = record(plan(province, catalogue, folder), RUN_1)
    changed = with_finding_message(province, "SX-2024-02", "新的问题说明")
    published += record(plan(changed, catalogue, folder, published, now=RUN_2, exists=lambda p: True), RUN_2)
    gone = folder / "SX-2024-02.pdf"
    third = plan(changed, catalogue, folder, published, now=RUN_3, exists=lambda p: p != gone)
    restored = by_subject(third)["SX-2024-02"]
    assert (restored.decision.action, restored.decision.version) == ("restored", 2)
    assert restored.decision.reasons == (REASONS_ZH["data"],)
    assert "修订版 · 第 2 版" in restored.job.html
    assert "首次发布 2026-02-01 · 上一版发布 2026-02-01" in restored.job.html
    assert "本版发布 2026-03-03" in restored.job.html


def test_a_new_template_version_that_shows_the_same_revises_nothing(province, catalogue, folder):
    """A code or template change that leaves every page as it was (a comment, a moved module) re-issues nothing."""
    published = record(plan(province, catalogue, folder), RUN_1)
    again = plan(province, catalogue, folder, published, now=RUN_2, template="t2", exists=lambda p: True)
    assert actions(again) == {subject: ("unchanged", 1) for subject in (*CONSORTIA, "14")}
    assert all(report.job is None for report in again)


def test_a_template_that_changes_what_is_shown_revises_every_report(province, catalogue, folder, monkeypatch):
    published = record(plan(province, catalogue, folder), RUN_1)
    from chanjiao.reporting import jobs

    original = jobs.render_html
    monkeypatch.setattr(jobs, "render_html", lambda name, context: original(name, context) + "<p>新的标签</p>")
    again = plan(province, catalogue, folder, published, now=RUN_2, template="t2", exists=lambda p: True)
    assert actions(again) == {subject: ("revised", 2) for subject in (*CONSORTIA, "14")}
    for report in again:
        assert report.decision.reasons[0] == REASONS_ZH["template"]
        assert report.decision.fingerprint.parts["template"] == "t2"
        assert "修订版 · 第 2 版" in report.job.html and "新的标签" in report.job.html
    assert all(by_subject(again)[c].decision.reasons == (REASONS_ZH["template"],) for c in CONSORTIA)
    # Even with the same template version (a label in a data file, the program): the reason is the same.
    same_version = plan(province, catalogue, folder, published, now=RUN_2, exists=lambda p: True)
    assert all(r.decision.reasons == (REASONS_ZH["template"],) for r in same_version)


def test_a_new_template_alone_does_not_claim_the_consortia_data_changed(province, catalogue, folder, monkeypatch):
    """The provincial report's revision note must not print 省内联合体数据更新 when no data changed."""
    published = record(plan(province, catalogue, folder), RUN_1)
    from chanjiao.reporting import jobs

    original = jobs.render_html
    monkeypatch.setattr(jobs, "render_html", lambda name, context: original(name, context) + "<p>新的标签</p>")
    again = plan(province, catalogue, folder, published, now=RUN_2, template="t2", exists=lambda p: True)
    assert by_subject(again)["14"].decision.reasons == (REASONS_ZH["template"],)


def test_a_new_framework_digest_revises_the_consortium_with_the_framework_reason(province, catalogue, folder):
    published = record(plan(province, catalogue, folder), RUN_1)
    scores = [
        dict(row, framework_digest="other") if row["consortium_id"] == "SX-2025-01" else row for row in province.scores
    ]
    again = plan(replace(province, scores=scores), catalogue, folder, published, now=RUN_2, exists=lambda p: True)
    assert actions(again)["SX-2025-01"] == ("revised", 2)
    assert by_subject(again)["SX-2025-01"].decision.reasons == (REASONS_ZH["framework"],)


# --- what the warehouse records ----------------------------------------------------------------------------------


def test_published_records_only_the_reports_rendered(province, catalogue, folder, tmp_path):
    planned = plan(province, catalogue, folder)
    pages = {folder / "SX-2024-01.pdf": 11, folder / "province.pdf": 7}  # SX-2024-02 and SX-2025-01 failed
    records = published_records(planned, pages, RUN_2, root=tmp_path)
    assert [(p.kind, p.subject, p.version, p.pages, code) for p, code in records] == [
        ("consortium", "SX-2024-01", 1, 11, "14"),
        ("province", "14", 1, 7, "14"),
    ]
    first, _ = records[0]
    decision = by_subject(planned)["SX-2024-01"].decision
    assert first.path == "reports/2025/14/versions/SX-2024-01-v1.pdf"
    assert (first.fingerprint, first.parts, first.reasons) == (
        decision.fingerprint.total,
        decision.fingerprint.parts,
        (),
    )
    # The moment the version was decided (printed on a 修订版 cover), not when the publish step ran.
    assert first.published_at == by_subject(planned)["SX-2024-01"].decided_at and first.year == 2025


def test_published_paths_outside_the_root_or_without_one_stay_whole(province, catalogue, folder, tmp_path):
    planned = plan(province, catalogue, folder)
    pages = {p.job.target: 1 for p in planned}
    whole = [p.path for p, _ in published_records(planned, pages, RUN_1)]
    assert whole[0] == str(folder / "versions" / "SX-2024-01-v1.pdf")
    elsewhere = [p.path for p, _ in published_records(planned, pages, RUN_1, root=tmp_path / "other")]
    assert elsewhere == whole


def test_html_only_records_the_html_beside_the_target(province, catalogue, folder, tmp_path):
    planned = plan(province, catalogue, folder)
    pages = {p.job.target: 0 for p in planned}
    paths = [p.path for p, _ in published_records(planned, pages, RUN_1, root=tmp_path, html_only=True)]
    assert paths == [f"reports/2025/14/{c}.html" for c in CONSORTIA] + ["reports/2025/14/province.html"]


# --- receipts ----------------------------------------------------------------------------------------------------

VERSION = {
    "version_id": 7,
    "consortium_id": "SX-2024-01",
    "year": 2025,
    "kind": "summary",
    "version": 2,
    "submitted_on": date(2025, 12, 16),
    "city_approved_on": None,
    "source_file": "2025/a.csv",
    "sha256": "ab" * 32,
    "ingested_at": datetime(2025, 12, 16, 1, 30, tzinfo=UTC),
}


def _finding(message: str) -> dict:
    return {
        "version_id": 7,
        "field": "apprentices",
        "rule": "yoy",
        "rule_id": "apprentices.yoy",
        "severity": "warning",
        "veto": False,
        "message": message,
        "fix": "请说明",
        "value": "100人 → 160人",
        "explanation": None,
        "explained": False,
        "override_by": None,
        "override_at": None,
        "override_reason": None,
    }


def draft(
    reference, catalogue, message="「中国特色学徒制培养」变化超过±50%。", generated_at=RUN_1, author="山西省教育厅"
):
    context = receipt_context(
        VERSION, pd.DataFrame([_finding(message)]), reference, catalogue, generated_at=generated_at
    )
    return ReceiptDraft(name=receipt_name(VERSION), province_code="14", context=context, title="回执", author=author)


def plan_receipt(drafts, published=(), *, folder, now=RUN_1, exists=lambda p: False, **options):
    return plan_receipts(
        drafts, list(published), year=2025, template="t1", folder=folder, now=now, exists=exists, **options
    )


def test_a_first_receipt_is_new_and_written(reference, catalogue, tmp_path):
    folder = tmp_path / "receipts" / "2025"
    planned = plan_receipt([draft(reference, catalogue)], folder=folder)
    [receipt] = planned
    assert (receipt.decision.kind, receipt.decision.subject) == ("receipt", "SX-2024-01-summary-v2")
    assert (receipt.decision.action, receipt.decision.version, receipt.province_code) == ("new", 1, "14")
    assert receipt.job.target == folder / "SX-2024-01-summary-v2.pdf"
    assert receipt.job.html_target == folder / "SX-2024-01-summary-v2.html"
    assert receipt.job.keep_html is False and receipt.job.copies == ()
    assert receipt.published_path == receipt.job.target
    assert "大同市通用航空产教联合体" in receipt.job.html
    assert (receipt.job.title, receipt.job.author) == ("回执", "山西省教育厅")
    assert plan_receipt([draft(reference, catalogue, author="")], folder=folder)[0].job.author == "—"


def test_a_receipt_is_rewritten_only_when_what_it_says_changed(reference, catalogue, tmp_path):
    folder = tmp_path / "receipts" / "2025"
    first = plan_receipt([draft(reference, catalogue)], folder=folder)
    published = [p for p, _ in published_records(first, {first[0].job.target: 0}, RUN_1, root=tmp_path, html_only=True)]
    assert published[0].path == "receipts/2025/SX-2024-01-summary-v2.html"

    later = draft(reference, catalogue, generated_at=RUN_2)  # only the moment differs
    assert plan_receipt([later], published, folder=folder, exists=lambda p: True)[0].decision.action == "unchanged"
    assert plan_receipt([later], published, folder=folder, exists=lambda p: True)[0].job is None

    changed = draft(reference, catalogue, message="「中国特色学徒制培养」变化超过±60%。", generated_at=RUN_2)
    [revised] = plan_receipt([changed], published, folder=folder, now=RUN_2, exists=lambda p: True)
    assert (revised.decision.action, revised.decision.version) == ("revised", 2)
    assert revised.decision.reasons == (REASONS_ZH["data"],)  # what the receipt says of the data changed
    assert revised.job.target == folder / "SX-2024-01-summary-v2.pdf"  # replaced in place

    [forced] = plan_receipt([later], published, folder=folder, exists=lambda p: True, force=True)
    assert (forced.decision.action, forced.decision.version) == ("forced", 1)


def test_a_receipt_checks_the_file_it_is_written_as(reference, catalogue, tmp_path):
    folder = tmp_path / "receipts" / "2025"
    first = plan_receipt([draft(reference, catalogue)], folder=folder)
    published = [p for p, _ in published_records(first, {first[0].job.target: 0}, RUN_1)]
    only_html = lambda p: p.suffix == ".html"  # noqa: E731
    as_pdf = plan_receipt([draft(reference, catalogue)], published, folder=folder, exists=only_html)
    as_html = plan_receipt([draft(reference, catalogue)], published, folder=folder, exists=only_html, pdf=False)
    assert as_pdf[0].decision.action == "restored"
    assert as_html[0].decision.action == "unchanged"


def test_receipts_keep_their_own_histories(reference, catalogue, tmp_path):
    folder = tmp_path / "receipts"
    other_version = {**VERSION, "version": 3, "version_id": 8}
    other = ReceiptDraft(
        name=receipt_name(other_version),
        province_code="14",
        context=receipt_context(other_version, pd.DataFrame(), reference, catalogue, generated_at=RUN_1),
        title="回执",
        author="x",
    )
    first = plan_receipt([draft(reference, catalogue)], folder=folder)
    published = [p for p, _ in published_records(first, {first[0].job.target: 0}, RUN_1)]
    planned = plan_receipt([draft(reference, catalogue), other], published, folder=folder, exists=lambda p: True)
    assert [(p.decision.subject, p.decision.action) for p in planned] == [
        ("SX-2024-01-summary-v2", "unchanged"),
        ("SX-2024-01-summary-v3", "new"),
    ]


def test_receipts_are_never_confused_with_reports_of_the_same_subject(province, catalogue, folder):
    published = record(plan(province, catalogue, folder), RUN_1)
    as_receipts = [replace(p, kind="receipt") for p in published]
    again = plan(province, catalogue, folder, as_receipts, now=RUN_2 + timedelta(days=1), exists=lambda p: True)
    assert actions(again) == {subject: ("new", 1) for subject in (*CONSORTIA, "14")}


def test_a_moved_median_revises_the_others_for_the_comparison_not_their_history(province, catalogue, folder):
    published = record(plan(province, catalogue, folder), RUN_1)
    lowered = [
        dict(row, score=0.0) if row["indicator"] == "I1" and row["consortium_id"] != "SX-2025-01" else row
        for row in province.indicators
    ]
    changed = replace(province, indicators=lowered)
    assert changed.medians["I1"] != province.medians["I1"]
    again = by_subject(plan(changed, catalogue, folder, published, now=RUN_2, exists=lambda p: True))
    unchanged_own = again["SX-2025-01"].decision
    assert (unchanged_own.action, unchanged_own.version) == ("revised", 2)
    assert unchanged_own.reasons == (REASONS_ZH["peers"],)  # not 往年评价结果更新, not its own data


# --- versions recorded before content fingerprints ----------------------------------------------------------------


def _as_legacy(published: list[Published]) -> list[Published]:
    """The same versions as an earlier program recorded them: a context digest, not a content fingerprint."""
    return [
        replace(p, fingerprint="ab" * 32, parts={"template": "old", "framework": p.parts["framework"]})
        for p in published
    ]


def _published_html(planned: list[PlannedReport]) -> dict[Path, str]:
    """The HTML written beside each PDF by an earlier program: no volatile markers, other moments and version."""
    return {
        p.job.target.with_suffix(".html"): re.sub(r"<!--v-->(.*?)<!--/v-->", r"\1（旧）", p.job.html, flags=re.S)
        for p in planned
    }


def test_legacy_versions_showing_the_same_are_adopted_without_rendering(province, catalogue, folder):
    first = plan(province, catalogue, folder)
    legacy = _as_legacy(record(first, RUN_1, root=folder.parent.parent.parent))
    html = _published_html(first)
    again = plan(province, catalogue, folder, legacy, now=RUN_2, exists=lambda p: True, read=html.get)
    assert actions(again) == {subject: ("unchanged", 1) for subject in (*CONSORTIA, "14")}
    assert all(p.job is None and p.decision.adopts is not None for p in again)
    adopted = record(again, RUN_2)
    assert [(p.subject, p.version, p.published_at, p.path, p.pages) for p in adopted] == [
        (p.subject, p.version, p.published_at, p.path, p.pages) for p in legacy
    ]
    assert all(p.fingerprint.startswith("c1:") for p in adopted)
    # Adopted once, compared by content from then on.
    third = plan(province, catalogue, folder, adopted, now=RUN_3, exists=lambda p: True, read=lambda p: None)
    assert actions(third) == actions(again) and all(p.decision.adopts is None for p in third)


def test_a_legacy_version_whose_html_differs_or_is_gone_is_revised(province, catalogue, folder):
    first = plan(province, catalogue, folder)
    legacy = _as_legacy(record(first, RUN_1))
    html = _published_html(first)
    edited = folder / "SX-2024-02.html"
    html[edited] = html[edited].replace("</body>", "<p>旧版多出的一段</p></body>")
    del html[folder / "SX-2024-01.html"]
    again = by_subject(plan(province, catalogue, folder, legacy, now=RUN_2, exists=lambda p: True, read=html.get))
    for subject in ("SX-2024-01", "SX-2024-02"):
        assert (again[subject].decision.action, again[subject].decision.version) == ("revised", 2)
        assert again[subject].decision.reasons == (REASONS_ZH["other"],)  # parts of another scheme: no claim
    assert again["SX-2025-01"].decision.action == "unchanged"
