"""What counts as a missing value, for every stage: None, NaN and NaT alike."""

from __future__ import annotations

import pandas as pd


def is_missing(value: object) -> bool:
    """None, or a frame's missing cell (NaN, NaT: truthy, and NaT even passes for a datetime)."""
    return value is None or (not isinstance(value, (str, list, tuple)) and bool(pd.isna(value)))
