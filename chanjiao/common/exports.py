"""The stable CSV exports (the contract for later stages and for operators), as bytes.

UTF-8 with BOM so Excel opens Chinese correctly; every text cell that a spreadsheet would run as a
formula (starting with ``= + - @``, tab or CR) is neutralised with a leading apostrophe (OWASP).
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pandas as pd

SUBMISSIONS_COLUMNS = (
    "consortium_id",
    "name",
    "year",
    "kind",
    "due_date",
    "status",
    "days_late",
    "city_approved",
    "source_file",
    "version",
)
REJECTED_COLUMNS = ("file", "reason")
FINDINGS_COLUMNS = (
    "consortium_id",
    "year",
    "kind",
    "version",
    "field",
    "rule",
    "severity",
    "message",
    "value",
    "explained",
    "explanation",
    "override_by",
    "override_at",
    "override_reason",
)
REMINDER_COLUMNS = (
    "province_code",
    "consortium_id",
    "name",
    "year",
    "kind",
    "due_date",
    "extended",
    "days_left",
    "status",
)
REPORTING_TZ = ZoneInfo("Asia/Shanghai")
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> str:
    """The cell's text, safe to open in a spreadsheet."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return beijing_time(value).isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    if isinstance(value, str) and text.startswith(_FORMULA_STARTS):
        return "'" + text
    return text


def csv_bytes(frame: pd.DataFrame, columns: tuple[str, ...]) -> bytes:
    """Exactly ``columns``, in order; UTF-8 with BOM, CRLF-free, every cell neutralised."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise KeyError(f"export lacks column(s) {', '.join(missing)}")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in frame[list(columns)].itertuples(index=False, name=None):
        writer.writerow([neutralise(v) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def reminder_csv(due: pd.DataFrame) -> bytes:
    """``reminder-<date>.csv``: documents not yet filed whose due date is 14, 7 or 1 days away."""
    return csv_bytes(due, REMINDER_COLUMNS)


def submissions_csv(timeliness: pd.DataFrame) -> bytes:
    """``submissions.csv``: one row per consortium × year × kind, naming the latest accepted version."""
    return csv_bytes(timeliness.sort_values(["consortium_id", "kind"]), SUBMISSIONS_COLUMNS)


def rejected_csv(rejections: pd.DataFrame) -> bytes:
    """``_rejected.csv``: one row per file rejected in the latest run, with its one-line reason."""
    frame = rejections if len(rejections) else pd.DataFrame(columns=list(REJECTED_COLUMNS))
    return csv_bytes(frame.sort_values("file"), REJECTED_COLUMNS)


def beijing_time(moment: datetime) -> datetime:
    """A stored instant in Beijing time (SQLite hands back naive UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(REPORTING_TZ)


def findings_csv(findings: pd.DataFrame) -> bytes:
    """``findings.csv``: one row per finding of each consortium's latest versions, with its explanation
    and any reviewer override. Values and messages are masked where they touch personal data."""
    frame = findings if len(findings) else pd.DataFrame(columns=list(FINDINGS_COLUMNS))
    order = {"fatal": 0, "warning": 1, "info": 2}
    frame = frame.assign(_order=frame["severity"].map(order))
    frame = frame.sort_values(["consortium_id", "kind", "version", "_order", "field", "rule"], kind="stable")
    return csv_bytes(frame, FINDINGS_COLUMNS)


def table_csv(table: pd.DataFrame) -> bytes:
    """A frame already in its export's columns and order (``scores.csv``, ``points.csv`` from
    ``chanjiao.scoring.outputs``), written like every other export."""
    return csv_bytes(table, tuple(table.columns))
