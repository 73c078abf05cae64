"""The file writers of generated data: submissions in the input contract's layout, the registry and
extensions CSVs beside an inbox, the manifest, and the inbox itself.

The seeded sample (``sample.py``), the national clones (``national.py``), the hand-made workbooks
(``handmade.py``) and the tests' builders (``tests/builders.py``) all write through these functions, so a
submission file is laid out one way wherever it is made.

* A submission is a list of :class:`Row` — 字段代码, 字段名称, 填报值, the cell's number format, 说明 — written
  as a workbook (:func:`submission_xlsx`) or a CSV (:func:`submission_csv`); a JSON submission is its
  ``fields`` and ``notes`` (:func:`submission_json`). :func:`rows_of` turns a dict of values into rows.
* :func:`stable_zip` rewrites a workbook's archive with fixed entry times, order and timestamps, so the same
  rows give the same bytes.
* :func:`registry_csv`, :func:`extensions_csv` and :func:`manifest_json` are the files beside an inbox;
  :func:`clear_inbox` removes a generator's own earlier inbox (never one it did not write) and
  :func:`write_inbox` writes the new one.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import zipfile
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from chanjiao.intake.readers import HEADER, SHEET_NAME
from chanjiao.reference.registry import EXTENSION_COLUMNS, REGISTRY_COLUMNS, REGISTRY_OPTIONAL

REGISTRY_HEADER = (*REGISTRY_COLUMNS, *REGISTRY_OPTIONAL)
CREATOR = "市域产教联合体填报"  # a dressed workbook's author, as the province's template has it
GUIDE_SHEET = "填报说明"
GUIDE_LINES = (
    "请在“填报数据”表的“填报值”列填写，“字段代码”列请勿修改。",
    "日期格式示例：2024-07-15；百分比可填 85 或 85%。",
    "如数据有特殊情况，请在“说明”列注明。",
)
_COLUMN_WIDTHS = (30, 36, 48, 30)


class Row(NamedTuple):
    """One row of a submission: what the 字段代码, 字段名称, 填报值 and 说明 columns hold (and, in a workbook,
    the 填报值 cell's number format)."""

    code: str
    label: str = ""
    value: Any = None
    number_format: str | None = None
    note: str | None = None


def rows_of(
    fields: Mapping[str, Any], notes: Mapping[str, str] | None = None, formats: Mapping | None = None
) -> list[Row]:
    """``fields`` as rows in their order, unlabelled, with the note and number format of each field."""
    notes, formats = notes or {}, formats or {}
    return [Row(code, "", value, formats.get(code), notes.get(code)) for code, value in fields.items()]


# ------------------------------------------------------------------------------------------------
# Submissions
# ------------------------------------------------------------------------------------------------


def submission_xlsx(
    rows: Iterable[Row],
    *,
    sheet_name: str = SHEET_NAME,
    header: Iterable[str] = HEADER,
    dressed: bool = False,
    guide: str | None = None,
    stamp: datetime | None = None,
) -> bytes:
    """A workbook in the contract's layout: a header row, then one row per :class:`Row`.

    ``dressed``: as a province's template looks — a bold header, column widths, long text wrapped, the header
    row frozen, the template's author. ``guide``: a 填报说明 sheet ``"first"`` or ``"last"``. ``stamp``: the
    workbook's created and modified time and its archive's entry times (:func:`stable_zip`), so the same rows
    give the same bytes; without it openpyxl stamps the current time.
    """
    book = Workbook()
    sheet = book.active
    sheet.title = sheet_name
    sheet.append(list(header))
    if dressed:
        for cell in sheet[1]:
            cell.font = Font(bold=True)
    for code, label, value, number_format, note in rows:
        sheet.append([code, label, value, note])
        cell = sheet.cell(row=sheet.max_row, column=3)
        if number_format:
            cell.number_format = number_format
        if dressed and isinstance(value, str) and len(value) > 40:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    if dressed:
        for column, width in zip("ABCD", _COLUMN_WIDTHS):
            sheet.column_dimensions[column].width = width
        sheet.freeze_panes = "A2"
        book.properties.creator = CREATOR
    if guide:
        info = book.create_sheet(GUIDE_SHEET, 0 if guide == "first" else None)
        for line in GUIDE_LINES:
            info.append([line])
        info.column_dimensions["A"].width = 80
    if stamp is not None:
        book.properties.created = stamp
        book.properties.modified = stamp
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue() if stamp is None else stable_zip(buffer.getvalue(), stamp)


def submission_csv(rows: Iterable[Row], *, encoding: str = "utf-8", line_end: str = "\r\n") -> bytes:
    """A CSV in the contract's layout (the header, then code, label, value, note per row) in ``encoding``."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=line_end)
    writer.writerow(HEADER)
    for code, label, value, _, note in rows:
        writer.writerow([code, label, "" if value is None else value, "" if note is None else note])
    return out.getvalue().encode(encoding)


def submission_json(
    fields: Mapping[str, Any], notes: Mapping[str, str] | None = None, *, indent: int | None = None
) -> bytes:
    """A JSON submission: ``{"fields": …, "notes": …}`` (no ``notes`` key when ``notes`` is None), UTF-8, on one
    line, or indented by ``indent`` with a final newline."""
    document: dict[str, Any] = {"fields": dict(fields)}
    if notes is not None:
        document["notes"] = dict(notes)
    text = json.dumps(document, ensure_ascii=False, indent=indent)
    return (text if indent is None else text + "\n").encode("utf-8")


def stable_zip(content: bytes, stamp: datetime) -> bytes:
    """An xlsx archive rewritten with ``stamp`` as every entry's time and the core properties' timestamps,
    ``[Content_Types].xml`` first and the other entries in name order."""
    text_stamp = stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
    with zipfile.ZipFile(io.BytesIO(content)) as source:
        entries = {info.filename: source.read(info.filename) for info in source.infolist()}
    core = entries.get("docProps/core.xml")
    if core is not None:
        text = core.decode("utf-8")
        for tag in ("created", "modified"):
            text = re.sub(rf"(<dcterms:{tag}[^>]*>)[^<]*(</dcterms:{tag}>)", rf"\g<1>{text_stamp}\g<2>", text)
        entries["docProps/core.xml"] = text.encode("utf-8")
    order = sorted(entries, key=lambda name: (name != "[Content_Types].xml", name))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name in order:
            info = zipfile.ZipInfo(name, date_time=stamp.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 0
            info.external_attr = 0o600 << 16
            target.writestr(info, entries[name])
    return out.getvalue()


# ------------------------------------------------------------------------------------------------
# Beside the inbox: registry, extensions, manifest
# ------------------------------------------------------------------------------------------------


def table_csv(columns: Iterable[str], rows: Iterable[Mapping[str, Any]]) -> bytes:
    """A UTF-8 CSV of ``columns`` (``\\n`` line ends): one line per row, a missing key empty, others ignored."""
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=list(columns), lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return text.getvalue().encode("utf-8")


def registry_csv(rows: Iterable[Mapping[str, Any]]) -> bytes:
    """``registry.csv``: the registry's columns, then its optional ones (industry codes, status)."""
    return table_csv(REGISTRY_HEADER, rows)


def extensions_csv(rows: Iterable[Mapping[str, Any]]) -> bytes:
    """``extensions.csv``: one granted deadline extension per row."""
    return table_csv(EXTENSION_COLUMNS, rows)


def manifest_json(manifest: Mapping[str, Any], *, indent: int = 2) -> bytes:
    """A generator's answer key: UTF-8 JSON, keys sorted, a final newline."""
    return (json.dumps(manifest, ensure_ascii=False, indent=indent, sort_keys=True) + "\n").encode("utf-8")


# ------------------------------------------------------------------------------------------------
# The inbox
# ------------------------------------------------------------------------------------------------


def clear_inbox(out: Path, manifest: str, generator: str, *, manifest_text: str | None = None) -> None:
    """Remove ``out/inbox`` that an earlier run of ``generator`` wrote (``out/manifest`` beside it); refuse to
    touch an inbox that holds files without that manifest."""
    inbox = out / "inbox"
    if inbox.exists():
        if not (out / manifest).exists() and any(inbox.iterdir()):
            raise FileExistsError(
                f"{inbox} holds files but {out} has no {manifest_text or manifest}: not overwriting an inbox "
                f"the {generator} generator did not write"
            )
        shutil.rmtree(inbox)


def write_inbox(out: Path, contents: Mapping[str, bytes]) -> None:
    """Write each ``contents[relative]`` to ``out/inbox/relative``, making the folders."""
    made: set[Path] = set()
    for relative, content in contents.items():
        path = out / "inbox" / relative
        if path.parent not in made:
            path.parent.mkdir(parents=True, exist_ok=True)
            made.add(path.parent)
        path.write_bytes(content)
