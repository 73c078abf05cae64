"""Masking personal data (docs/DOMAIN.md, "Reports"): ``contact_name`` and ``contact_phone`` never leave the
warehouse unmasked — not in a CSV, a receipt, a PDF or a Prefect artifact.

王小明 → 王**; 0351-7654567 → 0351-****567; 13812345678 → 138****5678.
"""

from __future__ import annotations

import re
import unicodedata

from chanjiao.reference.catalogue import PERSONAL_FIELDS

_MOBILE = re.compile(r"(?:\+?86[- ]?)?(1\d{2})[- ]?\d{4}[- ]?(\d{4})")
_LANDLINE = re.compile(r"(0\d{2,3})[- ]?(\d{7,8})")


def mask_name(name: str) -> str:
    """Keep the family name (the first character), star the rest: 王小明 → 王**, 欧阳娜娜 → 欧***."""
    name = name.strip()
    if not name:
        return name
    return name[0] + "*" * max(len(name) - 1, 1)


def mask_phone(phone: str) -> str:
    """Mobile numbers keep 3 + 4 digits, landlines the area code and the last 3 digits; anything else
    keeps at most its last 3 characters."""
    text = phone.strip()
    compact = re.sub(r"[\s()（）]", "", text)
    mobile = _MOBILE.fullmatch(compact)
    if mobile:
        return f"{mobile.group(1)}****{mobile.group(2)}"
    landline = _LANDLINE.fullmatch(compact)
    if landline:
        return f"{landline.group(1)}-****{landline.group(2)[-3:]}"
    if len(compact) <= 3:
        return "*" * len(compact)
    return "*" * (len(compact) - 3) + compact[-3:]


def mask_value(field: str, value: object) -> object:
    """``value`` as it may appear in an output: personal fields masked, everything else unchanged."""
    if value is None or field not in PERSONAL_FIELDS:
        return value
    text = str(value)
    return mask_name(text) if field == "contact_name" else mask_phone(text)


_MOBILE_IN_TEXT = re.compile(r"(?<!\d)(?:\+?86[\s-]?)?1[3-9]\d(?:[\s-]?\d){8}(?!\d)")
_LANDLINE_IN_TEXT = re.compile(r"(?<!\d)0\d{2,3}[\s-]?\d{7,8}(?!\d)")


def _folded(text: str) -> str:
    """NFKC per character where it stays one character (full-width digits, spaces), so positions align."""
    out = []
    for char in text:
        folded = unicodedata.normalize("NFKC", char)
        out.append(folded if len(folded) == 1 else char)
    return "".join(out)


def mask_text(text: str, personal: dict[str, str | None]) -> str:
    """Mask personal data inside a free text (a 说明, a message): the contact's own name and phone in any
    spacing or width (王 小明, １３８１２３４５６７８), and any phone number at all — a note may quote
    someone else's."""
    if not text:
        return text
    folded = _folded(text)
    spans: list[tuple[int, int, str]] = []
    for field, value in personal.items():
        value = _folded(str(value or "")).strip()
        compact = re.sub(r"\s+", "", value)
        if len(compact) < 2:  # one character would mask every occurrence of it
            continue
        pattern = r"\s*".join(re.escape(char) for char in compact)
        spans += [(m.start(), m.end(), str(mask_value(field, compact))) for m in re.finditer(pattern, folded)]
    for pattern in (_MOBILE_IN_TEXT, _LANDLINE_IN_TEXT):
        spans += [(m.start(), m.end(), mask_phone(m.group())) for m in pattern.finditer(folded)]
    result, position = [], 0
    for start, end, masked in sorted(spans):
        if start < position:
            continue  # overlaps a span already masked
        result += [text[position:start], masked]
        position = end
    return "".join(result) + text[position:]
