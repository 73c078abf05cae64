"""Report versions in the warehouse (SQLite and PostgreSQL): content fingerprints fit, and a version recorded
before them is adopted in place — its number, date, file and pages kept, only its fingerprint replaced."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from chanjiao.reporting.versions import CONTENT_SCHEME, Published, content_digest

AT = datetime(2026, 2, 1, 1, 0, tzinfo=UTC)


def _version(fingerprint: str, **changes) -> Published:
    base = Published(
        kind="consortium",
        year=2025,
        subject="SX-2024-01",
        version=1,
        fingerprint=fingerprint,
        parts={"template": "t", "framework": "f"},
        reasons=(),
        published_at=AT,
        path="reports/2025/14/versions/SX-2024-01-v1.pdf",
        pages=11,
    )
    return replace(base, **changes)


def test_a_content_fingerprint_is_stored_whole(warehouse):
    mark = content_digest("<p>总分 85.0</p>", (b"{}",))
    assert mark.startswith(CONTENT_SCHEME) and len(mark) == 67
    warehouse.record_report_versions([(_version(mark), "14")])
    [back] = warehouse.report_versions(2025, "14")
    assert back.fingerprint == mark


def test_an_earlier_version_is_adopted_in_place(warehouse):
    legacy = _version("ab" * 32)
    warehouse.record_report_versions([(legacy, "14")])
    mark = content_digest("<p>总分 85.0</p>")
    adopted = _version(mark, parts={"template": "t2", "framework": "f", "data": "d"}, pages=99, path="elsewhere.pdf")
    warehouse.record_report_versions([(adopted, "14")])
    [back] = warehouse.report_versions(2025, "14")
    assert (back.version, back.fingerprint, back.parts) == (1, mark, adopted.parts)
    assert (back.path, back.pages, back.published_at) == (legacy.path, legacy.pages, AT)  # as first published
