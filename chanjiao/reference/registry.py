"""Registry and calendars: consortia, provinces, deadlines, milestones, extensions, industry layout.

Each loader parses CSV text into a validated DataFrame; every defect names the file, row and column, so
an operator can fix a registry in one go. The project's own copies live in ``chanjiao/data``; the
registry and extensions are operator files given by path.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Literal

import pandas as pd

from chanjiao.common.errors import ConfigurationError, ReferenceDataError
from chanjiao.reference.catalogue import KINDS, data_text
from chanjiao.reference.frameworks import Framework, framework_id_for, load_frameworks, parse_assignment

REGISTRY_COLUMNS = (
    "consortium_id",
    "name",
    "province_code",
    "province",
    "city",
    "level",
    "recognized_year",
    "dev_zone",
    "lead_schools",
    "lead_enterprises",
)
REGISTRY_OPTIONAL = ("industry_codes", "status", "status_year")
STATUSES = ("active", "withdrawn", "adjusted")
LEVELS = ("provincial", "national")
EXTENSION_COLUMNS = ("consortium_id", "year", "kind", "due_date", "reason")


def _table(text: str, where: str, required: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    columns = [c.strip() for c in reader.fieldnames or []]
    missing = [c for c in required if c not in columns]
    if missing:
        raise ReferenceDataError(f"missing column(s) {', '.join(missing)}", file=where)
    return [
        (n, {k.strip(): (v or "").strip() for k, v in row.items() if k is not None})
        for n, row in enumerate(reader, start=2)
    ]


def _int(value: str, *, where: str, row: int, column: str, optional: bool = False) -> int | None:
    if value == "" and optional:
        return None
    if not re.fullmatch(r"\d{1,4}", value):
        raise ReferenceDataError(f"{column} {value!r} is not a year", file=where, row=row, field=column)
    return int(value)


def _date(value: str, *, where: str, row: int, column: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ReferenceDataError(
            f"{column} {value!r} is not a date (YYYY-MM-DD)", file=where, row=row, field=column
        ) from None


def known_province_codes() -> tuple[str, ...]:
    """The GB/T 2260 codes of the project's provinces.csv, in its order."""
    return tuple(row["province_code"] for row in csv.DictReader(io.StringIO(data_text("provinces.csv"))))


# A province code as a flow parameter: the Prefect UI offers the known codes, and the API refuses others.
ProvinceCode = Literal[known_province_codes()]  # type: ignore[valid-type]


def parse_provinces(text: str, where: str = "provinces.csv") -> pd.DataFrame:
    rows = _table(text, where, ("province_code", "province", "department", "framework"))
    frame = pd.DataFrame([r for _, r in rows], columns=["province_code", "province", "department", "framework"])
    for line, row in rows:
        parse_assignment(row["framework"], where=where, row=line)
    duplicated = frame["province_code"][frame["province_code"].duplicated()].tolist()
    if duplicated:
        raise ReferenceDataError(f"duplicate province_code {duplicated[0]}", file=where)
    return frame.set_index("province_code", drop=False)


def parse_registry(
    text: str, provinces: pd.DataFrame, where: str = "registry.csv", industry_codes: set[str] | None = None
) -> pd.DataFrame:
    """The consortium registry: the columns of the Shanxi batch list plus optional status columns."""
    rows = _table(text, where, REGISTRY_COLUMNS)
    records, seen = [], {}
    for line, row in rows:
        if not any(row.values()):
            continue
        cid = row["consortium_id"]
        if not cid:
            raise ReferenceDataError("consortium_id is empty", file=where, row=line, field="consortium_id")
        if len(cid) > 32 or not re.fullmatch(r"[0-9A-Za-z][0-9A-Za-z_.-]*", cid):
            raise ReferenceDataError(
                f"consortium_id {cid!r} must be at most 32 letters, digits, '-', '_' or '.'",
                file=where,
                row=line,
                field="consortium_id",
            )
        if cid in seen:
            raise ReferenceDataError(
                f"consortium_id {cid} already on row {seen[cid]}", file=where, row=line, field="consortium_id"
            )
        seen[cid] = line
        if not row["name"]:
            raise ReferenceDataError("name is empty", file=where, row=line, field="name")
        if row["province_code"] not in provinces.index:
            raise ReferenceDataError(
                f"province_code {row['province_code']!r} is not a known province",
                file=where,
                row=line,
                field="province_code",
            )
        if row["level"] and row["level"] not in LEVELS:
            raise ReferenceDataError(
                f"level {row['level']!r} is not one of {'/'.join(LEVELS)}", file=where, row=line, field="level"
            )
        status = row.get("status") or "active"
        if status not in STATUSES:
            raise ReferenceDataError(
                f"status {status!r} is not one of {'/'.join(STATUSES)}", file=where, row=line, field="status"
            )
        status_year = _int(row.get("status_year", ""), where=where, row=line, column="status_year", optional=True)
        if status != "active" and status_year is None:
            raise ReferenceDataError(f"status {status} needs a status_year", file=where, row=line, field="status_year")
        codes = tuple(c for c in re.split(r"[;；,、\s]+", row.get("industry_codes", "")) if c)
        if industry_codes is not None:
            unknown = [c for c in codes if c not in industry_codes]
            if unknown:
                raise ReferenceDataError(
                    f"unknown industry code(s) {', '.join(unknown)}", file=where, row=line, field="industry_codes"
                )
        records.append(
            {
                **{c: row[c] for c in REGISTRY_COLUMNS},
                "level": row["level"] or "provincial",
                "recognized_year": _int(row["recognized_year"], where=where, row=line, column="recognized_year"),
                "industry_codes": ";".join(codes),
                "status": status,
                "status_year": status_year,
            }
        )
    columns = [*REGISTRY_COLUMNS, *REGISTRY_OPTIONAL]
    frame = pd.DataFrame(records, columns=columns)
    frame["status_year"] = frame["status_year"].astype("Int64")
    frame["recognized_year"] = frame["recognized_year"].astype("Int64")
    return frame.set_index("consortium_id", drop=False)


