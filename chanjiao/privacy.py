"""Masking personal data (DOMAIN.md, "Reports"): ``contact_name`` and ``contact_phone`` never leave the
warehouse unmasked — not in a CSV, a receipt, a PDF or a Prefect artifact.

王小明 → 王**; 0351-7654567 → 0351-****567; 13812345678 → 138****5678.
"""

from __future__ import annotations

import re

from chanjiao.catalogue import PERSONAL_FIELDS

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


def mask_text(text: str, personal: dict[str, str | None]) -> str:
    """Replace every occurrence of the personal values in a free text (a message, an explanation)."""
    for field, value in personal.items():
        if value and len(str(value).strip()) >= 2:     # one character would mask every occurrence of it
            text = text.replace(str(value).strip(), str(mask_value(field, str(value).strip())))
    return text
