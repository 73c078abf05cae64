"""Values as people type them, turned into typed values (docs/DOMAIN.md, "The input contract").

Each parser takes what a reader found in a cell (text, a number, an Excel date, a bool) and returns the
typed value or raises :class:`ValueProblem` with a short reason. A value that cannot be parsed does not
reject the file: it is kept with its problem so the data-quality layer reports it as a type finding.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from chanjiao.reference.catalogue import Field

Value = int | Decimal | date | bool | str | tuple[str, ...]
# Identifiers, not prose: full-width forms are folded (ＳＸ－２０２４－０１ → SX-2024-01, ０３５１ → 0351).
FOLDED_TEXT_FIELDS = frozenset({"consortium_id", "contact_phone"})


class ValueProblem(ValueError):
    """A cell whose text does not parse as its field's type."""


@dataclass(frozen=True)
class PercentCell:
    """An Excel cell formatted as percent: it holds 0.85 and shows (and means) 85 %."""

    fraction: Decimal


@dataclass(frozen=True)
class FormulaWithoutResult:
    """An Excel formula cell with no saved result (the workbook was written by a program, never calculated)."""

    formula: str


def nfkc(text: str) -> str:
    """NFKC folds full-width digits, ％ and ， into their ASCII forms; then trim."""
    return unicodedata.normalize("NFKC", text).strip()


def nfc(text: str) -> str:
    """Narrative text keeps its Chinese punctuation: NFC only, trimmed (max_chars counts this form)."""
    return unicodedata.normalize("NFC", text).strip()


def is_empty(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and raw.strip() == "")


_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
_GROUPED = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?")


def _number_text(raw: Any) -> Decimal:
    """A number from a cell: real numbers as they are, text with optional thousands separators."""
    if isinstance(raw, bool):
        raise ValueProblem(f"{raw!r} is a yes/no value, not a number")
    if isinstance(raw, int):
        return Decimal(raw)
    if isinstance(raw, float):
        if raw != raw or raw in (float("inf"), float("-inf")):
            raise ValueProblem("not a finite number")
        return Decimal(repr(raw))
    if isinstance(raw, Decimal):
        return raw
    if isinstance(raw, (date, datetime)):
        raise ValueProblem(f"{raw:%Y-%m-%d} is a date, not a number")
    text = nfkc(str(raw)).replace(" ", "").replace("\u00a0", "")
    if _GROUPED.fullmatch(text):
        text = text.replace(",", "")
    if not _NUMBER.fullmatch(text):
        raise ValueProblem(f"“{nfkc(str(raw))}” is not a number")
    return Decimal(text)


def _canonical_decimal(value: Decimal) -> Decimal:
    """Drop exponent notation and trailing zeros so 85.00 and 85 store alike."""
    if value == value.to_integral_value():
        return Decimal(int(value))
    return value.normalize()


def parse_int(raw: Any) -> int:
    if isinstance(raw, PercentCell):
        raise ValueProblem("a percent cell in a whole-number field")
    number = _number_text(raw)
    if number != number.to_integral_value():
        raise ValueProblem(f"{_canonical_decimal(number)} is not a whole number")
    return int(number)


def parse_decimal(raw: Any) -> Decimal:
    if isinstance(raw, PercentCell):
        raise ValueProblem("a percent cell in a number field")
    return _canonical_decimal(_number_text(raw))


def parse_percent(raw: Any) -> Decimal:
    """``85%``, ``85`` and a percent-formatted Excel cell holding 0.85 all mean 85."""
    if isinstance(raw, PercentCell):
        return _canonical_decimal(raw.fraction * 100)
    if isinstance(raw, str):
        text = nfkc(raw)
        if text.endswith("%"):
            return _canonical_decimal(_number_text(text[:-1]))
    return _canonical_decimal(_number_text(raw))


_DATE_FORMS = (
    re.compile(r"(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})"),
    re.compile(r"(?P<y>\d{4})/(?P<m>\d{1,2})/(?P<d>\d{1,2})"),
    re.compile(r"(?P<y>\d{4})\.(?P<m>\d{1,2})\.(?P<d>\d{1,2})"),
    re.compile(r"(?P<y>\d{4})年(?P<m>\d{1,2})月(?P<d>\d{1,2})日?"),
)
_EXCEL_EPOCH = date(1899, 12, 30)