def parse_deadlines(text: str, where: str = "deadlines.csv") -> pd.DataFrame:
    rows = _table(text, where, ("province_code", "recognized_year", "year_from", "year_to", "kind", "due_month_day"))
    records = []
    for line, row in rows:
        if row["kind"] not in KINDS:
            raise ReferenceDataError(f"kind {row['kind']!r} is not plan/summary", file=where, row=line, field="kind")
        if not re.fullmatch(r"(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])", row["due_month_day"]):
            raise ReferenceDataError(
                f"due_month_day {row['due_month_day']!r} is not MM-DD", file=where, row=line, field="due_month_day"
            )
        records.append(
            {
                "province_code": row["province_code"],
                "recognized_year": _int(
                    row["recognized_year"], where=where, row=line, column="recognized_year", optional=True
                ),
                "year_from": _int(row["year_from"], where=where, row=line, column="year_from", optional=True),
                "year_to": _int(row["year_to"], where=where, row=line, column="year_to", optional=True),
                "kind": row["kind"],
                "due_month_day": row["due_month_day"],
                "note": row.get("note", ""),
            }
        )
    frame = pd.DataFrame(records)
    for column in ("recognized_year", "year_from", "year_to"):
        frame[column] = frame[column].astype("Int64")
    return frame


def parse_milestones(text: str, where: str = "milestones.csv") -> pd.DataFrame:
    rows = _table(text, where, ("milestone_code", "province_code", "recognized_year", "due_date", "label_zh"))
    records = []
    for line, row in rows:
        records.append(
            {
                "milestone_code": row["milestone_code"],
                "province_code": row["province_code"],
                "recognized_year": _int(row["recognized_year"], where=where, row=line, column="recognized_year"),
                "due_date": _date(row["due_date"], where=where, row=line, column="due_date")
                if row["due_date"]
                else None,
                "label_zh": row["label_zh"],
            }
        )
    return pd.DataFrame(records)


def parse_layout(text: str, where: str = "industry_layout.csv") -> pd.DataFrame:
    rows = _table(text, where, ("province_code", "city", "industry_code", "industry_name", "level"))
    for line, row in rows:
        if row["level"] not in ("core", "key"):
            raise ReferenceDataError(f"level {row['level']!r} is not core/key", file=where, row=line, field="level")
    return pd.DataFrame([r for _, r in rows])


def parse_extensions(text: str, registry: pd.DataFrame, where: str = "extensions.csv") -> pd.DataFrame:
    """Per-consortium deadline extensions: the new due date replaces the deadline table's."""
    rows = _table(text, where, EXTENSION_COLUMNS)
    records, seen = [], {}
    for line, row in rows:
        if not any(row.values()):
            continue
        if row["consortium_id"] not in registry.index:
            raise ReferenceDataError(
                f"consortium {row['consortium_id']} is not in the registry", file=where, row=line, field="consortium_id"
            )
        if row["kind"] not in KINDS:
            raise ReferenceDataError(f"kind {row['kind']!r} is not plan/summary", file=where, row=line, field="kind")
        year = _int(row["year"], where=where, row=line, column="year")
        key = (row["consortium_id"], year, row["kind"])
        if key in seen:
            raise ReferenceDataError(
                f"a second extension for {'/'.join(map(str, key))} (first on row {seen[key]})", file=where, row=line
            )
        seen[key] = line
        records.append(
            {
                "consortium_id": row["consortium_id"],
                "year": year,
                "kind": row["kind"],
                "due_date": _date(row["due_date"], where=where, row=line, column="due_date"),
                "reason": row["reason"],
            }
        )
    return pd.DataFrame(records, columns=list(EXTENSION_COLUMNS))


