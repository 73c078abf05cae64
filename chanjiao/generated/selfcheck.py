"""The generator's check of its own output: the catalogue's limits and rules evaluated on every accepted
document's typed values must raise exactly the findings its defects declared, and the year-over-year jumps
must be exactly the declared ones — so the answer key cannot drift from the files.
"""

from __future__ import annotations

import re
from decimal import Decimal

from chanjiao.generated.consortia import data_rows
from chanjiao.generated.documents import Doc, Draft
from chanjiao.generated.scenario import YEARS
from chanjiao.intake.normalize import nfc, nfkc
from chanjiao.reference.catalogue import Catalogue


def check(draft: Draft) -> None:
    """Raise AssertionError where a document's findings or jumps differ from those declared."""
    layout_rows = data_rows("industry_layout_hunan.csv")
    layout: dict[str, set[str]] = {}
    for row in layout_rows:
        layout.setdefault(row["city"], set()).add(row["industry_code"])
    known_codes = {row["industry_code"] for row in layout_rows}
    for d in draft.docs:
        if d.expected != "accepted":
            continue
        found = set(findings(draft.cat, d, layout, known_codes))
        declared = {(f["field"], f["rule"]) for f in d.faults if f["rule"] not in ("type", "yoy")}
        if found != declared:
            raise AssertionError(
                f"sample {d.key} v{d.version}: findings {sorted(found)} != declared {sorted(declared)}"
            )
    check_yoy(draft)


def check_yoy(draft: Draft) -> None:
    """Every jump of more than 50 % against the previous year's summary is a declared ``yoy`` fault."""
    for d in draft.docs:
        if d.expected != "accepted" or d.kind != "summary" or d.year == YEARS[0]:
            continue
        prev = draft.latest(d.consortium.consortium_id, d.year - 1, "summary")
        if prev is None:
            continue
        skip = draft.unusable(d) | draft.unusable(prev)
        jumps = set()
        for f in draft.cat.for_kind("summary"):
            if not f.is_numeric or f.is_meta or f.code in skip:
                continue
            now, before = d.values.get(f.code), prev.values.get(f.code)
            if now is None or before in (None, 0):
                continue
            if abs(Decimal(now) / Decimal(before) - 1) > Decimal("0.5"):
                jumps.add(f.code)
        declared = {f["field"] for f in d.faults if f["rule"] == "yoy"}
        if jumps != declared:
            raise AssertionError(f"sample {d.key}: year-over-year jumps {sorted(jumps)} != {sorted(declared)}")


def findings(cat: Catalogue, d: Doc, layout: dict[str, set[str]], known_codes: set[str]) -> list[tuple[str, str]]:
    """The catalogue's limits and rules evaluated on the typed values (the generator's own check)."""
    v = {code: value for code, value in d.values.items() if code not in d.unparseable}
    present = {code: value for code, value in v.items() if value not in (None, "", ())}
    out = []
    for f in cat.for_kind(d.kind):
        value = present.get(f.code)
        if value is None:
            if f.required(d.kind) and f.code not in d.unparseable:
                out.append((f.code, "required"))
        elif f.is_numeric:
            if (f.min is not None and value < f.min) or (f.max is not None and value > f.max):
                out.append((f.code, "min" if f.min is not None and value < f.min else "max"))
        elif f.type == "text" and f.max_chars and len(nfc(value)) > f.max_chars:
            out.append((f.code, "max_chars"))
        elif f.code == "industry_codes" and any(code not in known_codes for code in value):
            out.append((f.code, "known"))
        for rule in f.rules:
            if not rule.applies_to(d.kind):
                continue
            others = [present.get(x) for x in rule.fields]
            if rule.name == "required_if":
                if others[0] not in (None, 0) and value is None:
                    out.append((f.code, rule.name))
                continue
            if value is None or any(o is None for o in others):
                continue
            broken = {
                "sum_eq": lambda: abs(value - sum(others)) > rule.tolerance,
                "le": lambda: value > others[0],
                "not_after": lambda: value > others[0],
                "any_positive": lambda: not (value > 0 or others[0] > 0),
                "both_or_neither": lambda: (value > 0) != (others[0] > 0),
                "warn_below": lambda: value < rule.number,
                "warn_equal": lambda: value == rule.number,
                "min_ratio": lambda: others[0] > 0 and Decimal(value) / Decimal(others[0]) < rule.number,
                "known_codes": lambda: any(code not in rule.codes for code in value),
                "is_true": lambda: value is not True,
                "registry_name": lambda: re.sub(r"\s+", "", nfkc(value)) != re.sub(r"\s+", "", nfkc(d.consortium.name)),
                "veto": lambda: value > 0,
                "in_city_layout": lambda: (
                    d.consortium.city in layout and any(code not in layout[d.consortium.city] for code in value)
                ),
            }[rule.name]()
            if broken:
                out.append((f.code, rule.name))
    return out
