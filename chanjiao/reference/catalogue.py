"""The field catalogue (fields.csv): the one source of truth for what a submission holds.

It drives parsing (types), the blank submission template (labels, units, limits), the data-quality
suites (limits and ``rule``s) and the report labels. Adding a field or a rule is a data change here.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from importlib import resources
from pathlib import Path

from chanjiao.common.errors import CatalogueError

KINDS = ("plan", "summary")
TYPES = ("text", "int", "decimal", "percent", "date", "bool", "codes", "enum")
SEVERITIES = ("fatal", "warning", "info")
# The four meta fields a file must carry to be accepted at all (docs/DOMAIN.md, "Rejected").
IDENTITY_FIELDS = ("consortium_id", "year", "kind", "submitted_on")
PERSONAL_FIELDS = ("contact_name", "contact_phone")

# rule name -> shape of its argument: a field, a number, several fields, …
_RULE_ARGS = {
    "sum_eq": "sum",
    "le": "field",
    "not_after": "field",
    "required_if": "field",
    "any_positive": "field",
    "both_or_neither": "field",
    "warn_below": "number",
    "warn_equal": "number",
    "min_ratio": "field_ratio",
    "known_codes": "codes",
    "is_true": "none",
    "registry_name": "none",
    "in_city_layout": "none",
    # Project extension of docs/DOMAIN.md's grammar: "any value > 0 is a veto-type finding" (003 附件2 7) as a
    # rule, so the veto is a finding like any other; it can be neither explained away nor overridden.
    "veto": "none",
}


@dataclass(frozen=True)
class Rule:
    """One parsed ``rule`` of the catalogue, reported against the field whose row it sits on."""

    name: str
    fields: tuple[str, ...] = ()  # other fields the rule reads
    number: Decimal | None = None  # warn_below/warn_equal threshold, min_ratio ratio
    tolerance: Decimal | None = None  # sum_eq tolerance
    codes: tuple[str, ...] = ()  # known_codes
    summary_only: bool = False  # `@summary`
    severity: str = "fatal"
    text: str = ""  # the rule as written, for messages and the rule catalogue

    def applies_to(self, kind: str) -> bool:
        return kind == "summary" or not self.summary_only


@dataclass(frozen=True)
class Field:
    code: str
    section: str
    label_zh: str
    applies_to: str  # plan | summary | both
    type: str  # one of TYPES
    unit: str
    required_in: str  # plan | summary | both | no
    min: Decimal | None
    max: Decimal | None
    max_chars: int | None
    rules: tuple[Rule, ...]
    check_note: str
    source: str
    enum_values: tuple[str, ...] = field(default=())

    def applies(self, kind: str) -> bool:
        return self.applies_to in ("both", kind)

    def required(self, kind: str) -> bool:
        return self.required_in in ("both", kind)

    @property
    def is_numeric(self) -> bool:
        return self.type in ("int", "decimal", "percent")

    @property
    def is_meta(self) -> bool:
        return self.section == "meta"

    @property
    def is_personal(self) -> bool:
        return self.code in PERSONAL_FIELDS


@dataclass(frozen=True)
class Catalogue:
    fields: dict[str, Field]
    source: str

    def __contains__(self, code: object) -> bool:
        return code in self.fields

    def __getitem__(self, code: str) -> Field:
        return self.fields[code]

    def __iter__(self):
        return iter(self.fields.values())

    def __len__(self) -> int:
        return len(self.fields)

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(self.fields)

    def for_kind(self, kind: str) -> list[Field]:
        """The fields a plan or a summary carries, in catalogue order (the template's rows)."""
        return [f for f in self.fields.values() if f.applies(kind)]

    def label(self, code: str) -> str:
        return self.fields[code].label_zh if code in self.fields else code


def _decimal(value: str, *, where: str, column: str) -> Decimal | None:
    if value.strip() == "":
        return None
    try:
        return Decimal(value.strip())
    except InvalidOperation:
        raise CatalogueError(f"{column} {value!r} is not a number", file=where, field=column) from None


def parse_rules(text: str, severity: str, *, code: str, where: str) -> tuple[Rule, ...]:
    """Parse the ``rule`` column's grammar (docs/DOMAIN.md): ``|`` separates rules, ``@summary`` limits one."""
    rules = []
    for part in filter(None, (p.strip() for p in text.split("|"))):
        written = part
        summary_only = part.endswith("@summary")
        if summary_only:
            part = part[: -len("@summary")]
        name, _, arg = part.partition(":")
        shape = _RULE_ARGS.get(name)
        if shape is None:
            raise CatalogueError(f"unknown rule {name!r} in {written!r}", file=where, field=code)
        kwargs: dict = {}
        try:
            if shape == "sum":
                terms, _, opts = arg.partition(";")
                kwargs["fields"] = tuple(t.strip() for t in terms.split("+"))
                tol = dict(o.split("=", 1) for o in opts.split(";") if o).get("tol", "0")
                kwargs["tolerance"] = Decimal(tol)
            elif shape == "field":
                kwargs["fields"] = (arg.strip(),)
            elif shape == "number":
                kwargs["number"] = Decimal(arg)
            elif shape == "field_ratio":
                other, ratio = arg.split(":")
                kwargs["fields"] = (other.strip(),)
                kwargs["number"] = Decimal(ratio)
            elif shape == "codes":
                kwargs["codes"] = tuple(c.strip() for c in arg.split(";") if c.strip())
            elif arg:
                raise ValueError("takes no argument")
        except (ValueError, InvalidOperation) as exc:
            raise CatalogueError(f"malformed rule {written!r} ({exc})", file=where, field=code) from None
        if shape != "none" and not (kwargs.get("fields") or kwargs.get("number") is not None or kwargs.get("codes")):
            raise CatalogueError(f"rule {written!r} needs an argument", file=where, field=code)
        rules.append(Rule(name=name, summary_only=summary_only, severity=severity, text=written, **kwargs))
    return tuple(rules)


_COLUMNS = (
    "code",
    "section",
    "label_zh",
    "applies_to",
    "type",
    "unit",
    "required_in",
    "min",
    "max",
    "max_chars",
    "rule",
    "rule_severity",
    "check_note",
    "source",
)


def parse_catalogue(text: str, where: str = "fields.csv") -> Catalogue:
    """Build and validate a catalogue from the CSV text; every defect names the row and column."""
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in _COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise CatalogueError(f"missing columns {', '.join(missing)}", file=where)
    fields: dict[str, Field] = {}
    for line, row in enumerate(reader, start=2):
        loc = f"{where}:{line}"
        code = row["code"].strip()
        if not re.fullmatch(r"[a-z][a-z0-9_]*", code):
            raise CatalogueError(f"field code {code!r} is not a lower-case identifier", file=loc)
        if code in fields:
            raise CatalogueError("duplicate field code", file=loc, field=code)
        type_text = row["type"].strip()
        enum_values: tuple[str, ...] = ()
        enum = re.fullmatch(r"enum\((.+)\)", type_text)
        if enum:
            type_text, enum_values = "enum", tuple(enum.group(1).split("|"))
        if type_text not in TYPES:
            raise CatalogueError(f"unknown type {type_text!r}", file=loc, field=code)
        for column, allowed in (
            ("applies_to", ("plan", "summary", "both")),
            ("required_in", ("plan", "summary", "both", "no")),
        ):
            if row[column].strip() not in allowed:
                raise CatalogueError(f"{column} must be one of {'/'.join(allowed)}", file=loc, field=code)
        severity = row["rule_severity"].strip() or "fatal"
        if row["rule"].strip() and severity not in SEVERITIES:
            raise CatalogueError(
                f"rule_severity {severity!r} is not one of {'/'.join(SEVERITIES)}", file=loc, field=code
            )
        max_chars = row["max_chars"].strip()
        fields[code] = Field(
            code=code,
            section=row["section"].strip(),
            label_zh=row["label_zh"].strip(),
            applies_to=row["applies_to"].strip(),
            type=type_text,
            unit=row["unit"].strip(),
            required_in=row["required_in"].strip(),
            min=_decimal(row["min"], where=loc, column="min"),
            max=_decimal(row["max"], where=loc, column="max"),
            max_chars=int(max_chars) if max_chars else None,
            rules=parse_rules(row["rule"], severity, code=code, where=loc),
            check_note=row["check_note"].strip(),
            source=row["source"].strip(),
            enum_values=enum_values,
        )
    for f in fields.values():
        for rule in f.rules:
            unknown = [x for x in rule.fields if x not in fields]
            if unknown:
                raise CatalogueError(
                    f"rule {rule.text!r} names unknown field(s) {', '.join(unknown)}", file=where, field=f.code
                )
    absent = [c for c in IDENTITY_FIELDS if c not in fields]
    if absent:
        raise CatalogueError(f"the catalogue lacks the identity field(s) {', '.join(absent)}", file=where)
    return Catalogue(fields=fields, source=where)


def data_text(name: str) -> str:
    """Text of one of the project's own data files (chanjiao/data), shipped inside the package."""
    return resources.files("chanjiao").joinpath("data", name).read_text(encoding="utf-8")


@lru_cache(maxsize=4)
def load_catalogue(path: str | None = None) -> Catalogue:
    """The catalogue in force: the project's own copy unless a path is given (tests, a province's own)."""
    if path is None:
        return parse_catalogue(data_text("fields.csv"), "chanjiao/data/fields.csv")
    return parse_catalogue(Path(path).read_text(encoding="utf-8-sig"), str(path))
