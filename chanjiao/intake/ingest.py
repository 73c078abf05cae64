"""From a file's bytes to an accepted submission or a rejection (docs/DOMAIN.md, "The input contract").

Pure: the caller supplies the bytes, the catalogue and the registry's ids. A file is rejected whole only
for the reasons docs/DOMAIN.md lists; any other bad value is kept with its problem for the data-quality layer.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import PurePosixPath

from chanjiao.common.errors import RejectedFile
from chanjiao.intake.normalize import Value, ValueProblem, parse_value, raw_text
from chanjiao.intake.readers import ReadLimits, read_rows
from chanjiao.reference.catalogue import IDENTITY_FIELDS, Catalogue


@dataclass(frozen=True)
class FieldValue:
    """One submitted field: what was typed, what it means, and why it could not be read (if so)."""

    code: str
    raw: str | None
    value: Value | None
    problem: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class Submission:
    """An accepted file: one consortium × year × kind, with every submitted field."""

    source_file: str  # path relative to the inbox, e.g. "2025/SX-2024-01-summary.xlsx"
    sha256: str
    size_bytes: int
    consortium_id: str
    year: int
    kind: str
    submitted_on: date
    values: dict[str, FieldValue] = field(default_factory=dict)

    @property
    def city_approved_on(self) -> date | None:
        found = self.values.get("city_approved_on")
        return found.value if found is not None and isinstance(found.value, date) else None

    @property
    def consortium_name(self) -> str | None:
        found = self.values.get("consortium_name")
        return found.value if found is not None and isinstance(found.value, str) else None


def content_hash(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def folder_year(source_file: str) -> int | None:
    """The year of ``INBOX/<year>/…`` a file was found under, or None when it is not in a year folder."""
    first = PurePosixPath(source_file).parts[0] if PurePosixPath(source_file).parts else ""
    return int(first) if first.isdigit() and len(first) == 4 else None


def parse_submission(
    source_file: str, content: bytes, catalogue: Catalogue, registry_ids: set[str], limits: ReadLimits = ReadLimits()
) -> Submission:
    """Accept a file as a submission version or raise :class:`RejectedFile` naming file and field."""
    rows = read_rows(source_file, content, limits)
    for row in rows:
        if any(isinstance(text, str) and "\x00" in text for text in (row.code, row.value, row.note)):
            raise RejectedFile(
                "contains a NUL character (a binary value, not text)",
                file=source_file,
                field=row.code if row.code in catalogue else "-",
            )

    unknown = sorted({row.code for row in rows if row.code not in catalogue})
    if unknown:
        raise RejectedFile(
            f"unknown field code{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}",
            file=source_file,
            field=unknown[0],
        )
    duplicates = sorted(code for code, n in Counter(row.code for row in rows).items() if n > 1)
    if duplicates:
        where = ", ".join(row.where for row in rows if row.code == duplicates[0])
        raise RejectedFile(f"field code given more than once ({where})", file=source_file, field=duplicates[0])

    values: dict[str, FieldValue] = {}
    for row in rows:
        spec = catalogue[row.code]
        try:
            value, problem = parse_value(spec, row.value), None
        except ValueProblem as exc:
            value, problem = None, str(exc)
        values[row.code] = FieldValue(
            code=row.code, raw=raw_text(row.value), value=value, problem=problem, note=row.note
        )

    for code in IDENTITY_FIELDS:
        found = values.get(code)
        label = catalogue.label(code)
        if found is None or (found.value is None and found.problem is None):
            raise RejectedFile(f"{label} is missing", file=source_file, field=code)
        if found.problem is not None:
            raise RejectedFile(f"{label} cannot be read: {found.problem}", file=source_file, field=code)

    consortium_id = str(values["consortium_id"].value)
    if consortium_id not in registry_ids:
        raise RejectedFile(
            f"consortium {consortium_id} is not in the consortium registry", file=source_file, field="consortium_id"
        )
    year = values["year"].value
    expected_year = folder_year(source_file)
    if expected_year is not None and year != expected_year:
        raise RejectedFile(
            f"{catalogue.label('year')} {year} differs from the inbox folder {expected_year}/",
            file=source_file,
            field="year",
            consortium=consortium_id,
        )

    return Submission(
        source_file=source_file,
        sha256=content_hash(content),
        size_bytes=len(content),
        consortium_id=consortium_id,
        year=int(year),
        kind=str(values["kind"].value),
        submitted_on=values["submitted_on"].value,
        values=values,
    )
