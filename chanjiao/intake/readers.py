"""Reading submission files (``.xlsx``, ``.csv``, ``.json``) from bytes into rows, safely.

Readers take the file's bytes (the task did the I/O) and return :class:`RawRow`s: the field code, the
cell as found, and the submitter's 说明. Hostile input is refused before any parser sees it: size caps,
zip member counts, declared sizes and compression ratios, and any DTD/entity declaration in the
workbook's XML (billion laughs, external entities). Every refusal is a :class:`RejectedFile`.
"""

from __future__ import annotations

import csv
import io
import json
import re
import warnings
import zipfile
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from chanjiao.common.errors import RejectedFile
from chanjiao.intake.normalize import FormulaWithoutResult, PercentCell, nfc, nfkc

SHEET_NAME = "填报数据"
HEADER_CODE, HEADER_LABEL, HEADER_VALUE, HEADER_NOTE = "字段代码", "字段名称", "填报值", "说明"
HEADER = (HEADER_CODE, HEADER_LABEL, HEADER_VALUE, HEADER_NOTE)
# Header names accepted besides the Chinese ones (exports from other tools).
_HEADER_ALIASES = {"code": HEADER_CODE, "label": HEADER_LABEL, "value": HEADER_VALUE, "note": HEADER_NOTE}
SUPPORTED_SUFFIXES = (".xlsx", ".csv", ".json")
NO_FIELD = "-"


@dataclass(frozen=True)
class ReadLimits:
    """Caps that keep a hostile or broken file from costing time or memory."""

    max_file_bytes: int = 20 * 1024 * 1024
    max_unzipped_bytes: int = 64 * 1024 * 1024
    max_zip_members: int = 500
    max_compression_ratio: int = 100
    max_xml_bytes: int = 4 * 1024 * 1024
    max_rows: int = 2000


@dataclass(frozen=True)
class RawRow:
    code: str
    value: Any
    note: str | None
    where: str  # "row 7" / "fields.co_majors": where a person finds it in the file


def _reject(file: str, reason: str, field: str = NO_FIELD) -> RejectedFile:
    return RejectedFile(reason, file=file, field=field)


def read_rows(file: str, content: bytes, limits: ReadLimits = ReadLimits()) -> list[RawRow]:
    """Rows of one submission file; the format is chosen by the file name's suffix."""
    suffix = "." + file.rsplit(".", 1)[-1].lower() if "." in file else ""
    if suffix not in SUPPORTED_SUFFIXES:
        raise _reject(
            file,
            f"unsupported file type {suffix or '(none)'}: send .xlsx, .csv or .json"
            + (" (save an .xls workbook as .xlsx)" if suffix == ".xls" else ""),
        )
    if len(content) > limits.max_file_bytes:
        raise _reject(file, f"file is {len(content):,} bytes, over the {limits.max_file_bytes:,}-byte limit")
    if not content.strip():
        raise _reject(file, "file is empty")
    if suffix == ".xlsx":
        return _read_xlsx(file, content, limits)
    if suffix == ".csv":
        return _read_csv(file, content, limits)
    return _read_json(file, content)


# --- xlsx ---------------------------------------------------------------------------------------

_DTD = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_FORMULA = re.compile(rb"<(\w+:)?f[\s>/]")
_XML_ENCODING = re.compile(rb"""<\?xml[^>]*encoding\s*=\s*["']([^"']+)["']""")