def parse_date(raw: Any) -> date:
    """``2024-07-15``, ``2024/7/15``, ``2024年7月15日``, an Excel date cell, or an Excel serial number."""
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        # A date cell that lost its format still holds Excel's day count (1900 system).
        if 20000 <= raw <= 80000 and float(raw).is_integer():
            return _EXCEL_EPOCH + timedelta(days=int(raw))
        raise ValueProblem(f"{raw} is a number, not a date")
    text = nfkc(str(raw))
    text = re.sub(r"[T ]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$", "", text)  # a time of day, as Excel exports dates
    for form in _DATE_FORMS:
        match = form.fullmatch(text)
        if match:
            try:
                return date(int(match["y"]), int(match["m"]), int(match["d"]))
            except ValueError:
                raise ValueProblem(f"“{text}” is not a calendar date") from None
    raise ValueProblem(f"“{text}” is not a date (use 2024-07-15, 2024/7/15 or 2024年7月15日)")


_TRUE = {"是", "true", "yes", "y", "1", "√", "✓"}
_FALSE = {"否", "false", "no", "n", "0", "×"}


def parse_bool(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, (int, float)) and raw in (0, 1):
        return bool(raw)
    text = nfkc(str(raw)).lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueProblem(f"“{nfkc(str(raw))}” is not 是/否 (true/false)")


# Chinese names people write for the two kinds of document.
KIND_ALIASES = {
    "plan": "plan",
    "计划": "plan",
    "工作计划": "plan",
    "全年工作计划": "plan",
    "年度工作计划": "plan",
    "summary": "summary",
    "总结": "summary",
    "工作总结": "summary",
    "全年工作总结": "summary",
    "年度工作总结": "summary",
    "全年工作总结(含典型案例)": "summary",
}


def parse_enum(raw: Any, allowed: tuple[str, ...]) -> str:
    text = nfkc(str(raw))
    value = KIND_ALIASES.get(text.lower(), text.lower()) if set(allowed) <= set(KIND_ALIASES) else text
    if value not in allowed:
        raise ValueProblem(f"“{text}” is not one of {'/'.join(allowed)}")
    return value


def parse_codes(raw: Any) -> tuple[str, ...]:
    """Semicolon-separated codes; ``；``, ``、`` and commas are read as separators too."""
    text = nfkc(str(raw))
    return tuple(part for part in re.split(r"[;,、\s]+", text) if part)


def parse_text(raw: Any, *, fold: bool = False) -> str:
    """Text as NFC; identifiers and other meta text are NFKC-folded (``ＳＸ－２０２４`` → ``SX-2024``)."""
    if isinstance(raw, datetime):
        return raw.date().isoformat()
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    if isinstance(raw, PercentCell):
        return f"{_canonical_decimal(raw.fraction * 100)}%"
    return nfkc(str(raw)) if fold else nfc(str(raw))


def parse_value(field: Field, raw: Any) -> Value | None:
    """The typed value of one cell for its field, ``None`` when empty; raises :class:`ValueProblem`."""
    if is_empty(raw):
        return None
    if isinstance(raw, FormulaWithoutResult):
        raise ValueProblem(
            f"formula {raw.formula} has no saved result: open and save the workbook in Excel, or type the value"
        )
    if field.type == "text":
        return parse_text(raw, fold=field.code in FOLDED_TEXT_FIELDS)
    if field.type == "int":
        return parse_int(raw)
    if field.type == "decimal":
        return parse_decimal(raw)
    if field.type == "percent":
        return parse_percent(raw)
    if field.type == "date":
        return parse_date(raw)
    if field.type == "bool":
        return parse_bool(raw)
    if field.type == "enum":
        return parse_enum(raw, field.enum_values)
    if field.type == "codes":
        return parse_codes(raw) or None
    raise ValueProblem(f"unknown type {field.type}")  # the catalogue validates types on load


def raw_text(raw: Any) -> str | None:
    """How a cell reads to a person, kept beside the parsed value for findings and provenance."""
    if is_empty(raw):
        return None
    if isinstance(raw, PercentCell):
        return f"{_canonical_decimal(raw.fraction * 100)}%"
    if isinstance(raw, FormulaWithoutResult):
        return raw.formula
    if isinstance(raw, datetime):
        return raw.date().isoformat() if raw.time() == datetime.min.time() else raw.isoformat(sep=" ")
    if isinstance(raw, date):
        return raw.isoformat()
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return str(raw).strip()


def to_storage(value: Value | None) -> str | None:
    """The canonical text form a typed value is stored as (and read back with :func:`from_storage`)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, tuple):
        return ";".join(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def from_storage(field: Field, text: str | None) -> Value | None:
    """Inverse of :func:`to_storage` for a field's type."""
    if text is None:
        return None
    if field.type == "int":
        return int(text)
    if field.type in ("decimal", "percent"):
        return Decimal(text)
    if field.type == "date":
        return date.fromisoformat(text)
    if field.type == "bool":
        return text == "true"
    if field.type == "codes":
        return tuple(text.split(";"))
    return text
