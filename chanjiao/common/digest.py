"""Canonical digests: the same value always gives the same sha256, whatever its dict order or number type.

Stages use them to tell whether their inputs changed since the stored result was made.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction

# Context keys that say when, not what: excluded from the fingerprint so a nightly run with nothing new
# re-renders nothing (the cover's 数据截至 date stays that of the version's first rendering).
VOLATILE_KEYS = frozenset({"generated_at", "as_of", "scored_at", "revision", "revisions_note"})


def _plain(value: object) -> object:
    """A JSON-able, order-stable view of a context value."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items() if str(k) not in VOLATILE_KEYS}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted(_plain(v) for v in value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (Decimal, Fraction)):
        return str(value)
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):  # numpy scalars
        value = value.item()
    if isinstance(value, float) and value != value:  # NaN, numpy's or Python's
        return None
    return value


def digest(value: object) -> str:
    """sha256 of a canonical JSON rendering of ``value`` (volatile keys left out)."""
    text = json.dumps(_plain(value), ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