def check_workbook_archive(file: str, content: bytes, limits: ReadLimits) -> bool:
    """Refuse zip bombs, oversize sheets and XML entity attacks before openpyxl parses anything.

    Returns whether a worksheet holds formulas (then their saved results need a second look).
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise _reject(file, f"not a valid .xlsx workbook ({exc})") from None
    with archive:
        members = archive.infolist()
        if len(members) > limits.max_zip_members:
            raise _reject(file, f"workbook has {len(members)} parts, over the limit of {limits.max_zip_members}")
        declared = sum(m.file_size for m in members)
        if declared > limits.max_unzipped_bytes:
            raise _reject(
                file,
                f"workbook unpacks to {declared:,} bytes, over the "
                f"{limits.max_unzipped_bytes:,}-byte limit (zip bomb?)",
            )
        for member in members:
            ratio = member.file_size / max(member.compress_size, 1)
            if member.file_size > 1024 * 1024 and ratio > limits.max_compression_ratio:
                raise _reject(
                    file,
                    f"workbook part {member.filename} compresses {ratio:.0f}:1, "
                    f"over the limit of {limits.max_compression_ratio}:1 (zip bomb?)",
                )
        xml_parts = [m for m in members if m.filename.endswith((".xml", ".rels"))]
        xml_bytes = sum(m.file_size for m in xml_parts)
        if xml_bytes > limits.max_xml_bytes:
            # openpyxl holds whole rows in memory: a sheet far beyond any real submission is refused.
            raise _reject(
                file,
                f"workbook XML is {xml_bytes:,} bytes, over the {limits.max_xml_bytes:,}-byte "
                "limit (a submission's is well under 1 MB)",
            )
        if "[Content_Types].xml" not in archive.namelist():
            raise _reject(file, "not a valid .xlsx workbook (no [Content_Types].xml)")
        has_formulas = False
        for member in xml_parts:
            try:
                # zipfile never inflates past the declared size, so this read is bounded by the checks above.
                with archive.open(member) as stream:
                    tail, first = b"", True
                    while chunk := stream.read(256 * 1024):
                        if first:
                            _require_utf8(file, member.filename, chunk)
                            first = False
                        window = tail + chunk
                        if _DTD.search(window):
                            raise _reject(
                                file, f"workbook part {member.filename} declares a DTD or entities (XML entity attack?)"
                            )
                        if member.filename.startswith("xl/worksheets/") and _FORMULA.search(window):
                            has_formulas = True
                        tail = chunk[-16:]
            except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
                raise _reject(file, f"not a valid .xlsx workbook ({member.filename}: {exc})") from None
    return has_formulas


def _require_utf8(file: str, part: str, head: bytes) -> None:
    """Spreadsheet tools write UTF-8 XML; another encoding could hide a DTD from the scan, so refuse it."""
    declared = _XML_ENCODING.search(head[:200])
    if (
        head.startswith((b"\xff\xfe", b"\xfe\xff"))
        or b"\x00" in head[:4]
        or (declared and declared.group(1).lower().replace(b"_", b"-") not in (b"utf-8", b"utf8"))
    ):
        raise _reject(file, f"workbook part {part} is not UTF-8 XML")


def _xlsx_cell(cell) -> Any:
    value = cell.value
    if isinstance(value, (int, float)) and not isinstance(value, bool) and "%" in (cell.number_format or ""):
        return PercentCell(Decimal(repr(value)))
    return value  # an Excel error such as #DIV/0! stays text and fails its field's type check


def _load_rows(content: bytes, *, data_only: bool, limit: int) -> tuple[list[str], list[list] | None]:
    """The sheet names and the data sheet's cells (None when it is absent); openpyxl's errors pass through."""
    import openpyxl  # imported here: the CSV/JSON paths and the CLI's quick commands do not pay for it

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl warns about data validation / unknown extensions
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=data_only)
    try:
        if SHEET_NAME not in workbook.sheetnames:
            return workbook.sheetnames, None
        sheet = workbook[SHEET_NAME]
        sheet.reset_dimensions()  # the stored <dimension> is often wrong; read what is really there
        rows = []
        for cells in sheet.iter_rows(max_col=8):
            if len(rows) >= limit:
                break
            rows.append(list(cells))
        return workbook.sheetnames, rows
    finally:
        workbook.close()


def _read_xlsx(file: str, content: bytes, limits: ReadLimits) -> list[RawRow]:
    has_formulas = check_workbook_archive(file, content, limits)
    try:
        names, rows = _load_rows(content, data_only=True, limit=limits.max_rows + 2)
        if rows is None:
            raise _reject(file, f"no sheet named {SHEET_NAME} (sheets: {', '.join(names)})")
        if len(rows) > limits.max_rows + 1:
            raise _reject(file, f"sheet {SHEET_NAME} has more than {limits.max_rows} rows")
        values = [[_xlsx_cell(c) for c in cells] for cells in rows]
        if has_formulas:
            # A formula's saved result is what the submitter saw; without one (a workbook written by a
            # program, never opened in Excel) the value is unknown, which is a problem, not "missing".
            for r, cells in enumerate(_load_rows(content, data_only=False, limit=len(rows))[1]):
                for c, cell in enumerate(cells):
                    if cell.data_type == "f" and c < len(values[r]) and values[r][c] is None:
                        values[r][c] = FormulaWithoutResult(str(cell.value))
    except RejectedFile:
        raise
    except Exception as exc:  # openpyxl raises many types on broken parts; all mean "unreadable"
        raise _reject(file, f"not a readable .xlsx workbook ({type(exc).__name__}: {exc})") from None
    return _rows_from_table(file, list(enumerate(values, start=1)))


# --- csv ----------------------------------------------------------------------------------------


def decode_csv(file: str, content: bytes) -> str:
    """UTF-8 with or without BOM, else GB18030 — both occur in practice."""
    if content.startswith(b"\xef\xbb\xbf"):
        return content[3:].decode("utf-8", errors="strict")
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return content.decode("gb18030")
    except UnicodeDecodeError:
        raise _reject(file, "text is neither UTF-8 nor GB18030") from None


def _read_csv(file: str, content: bytes, limits: ReadLimits) -> list[RawRow]:
    try:
        text = decode_csv(file, content)
    except UnicodeDecodeError:
        raise _reject(file, "text is not valid UTF-8") from None
    if "\x00" in text:
        raise _reject(file, "not a text file (NUL bytes)")
    try:
        table = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise _reject(file, f"not a readable CSV ({exc})") from None
    if len(table) > limits.max_rows + 1:
        raise _reject(file, f"file has more than {limits.max_rows} rows")
    return _rows_from_table(file, [(n, [c if c != "" else None for c in row]) for n, row in enumerate(table, start=1)])


# --- table (xlsx and csv share the layout) ------------------------------------------------------

_HEADER_SEARCH_ROWS = 5


def _header_name(cell: Any) -> str:
    name = re.sub(r"\s+", "", nfkc(str(cell))) if cell is not None else ""
    return _HEADER_ALIASES.get(name.lower(), name)


def _rows_from_table(file: str, table: list[tuple[int, list[Any]]]) -> list[RawRow]:
    """The four-column layout: find the header, then one field per row; blank rows are skipped."""
    body = [(n, cells) for n, cells in table if any(c is not None and str(c).strip() for c in cells)]
    if not body:
        raise _reject(file, "no rows")
    # The header is the first row naming both key columns; a title line above it is allowed.
    for position, (header_row, header_cells) in enumerate(body[:_HEADER_SEARCH_ROWS]):
        columns = {_header_name(c): i for i, c in enumerate(header_cells) if c is not None}
        if HEADER_CODE in columns and HEADER_VALUE in columns:
            break
    else:
        header_row, header_cells = body[0]
        columns = {_header_name(c): i for i, c in enumerate(header_cells) if c is not None}
        needed = HEADER_CODE if HEADER_CODE not in columns else HEADER_VALUE
        raise _reject(file, f"header row {header_row} lacks the column {needed} (expected {' | '.join(HEADER)})")
    body = body[position:]

    def cell(cells: list[Any], name: str) -> Any:
        index = columns.get(name)
        return cells[index] if index is not None and index < len(cells) else None

    rows = []
    for number, cells in body[1:]:
        code = cell(cells, HEADER_CODE)
        code = nfkc(str(code)) if code is not None else ""
        value, note = cell(cells, HEADER_VALUE), cell(cells, HEADER_NOTE)
        if not code:
            if value is None or (isinstance(value, str) and not value.strip()):
                continue  # a label-only row (a section heading) carries no data
            raise _reject(file, f"row {number} has a value but no {HEADER_CODE}")
        note_text = nfc(str(note)) if note is not None and str(note).strip() else None
        rows.append(RawRow(code=code, value=value, note=note_text, where=f"row {number}"))
    return rows


# --- json ---------------------------------------------------------------------------------------


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise _DuplicateKey(key)
        seen[key] = value
    return seen


def _read_json(file: str, content: bytes) -> list[RawRow]:
    try:
        text = content.decode("utf-8-sig")
        document = json.loads(text, object_pairs_hook=_no_duplicates)
    except _DuplicateKey as exc:
        raise _reject(file, f"duplicate field code {exc.key}", field=nfkc(exc.key)) from None
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise _reject(file, f"not valid JSON ({exc})") from None
    if not isinstance(document, dict) or not isinstance(document.get("fields"), dict):
        raise _reject(file, 'not a submission: expected {"fields": {code: value, ...}, "notes": {...}}')
    notes = document.get("notes") or {}
    if not isinstance(notes, dict):
        raise _reject(file, '"notes" must be an object {code: text}')
    rows = []
    for code, value in document["fields"].items():
        if isinstance(value, list) and all(isinstance(v, (str, int, float)) for v in value):
            value = ";".join(str(v) for v in value)  # codes may come as a list
        elif isinstance(value, (dict, list)):
            raise _reject(file, "value must be a number, text, true/false or null", field=nfkc(code))
        note = notes.get(code)
        rows.append(
            RawRow(
                code=nfkc(code),
                value=value,
                note=nfc(str(note)) if note not in (None, "") else None,
                where=f"fields.{code}",
            )
        )
    codes = {row.code for row in rows}
    rows.extend(
        RawRow(code=nfkc(code), value=None, note=nfc(str(note)), where=f"notes.{code}")
        for code, note in notes.items()
        if nfkc(code) not in codes and note not in (None, "")
    )
    return rows