@dataclass(frozen=True)
class ReferenceData:
    """Everything a run needs besides the submissions, loaded and validated once per run."""

    registry: pd.DataFrame
    provinces: pd.DataFrame
    deadlines: pd.DataFrame
    milestones: pd.DataFrame
    extensions: pd.DataFrame
    layout: pd.DataFrame
    registry_file: str
    frameworks: dict[str, Framework] = field(default_factory=dict)

    @property
    def consortium_ids(self) -> set[str]:
        return set(self.registry.index)

    def province_codes(self, year: int) -> list[str]:
        """Provinces with at least one consortium recognised by ``year``, in code order."""
        registry = self.registry[self.registry["recognized_year"] <= year]
        return sorted(set(registry["province_code"]))

    def consortia_in(self, province_codes: list[str]) -> list[str]:
        """The registry's consortia of the given provinces, in id order."""
        return sorted(self.registry.index[self.registry["province_code"].isin(province_codes)])

    def select_provinces(self, year: int, requested: list[str] | None) -> list[str]:
        """The provinces a run processes: the requested ones (validated), else every one with consortia."""
        if not requested:
            return self.province_codes(year)
        unknown = sorted(set(requested) - set(self.provinces.index))
        if unknown:
            raise ConfigurationError(
                f"unknown province code(s) {', '.join(unknown)} (known: {', '.join(self.provinces.index)})"
            )
        return sorted(set(requested))

    def framework_for(self, province_code: str, year: int, default: Framework | None = None) -> Framework:
        """The scoring framework of a province for a year (``provinces.csv``'s ``framework`` column); with a
        ``default``, that one when no framework applies to the year yet."""
        try:
            return self.frameworks[framework_id_for(self.provinces.loc[province_code, "framework"], year)]
        except ReferenceDataError:
            if default is None:
                raise
            return default


def check_framework_assignments(
    provinces: pd.DataFrame, frameworks: dict[str, Framework], where: str = "provinces.csv"
) -> None:
    """Every framework a province names must exist, so a run fails at the start, not after ingest."""
    for code, assignment in provinces["framework"].items():
        for _, framework_id in parse_assignment(assignment, where=where):
            if framework_id not in frameworks:
                raise ReferenceDataError(
                    f"province {code} is scored with framework {framework_id!r}, which is not "
                    f"among the framework files ({', '.join(sorted(frameworks))})",
                    file=where,
                    field="framework",
                )


def load_reference(
    registry_file: Path, extensions_file: Path | None = None, frameworks_dir: Path | None = None
) -> ReferenceData:
    """Read the project's calendars and frameworks and the operator's registry (and extensions, when the
    file exists)."""
    provinces = parse_provinces(data_text("provinces.csv"), "chanjiao/data/provinces.csv")
    frameworks = load_frameworks(frameworks_dir)
    check_framework_assignments(provinces, frameworks, "chanjiao/data/provinces.csv")
    layout = parse_layout(data_text("industry_layout_hunan.csv"), "chanjiao/data/industry_layout_hunan.csv")
    try:
        registry_text = Path(registry_file).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ReferenceDataError(f"cannot read the consortium registry ({exc})", file=str(registry_file)) from None
    registry = parse_registry(registry_text, provinces, str(registry_file), industry_codes=set(layout["industry_code"]))
    extensions = parse_extensions("consortium_id,year,kind,due_date,reason\n", registry)
    if extensions_file is not None and Path(extensions_file).exists():
        extensions = parse_extensions(
            Path(extensions_file).read_text(encoding="utf-8-sig"), registry, str(extensions_file)
        )
    return ReferenceData(
        registry=registry,
        provinces=provinces,
        deadlines=parse_deadlines(data_text("deadlines.csv"), "chanjiao/data/deadlines.csv"),
        milestones=parse_milestones(data_text("milestones.csv"), "chanjiao/data/milestones.csv"),
        extensions=extensions,
        layout=layout,
        registry_file=str(registry_file),
        frameworks=frameworks,
    )
