"""Cells as people type them: each typed value written the way the document's style says — dates as cells or
text, percentages with or without a sign, thousands separators, full-width digits, 是/否 or true/false — with
every normalisation case it exercises recorded on the document; then the file itself, through ``writers``.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from chanjiao.generated.documents import Doc
from chanjiao.generated.figures import dec_text
from chanjiao.generated.writers import Row, submission_csv, submission_json, submission_xlsx
from chanjiao.intake.normalize import nfkc
from chanjiao.reference.catalogue import Catalogue, Field

FIXED_TIME = datetime(2025, 1, 1, 0, 0, 0)  # every workbook's timestamps and archive entry times
_FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
_DATE_FORMATS = ("yyyy-mm-dd", "yyyy/m/d", 'yyyy"年"m"月"d"日"')


class Renderer:
    """Turns a typed value into what a submitter's file holds, recording the normalisations used."""

    def __init__(self, d: Doc, rng: random.Random, kind_names: Mapping[str, str]) -> None:
        self.d, self.style, self.tags, self.kind_names = d, d.style, d.tags, kind_names
        numeric = [
            f
            for f in d.values
            if d.values[f] is not None
            and isinstance(d.values[f], int)
            and not isinstance(d.values[f], bool)
            and f not in ("year", "violations_count")
        ]
        self.fullwidth = set(rng.sample(numeric, min(2, len(numeric)))) if d.style.get("fullwidth_digits") else set()
        self.date_cell_format = _DATE_FORMATS[rng.randrange(len(_DATE_FORMATS))]

    def number_text(self, value: int | Decimal, code: str) -> str:
        text = f"{value:,}" if isinstance(value, int) else None
        if isinstance(value, Decimal):
            whole, _, frac = dec_text(value).partition(".")
            text = f"{int(whole):,}" + (f".{frac}" if frac else "")
        plain = str(value) if isinstance(value, int) else dec_text(value)
        if self.style.get("thousands") and abs(value) >= 1000:
            self.tags.add("thousands_separator")
            if self.style.get("fullwidth_comma"):
                self.tags.add("fullwidth_comma")
                text = text.replace(",", "，")
        else:
            text = plain
        if code in self.fullwidth:
            self.tags.add("fullwidth_digits")
            text = text.translate(_FULLWIDTH)
        return text

    def value(self, f: Field, value: Any) -> tuple[Any, str | None]:
        """(cell value, number format) for xlsx; a str (csv) or a JSON value (json) otherwise."""
        fmt, st = self.d.fmt, self.style
        if f.code in self.d.raw:
            raw = self.d.raw[f.code]
            return (None if raw == "" and fmt == "xlsx" else raw), None
        if value is None:
            return ("" if fmt != "xlsx" else None), None
        if f.type == "date":
            if st["date"] == "cell" and fmt == "xlsx":
                self.tags.add("date_cell")
                return value, self.date_cell_format
            self.tags.add(f"date_{st['date']}")
            return {
                "iso": value.isoformat(),
                "slash": f"{value.year}/{value.month}/{value.day}",
                "cjk": f"{value.year}年{value.month}月{value.day}日",
            }[st["date"]], None
        if f.type == "bool":
            if st["bool"] == "json" and fmt == "json":
                self.tags.add("bool_json")
                return bool(value), None
            self.tags.add("bool_shi_fou" if st["bool"] == "shi" else "bool_true_false")
            return ("是" if value else "否") if st["bool"] == "shi" else ("true" if value else "false"), None
        if f.type == "enum":
            if self.d.kind_chinese:
                self.tags.add("kind_chinese")
                return self.kind_names[value], None
            return value, None
        if f.type == "codes":
            if self.d.fullwidth_semicolon:
                self.tags.add("fullwidth_semicolon")
                return "；".join(value), None
            return ";".join(value), None
        if f.type == "percent":
            return self.percent(f, value)
        if f.is_numeric:
            if f.is_meta:
                if fmt == "xlsx":
                    return value, None
                if fmt == "json" and st["numbers"] == "json":
                    return value, None
                return str(value), None
            return self.number(f, value)
        return value, None

    def number(self, f: Field, value: int | Decimal) -> tuple[Any, str | None]:
        fmt, st = self.d.fmt, self.style
        as_text = self.number_text(value, f.code)
        plain = str(value) if isinstance(value, int) else dec_text(value)
        if as_text != plain:  # a separator or full-width digits: typed as text
            self.tags.add("json_string" if fmt == "json" else "numeric_string")
            return as_text, None
        if fmt == "xlsx":
            self.tags.add("numeric_cell")
            return (
                value if isinstance(value, int) else int(value) if value == value.to_integral_value() else float(value)
            ), None
        if fmt == "json" and st["numbers"] == "json":
            self.tags.add("json_number")
            return (
                value if isinstance(value, int) else int(value) if value == value.to_integral_value() else float(value)
            ), None
        self.tags.add("json_string" if fmt == "json" else "numeric_string")
        return plain, None

    def percent(self, f: Field, value: Decimal) -> tuple[Any, str | None]:
        fmt, st = self.d.fmt, self.style
        text = dec_text(value)
        if fmt == "xlsx" and st["percent"] == "cell":
            self.tags.add("percent_cell")
            fraction = value / 100
            return float(fraction), ("0%" if value == value.to_integral_value() else "0.0%")
        if fmt == "json" and st["numbers"] == "json":
            self.tags.update(("percent_plain", "json_number"))
            return (int(value) if value == value.to_integral_value() else float(value)), None
        if fmt == "xlsx" and st["percent"] == "plain":
            self.tags.update(("percent_plain", "numeric_cell"))
            return (int(value) if value == value.to_integral_value() else float(value)), None
        kind = st["percent"] if st["percent"] in ("sign", "plain", "fullwidth") else "sign"
        self.tags.add({"sign": "percent_sign", "plain": "percent_plain", "fullwidth": "fullwidth_percent"}[kind])
        if fmt == "json":
            self.tags.add("json_string")
        return text + {"sign": "%", "plain": "", "fullwidth": "％"}[kind], None


