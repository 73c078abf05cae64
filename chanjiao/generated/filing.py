"""How each document is filed: its format (xlsx, csv, json) and encoding, the way its cells are typed, and the
file name a submitter gives it (file-name variants, as consortia name their files).
"""

from __future__ import annotations

import random
from collections.abc import Mapping

from chanjiao.generated.documents import Doc

FORMAT_SHARES = (("xlsx", 0.5), ("csv", 0.3), ("json", 0.2))
CSV_ENCODINGS = ("utf-8", "utf-8", "utf-8-sig", "gb18030", "utf-8", "gb18030", "utf-8-sig", "utf-8")
KIND_SHORT = {"plan": "工作计划", "summary": "工作总结"}


def assign_formats(docs: list[Doc], rng: random.Random) -> None:
    """A format for every document without one, to the shares of ``FORMAT_SHARES``; an encoding for every CSV
    (cycling through ``CSV_ENCODINGS``) and JSON file."""
    total = len(docs)
    wanted = {fmt: round(share * total) for fmt, share in FORMAT_SHARES}
    wanted["json"] = total - wanted["xlsx"] - wanted["csv"]
    for d in docs:
        if d.fmt:
            wanted[d.fmt] -= 1
    free = [d for d in docs if not d.fmt]
    rng.shuffle(free)
    pool = [fmt for fmt, _ in FORMAT_SHARES for _ in range(max(wanted[fmt], 0))]
    pool += ["xlsx"] * (len(free) - len(pool))
    for d, fmt in zip(free, pool):
        d.fmt = fmt
    encodings = list(CSV_ENCODINGS)
    i = 0
    for d in docs:
        if d.fmt == "csv" and not d.encoding:
            d.encoding = encodings[i % len(encodings)]
            i += 1
        elif d.fmt == "json":
            d.encoding = "utf-8"


def assign_styles(docs: list[Doc]) -> None:
    """How each document's cells are typed (dates, percentages, separators, booleans, numbers), varied in turn
    within each format so that every normalisation case occurs."""
    counters = {"xlsx": 0, "csv": 0, "json": 0}
    for d in docs:
        i = counters[d.fmt]
        counters[d.fmt] += 1
        if d.fmt == "xlsx":
            d.style = {
                "date": ("cell", "iso", "cell", "slash", "cjk")[i % 5],
                "percent": ("cell", "sign", "plain", "cell", "fullwidth", "cell")[i % 6],
                "thousands": i % 4 == 1,
                "fullwidth_comma": i % 8 == 5,
                "fullwidth_digits": i % 6 == 2,
                "bool": ("shi", "true")[i % 2],
                "numbers": "cell",
                "extra_sheet": ("first" if i % 9 == 4 else "last" if i % 9 == 7 else None),
            }
        elif d.fmt == "csv":
            d.style = {
                "date": ("iso", "slash", "cjk")[i % 3],
                "percent": ("sign", "plain", "fullwidth")[(i + 1) % 3],
                "thousands": i % 3 == 0,
                "fullwidth_comma": i % 6 == 3,
                "fullwidth_digits": i % 5 == 4,
                "bool": ("shi", "true")[i % 2],
                "numbers": "string",
                "line_end": "\r\n" if d.encoding in ("gb18030", "utf-8-sig") else "\n",
            }
        else:
            numbers = "json" if i % 2 == 0 else "string"
            d.style = {
                "date": ("iso", "slash", "cjk")[i % 3],
                "percent": "plain" if numbers == "json" else ("sign", "plain")[i % 4 // 2],
                "thousands": numbers == "string" and i % 4 == 1,
                "fullwidth_comma": False,
                "fullwidth_digits": i % 5 == 3,
                "bool": ("json", "shi", "true")[i % 3],
                "numbers": numbers,
            }


def assign_names(docs: list[Doc], rng: random.Random, kind_names: Mapping[str, str]) -> None:
    """A file name for every document without one, in one of the ways submitters name their files (``kind_names``:
    the kind as consortia write it); a clash within a folder gets ``(2)``, ``(3)``…"""
    used: set[tuple[int, str]] = {((d.folder_year or d.year), d.filename) for d in docs if d.filename}
    for d in docs:
        if d.filename:
            continue
        c, y, k = d.consortium, d.year, d.kind
        patterns = (
            f"{c.consortium_id}_{y}_{k}",
            f"{c.name}{y}年{KIND_SHORT[k]}",
            f"{c.consortium_id}-{k}-{y}",
            f"{y}年{c.name}{'全年工作计划' if k == 'plan' else '全年工作总结（含典型案例）'}",
            f"{c.city}_{c.name}_{y}{'计划' if k == 'plan' else '总结'}",
            f"{c.consortium_id} {y}年度{kind_names[k]}",
            f"关于报送{c.name}{y}年度{KIND_SHORT[k]}的函",
        )
        name = f"{rng.choice(patterns)}.{d.fmt}"
        n = 2
        while ((d.folder_year or y), name) in used:
            name = f"{name.rsplit('.', 1)[0]}({n}).{d.fmt}"
            n += 1
        used.add(((d.folder_year or y), name))
        d.filename = name
