"""How a value reads to a person (messages, receipts, score bases): numbers with their unit, dates, 是/否."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from chanjiao.common.values import is_missing
from chanjiao.reference.catalogue import Field


def fmt_number(value: object, field: Field | None = None) -> str:
    """A number as a person writes it, with the field's unit: 120人, 3.5万元, 85%."""
    if is_missing(value):
        return "（空）"
    number = Decimal(repr(float(value))) if isinstance(value, float) else Decimal(value)
    text = str(int(number)) if number == number.to_integral_value() else format(number.normalize(), "f")
    unit = field.unit if field is not None and field.unit not in ("",) else ""
    return f"{text}{unit}"


def fmt_value(field: Field, value: object) -> str:
    if is_missing(value):
        return "（空）"
    if field.is_numeric:
        return fmt_number(value, field)
    if field.type == "date":
        return value.date().isoformat() if hasattr(value, "date") and callable(value.date) else str(value)
    if field.type == "bool":
        return "是" if value else "否"
    return str(value)


def fmt_score(score: Fraction | float | None, places: int = 1) -> str:
    """A score rounded half up to ``places`` decimals (how totals are rounded before grades and ranks)."""
    if score is None:
        return ""
    return format(round_half_up(score, places), "f")


def round_half_up(value: Fraction | float | int | Decimal, places: int = 1) -> Decimal:
    """Exact half-up rounding: 84.95 → 85.0, never 84.9 through binary floating point."""
    exact = Fraction(value) if not isinstance(value, float) else Fraction(repr(value))
    scale = 10**places
    scaled = exact * scale
    whole = (scaled.numerator * 2 + scaled.denominator) // (2 * scaled.denominator)  # floor(x + 1/2)
    return Decimal(whole).scaleb(-places)