def submission_rows(cat: Catalogue, d: Doc, rng: random.Random, kind_names: Mapping[str, str]) -> list[Row]:
    """The document's rows in catalogue order, typed as its style says, with the deliberate row edits."""
    renderer = Renderer(d, rng, kind_names)
    rows = []
    for f in cat.for_kind(d.kind):
        value, number_format = renderer.value(f, d.values.get(f.code))
        if value in (None, "") and not f.is_meta and f.code not in d.raw:
            d.tags.add("empty_optional")
        rows.append(Row(f.code, f.label_zh, value, number_format, d.notes.get(f.code)))
    for edit, arg in d.row_edits:
        if edit == "rename":
            old, new = arg
            rows = [Row(new if code == old else code, label, value, nf, note) for code, label, value, nf, note in rows]
        elif edit == "duplicate":
            at = next(i for i, row in enumerate(rows) if row[0] == arg)
            code, label, value, nf, note = rows[at]
            bumped = (
                value + 2
                if isinstance(value, int)
                else (str(int(nfkc(str(value)).replace(",", "")) + 2) if str(value).strip() else "2")
            )
            rows.insert(at + 3, Row(code, label, bumped, nf, None))
    return rows


def file_bytes(cat: Catalogue, d: Doc, rng: random.Random, kind_names: Mapping[str, str]) -> bytes:
    """The document's file, in its format and encoding (a truncated workbook where the scenario says so)."""
    rows = submission_rows(cat, d, rng, kind_names)
    if d.fmt == "xlsx":
        if d.style.get("extra_sheet") == "first":
            d.tags.add("data_sheet_not_first")
        content = submission_xlsx(rows, dressed=True, guide=d.style.get("extra_sheet"), stamp=FIXED_TIME)
        if d.truncate:
            d.tags.clear()
            return content[: len(content) * 3 // 5]
        return content
    if d.fmt == "csv":
        return submission_csv(rows, encoding=d.encoding, line_end=d.style["line_end"])
    fields = {row.code: ("" if row.value is None else row.value) for row in rows}
    notes = {row.code: row.note for row in rows if row.note}
    return submission_json(fields, notes or None, indent=2)
