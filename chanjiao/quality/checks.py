"""The data-quality layer's pure half: the frame GE validates, its derived columns, and what findings mean.

Great Expectations (``expectations/``) checks one wide frame per year — one row per submission version,
one column per catalogue field. Rules that need another row or table (the previous year's summary, the
registry, the industry layout) or arithmetic with a tolerance are turned here into *derived columns*
(a sum residual, a previous value, a registry name, the codes outside the city's layout) that a built-in
expectation can check. After validation, findings are annotated here: explained by a ``说明``, accepted
by a reviewer override, and the fields a fatal finding makes unusable for scoring (docs/DOMAIN.md).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

import pandas as pd

from chanjiao.common.values import is_missing
from chanjiao.intake.normalize import Value, from_storage
from chanjiao.quality.privacy import mask_text, mask_value
from chanjiao.reference.catalogue import PERSONAL_FIELDS, Catalogue, Field

# What identifies a row: the version, and the identity fields (also catalogue fields, read from the version).
KEY_COLUMNS = ("version_id", "consortium_id", "year", "kind", "version")
_FROM_VERSION = ("consortium_id", "year", "kind")
FINDING_COLUMNS = ("version_id", "field", "rule", "rule_id", "severity", "veto", "message", "fix", "value", "involves")
YOY_LIMIT = Decimal("0.5")  # ±50 % against the previous year's latest summary (docs/DOMAIN.md)


# --- derived column names: shared with expectations/, so the suite and the frame agree ---------------------


def unparsed(code: str) -> str:
    """The text that did not parse as the field's type (null when it parsed or was empty)."""
    return f"{code}__unparsed"


def submitted(code: str) -> str:
    """True when the field was filled in at all, parsable or not (``required``); null when empty."""
    return f"{code}__submitted"


def given(code: str) -> str:
    """True when the field is non-empty and not 0 (``required_if``)."""
    return f"{code}__given"


def positive(code: str) -> str:
    """True when > 0, False when 0, null when missing (``any_positive``, ``both_or_neither``)."""
    return f"{code}__positive"


def sum_residual(code: str) -> str:
    """This field minus the sum of its parts (``sum_eq``); null when an input is missing."""
    return f"{code}__sum_residual"


def ratio_to(code: str, other: str) -> str:
    """This field / other (``min_ratio``); null when other is 0 or an input is missing."""
    return f"{code}__ratio_{other}"


def unknown_codes(code: str) -> str:
    """The codes of this field outside its known set, ``;``-joined (null when all are known)."""
    return f"{code}__unknown_codes"


def outside_layout(code: str) -> str:
    """Industry codes neither core nor key for the consortium's city (``in_city_layout``)."""
    return f"{code}__outside_layout"


def compared_name(code: str) -> str:
    """The submitted name after NFKC and whitespace removal (``registry_name``)."""
    return f"{code}__compared"


def registry_name_column(code: str) -> str:
    """The registry's name, normalised the same way."""
    return f"{code}__registry"


def previous(code: str) -> str:
    """The value in the same consortium's previous-year latest summary (``yoy``)."""
    return f"{code}__previous"


def yoy_change(code: str) -> str:
    """(this − previous) / previous, only where both are usable and previous ≠ 0."""
    return f"{code}__yoy_change"


# --- context ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QualityContext:
    """What the rules need beyond the submission itself."""

    registry: pd.DataFrame  # indexed by consortium_id: name, province_code, city, industry_codes
    layout: pd.DataFrame  # province_code, city, industry_code, level (core/key)
    previous: Mapping[str, Mapping[str, Value | None]]  # consortium_id → usable values of last year's summary

    @property
    def industry_codes(self) -> frozenset[str]:
        return frozenset(self.layout["industry_code"]) if len(self.layout) else frozenset()

    def city_layout(self, consortium_id: str) -> frozenset[str] | None:
        """Codes core or key for the consortium's city; None when its province has no layout table."""
        if consortium_id not in self.registry.index:
            return None
        row = self.registry.loc[consortium_id]
        province = self.layout[self.layout["province_code"] == row["province_code"]]
        if not len(province):
            return None
        return frozenset(
            province[(province["city"] == row["city"]) & province["level"].isin(["core", "key"])]["industry_code"]
        )


def normalise_name(text: str | None) -> str | None:
    """Names compare after NFKC and with all whitespace removed (docs/DOMAIN.md)."""
    if text is None:
        return None
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text)))


def within_limits(field: Field, value: Value | None) -> bool:
    """A parsed numeric value inside the catalogue's hard min/max (a fatal finding otherwise)."""
    if value is None or isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        return False
    return (field.min is None or value >= field.min) and (field.max is None or value <= field.max)


def usable_previous(catalogue: Catalogue, stored: Mapping[str, object]) -> dict[str, Value | None]:
    """The numeric values of a stored summary that a year-over-year comparison may use: parsed, no problem,
    inside the hard limits (an unusable value last year says nothing about this year)."""
    usable: dict[str, Value | None] = {}
    for code, found in stored.items():
        spec = catalogue.fields.get(code)
        if spec is None or not spec.is_numeric or getattr(found, "problem", None):
            continue
        value = from_storage(spec, getattr(found, "value", found))
        if within_limits(spec, value):
            usable[code] = value
    return usable


# --- the frame ----------------------------------------------------------------------------------------------


def _cell(field: Field, value: Value | None) -> object:
    if value is None:
        return None
    if field.is_numeric:
        return float(value)
    if field.type == "date":
        return pd.Timestamp(value)
    if field.type == "codes":
        return ";".join(value)
    return value


def submission_frame(
    versions: pd.DataFrame, values: Mapping[int, Mapping[str, object]], catalogue: Catalogue
) -> pd.DataFrame:
    """One row per version (``versions`` has the KEY_COLUMNS), one typed column per catalogue field plus
    its ``__unparsed`` text. Numbers are floats, dates timestamps: the types GE compares natively.

    ``values`` maps a version id to its stored fields (objects with ``value``/``raw``/``problem``, as the
    warehouse returns them, with ``value`` in storage form).
    """
    rows = []
    for key in versions[list(KEY_COLUMNS)].itertuples(index=False):
        row: dict[str, object] = dict(zip(KEY_COLUMNS, key))
        stored = values.get(key.version_id, {})
        for spec in catalogue:
            found = stored.get(spec.code)
            if spec.code in _FROM_VERSION:
                row[unparsed(spec.code)] = None
            elif found is None:
                row[spec.code], row[unparsed(spec.code)] = None, None
            elif found.problem:
                row[spec.code], row[unparsed(spec.code)] = None, found.raw or ""
            else:
                row[spec.code] = _cell(spec, from_storage(spec, found.value))
                row[unparsed(spec.code)] = None
        rows.append(row)
    columns = ["version_id", "version"] + [c for spec in catalogue for c in (spec.code, unparsed(spec.code))]
    frame = pd.DataFrame(rows, columns=columns)
    for spec in catalogue:
        if spec.code in _FROM_VERSION:
            continue
        if spec.is_numeric:
            frame[spec.code] = pd.to_numeric(frame[spec.code], errors="coerce").astype("float64")
        elif spec.type == "date":
            frame[spec.code] = pd.to_datetime(frame[spec.code])
        else:
            frame[spec.code] = frame[spec.code].astype(object)
        frame[unparsed(spec.code)] = frame[unparsed(spec.code)].astype(object)
    return frame


def _exact(frame: pd.DataFrame, code: str) -> pd.Series:
    """A float column back as exact Decimals (via repr, so 0.1 stays 0.1), for sums with a tolerance."""
    return frame[code].map(lambda v: None if pd.isna(v) else Decimal(repr(float(v))))


def _flag(series: pd.Series, test) -> pd.Series:
    return series.map(lambda v: None if pd.isna(v) else bool(test(v))).astype(object)


def derive_columns(frame: pd.DataFrame, catalogue: Catalogue, context: QualityContext) -> pd.DataFrame:
    """Add the derived columns the catalogue's rules need; the frame's own columns are left as they are."""
    derived: dict[str, pd.Series] = {}
    for spec in catalogue:
        if spec.required_in != "no":
            filled = frame[spec.code].notna() | frame[unparsed(spec.code)].notna()
            derived[submitted(spec.code)] = filled.map(lambda v: True if v else None).astype(object)
        for rule in spec.rules:
            if rule.name == "sum_eq":
                total, parts = _exact(frame, spec.code), [_exact(frame, p) for p in rule.fields]
                residual = []
                for i in range(len(frame)):
                    inputs = [total.iloc[i], *(p.iloc[i] for p in parts)]
                    residual.append(
                        None if any(x is None for x in inputs) else float(inputs[0] - sum(inputs[1:], Decimal(0)))
                    )
                derived[sum_residual(spec.code)] = pd.Series(residual, index=frame.index, dtype="float64")
            elif rule.name == "required_if":
                other = rule.fields[0]
                derived[given(other)] = frame[other].map(lambda v: not (is_missing(v) or v == 0 or v == ""))
            elif rule.name in ("any_positive", "both_or_neither"):
                for code in (spec.code, rule.fields[0]):
                    derived[positive(code)] = _flag(frame[code], lambda v: v > 0)
            elif rule.name == "min_ratio":
                other = rule.fields[0]
                derived[ratio_to(spec.code, other)] = (frame[spec.code] / frame[other].where(frame[other] > 0)).astype(
                    "float64"
                )
            elif rule.name == "known_codes":
                derived[unknown_codes(spec.code)] = _unknown(frame[spec.code], frozenset(rule.codes))
            elif rule.name == "registry_name":
                names = context.registry["name"] if len(context.registry) else pd.Series(dtype=object)
                derived[compared_name(spec.code)] = (
                    frame[spec.code].map(lambda v: None if is_missing(v) else normalise_name(v)).astype(object)
                )
                derived[registry_name_column(spec.code)] = (
                    frame["consortium_id"].map(lambda c: normalise_name(names.get(c))).astype(object)
                )
            elif rule.name == "in_city_layout":
                derived[unknown_codes(spec.code)] = _unknown(frame[spec.code], context.industry_codes)
                derived[outside_layout(spec.code)] = _outside_layout(
                    frame, spec.code, context, derived[unknown_codes(spec.code)]
                )
    for spec in catalogue:
        if spec.is_numeric and not spec.is_meta:
            prev, change = _year_over_year(frame, spec, context)
            derived[previous(spec.code)], derived[yoy_change(spec.code)] = prev, change
    return pd.concat([frame, pd.DataFrame(derived, index=frame.index)], axis=1)


def _unknown(column: pd.Series, known: frozenset[str]) -> pd.Series:
    def codes_outside(text):
        if is_missing(text):
            return None
        unknown = [c for c in str(text).split(";") if c and c not in known]
        return ";".join(unknown) or None

    return column.map(codes_outside).astype(object)


def _outside_layout(frame: pd.DataFrame, code: str, context: QualityContext, unknown: pd.Series) -> pd.Series:
    """A usable submitted value beats the registry's codes (docs/DOMAIN.md); null where there is no layout."""
    out = []
    registry_codes = context.registry["industry_codes"] if "industry_codes" in context.registry else {}
    for i, row in enumerate(frame[["consortium_id", code]].itertuples(index=False)):
        layout = context.city_layout(row.consortium_id)
        submitted = row[1] if isinstance(row[1], str) and pd.isna(unknown.iloc[i]) else None
        codes = submitted or registry_codes.get(row.consortium_id) or ""
        outside = [c for c in str(codes).split(";") if c and layout is not None and c not in layout]
        out.append(";".join(outside) or None)
    return pd.Series(out, index=frame.index, dtype=object)


def _year_over_year(frame: pd.DataFrame, spec: Field, context: QualityContext) -> tuple[pd.Series, pd.Series]:
    """Previous value and relative change for summaries whose previous-year summary has a usable value ≠ 0."""
    prev, change = [], []
    for row in frame[["consortium_id", "kind", spec.code]].itertuples(index=False):
        before = context.previous.get(row.consortium_id, {}).get(spec.code) if row.kind == "summary" else None
        now = row[2]
        prev.append(None if before is None else float(before))
        if before is None or before == 0 or pd.isna(now):
            change.append(None)
            continue
        current = Decimal(repr(float(now)))
        if not within_limits(spec, current):
            change.append(None)  # already fatal: a ratio on it would only add noise
            continue
        change.append(float((current - Decimal(before)) / Decimal(before)))
    return (pd.Series(prev, index=frame.index, dtype="float64"), pd.Series(change, index=frame.index, dtype="float64"))


# --- after validation ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Override:
    """A reviewer's acceptance of a warning, matched by consortium × year × kind × field × rule × value seen."""

    consortium_id: str
    year: int
    kind: str
    field: str
    rule: str
    value: str | None
    reason: str
    by: str
    at: object

    @property
    def key(self) -> tuple:
        return (self.consortium_id, self.year, self.kind, self.field, self.rule, self.value or "")


def can_be_explained(severity: str, veto: bool) -> bool:
    """Fatal values are unusable whatever is said about them, and a veto stands (IPEDS; seed 003 附件2 7)."""
    return severity != "fatal" and not veto


def masked_notes(values: Mapping[int, Mapping[str, object]]) -> dict[tuple[int, str], str]:
    """The submitters' 说明 by (version id, field), fit for output: the contact masked wherever it appears."""
    notes = {}
    for version_id, fields in values.items():
        personal = {c: getattr(fields.get(c), "value", None) for c in PERSONAL_FIELDS}
        notes.update(
            {
                (version_id, code): mask_text(found.note, personal)
                for code, found in fields.items()
                if getattr(found, "note", None)
            }
        )
    return notes


def _text(value: object) -> str | None:
    """Text or None: a missing cell must never read as an explanation."""
    return None if is_missing(value) or not str(value).strip() else str(value)


def masked_contacts(values: Mapping[int, Mapping[str, object]]) -> dict[int, str]:
    """Per version, "王**（138****5678）": how a receipt may name its contact."""
    contacts = {}
    for version_id, fields in values.items():
        name, phone = (getattr(fields.get(c), "value", None) for c in PERSONAL_FIELDS)
        parts = [
            str(mask_value("contact_name", name)) if name else "",
            f"（{mask_value('contact_phone', phone)}）" if phone else "",
        ]
        contacts[version_id] = "".join(parts)
    return contacts


def annotate(findings: pd.DataFrame, versions: pd.DataFrame, overrides: Iterable[Override]) -> pd.DataFrame:
    """Add consortium × year × kind, the matching override and ``explained`` to stored findings.

    ``findings`` carry their ``explanation`` (the file's 说明 on the field). An override matches while the
    value seen is unchanged, so it survives re-runs and resubmissions that leave the value alone. Fatal and
    veto findings are never explained: a 说明 is shown, but the value stays unusable / the veto stands.
    """
    by_key = {o.key: o for o in overrides}
    keys = versions.set_index("version_id")[["consortium_id", "year", "kind"]]
    rows = []
    for finding in findings.to_dict("records"):
        consortium_id, year, kind = keys.loc[finding["version_id"]]
        note = _text(finding.get("explanation"))
        allowed = can_be_explained(finding["severity"], bool(finding["veto"]))
        override = (
            by_key.get(
                (consortium_id, int(year), kind, finding["field"], finding["rule"], _text(finding["value"]) or "")
            )
            if allowed
            else None
        )
        rows.append(
            {
                **finding,
                "consortium_id": consortium_id,
                "year": int(year),
                "kind": kind,
                "explanation": note or None,
                "explained": bool(allowed and (note or override)),
                "override_by": override.by if override else None,
                "override_at": override.at if override else None,
                "override_reason": override.reason if override else None,
            }
        )
    columns = [
        *FINDING_COLUMNS,
        "consortium_id",
        "year",
        "kind",
        "explanation",
        "explained",
        "override_by",
        "override_at",
        "override_reason",
    ]
    frame = pd.DataFrame(rows, columns=columns).astype(object)
    return frame.where(frame.notna(), None)


def override_target(findings: Iterable[dict], rule: str, field: str | None, *, consortium_id: str, where: str) -> dict:
    """The one finding a reviewer's ``--rule``/``--field`` names on a version, or a typed error saying why not.

    ``rule`` is a family (``yoy``) or a rule id (``apprentices.yoy``). Fatal and veto findings are refused:
    a fatal value cannot be used whatever a reviewer says, and a veto stands (IPEDS; seed 003 附件2 7).
    """
    from chanjiao.common.errors import ConfigurationError, NotFoundError

    findings = list(findings)
    matching = [f for f in findings if rule in (f["rule"], f["rule_id"]) and (field is None or f["field"] == field)]
    if not matching:
        present = ", ".join(sorted({f["rule_id"] for f in findings})) or "none"
        raise NotFoundError(
            f"no {rule} finding{' on ' + field if field else ''} in {where} (its findings: {present})",
            consortium=consortium_id,
            field=field,
        )
    fields = sorted({f["field"] for f in matching})
    if len(fields) > 1:
        raise ConfigurationError(
            f"{rule} has findings on {', '.join(fields)} in {where}: say which with --field", consortium=consortium_id
        )
    target = matching[0]
    if target["severity"] == "fatal":
        raise ConfigurationError(
            f"the {target['rule']} finding on {target['field']} is fatal and cannot be "
            "overridden: the value is unusable until the consortium corrects it and resubmits",
            consortium=consortium_id,
            field=target["field"],
        )
    if target["veto"]:
        raise ConfigurationError(
            f"the {target['rule']} finding on {target['field']} is a veto and cannot be overridden",
            consortium=consortium_id,
            field=target["field"],
        )
    return target


def mask_override_reasons(findings: pd.DataFrame, values: Mapping[int, Mapping[str, object]]) -> pd.DataFrame:
    """Annotated findings whose override reasons are fit for output: a reviewer may have typed the contact's
    name or phone ("已电话核实（联系人王小明 138…）"), so a reason is masked like a 说明."""
    if not len(findings):
        return findings
    personal = {
        vid: {c: getattr(fields.get(c), "value", None) for c in PERSONAL_FIELDS} for vid, fields in values.items()
    }
    masked = findings.copy()
    masked["override_reason"] = pd.Series(
        [
            mask_text(str(reason), personal.get(vid, {})) if _text(reason) else None
            for reason, vid in zip(findings["override_reason"], findings["version_id"])
        ],
        index=findings.index,
        dtype=object,
    )
    return masked


def findings_frame(records: list[dict]) -> pd.DataFrame:
    """Stored findings (``Warehouse.findings``) as a frame; an empty list keeps the columns."""
    return pd.DataFrame(records, columns=["id", *FINDING_COLUMNS, "explanation"])


def unusable_fields(findings: pd.DataFrame, catalogue: Catalogue) -> dict[int, frozenset[str]]:
    """Per version, the non-meta fields a fatal finding involves: they score as missing (docs/DOMAIN.md)."""
    unusable: dict[int, set[str]] = {}
    for finding in findings[findings["severity"] == "fatal"].itertuples(index=False):
        involved = finding.involves.split(";") if isinstance(finding.involves, str) else list(finding.involves)
        unusable.setdefault(int(finding.version_id), set()).update(
            code for code in involved if code in catalogue and not catalogue[code].is_meta
        )
    return {version: frozenset(codes) for version, codes in unusable.items()}


def usable_values(
    catalogue: Catalogue, stored: Mapping[str, object], findings: pd.DataFrame, version_id: int
) -> tuple[dict[str, Value | None], dict[str, list[str]]]:
    """The typed values scoring may use, and for every value withheld the rule ids that withheld it.

    A value that did not parse, or that a fatal finding involves, scores as missing (docs/DOMAIN.md); the
    second result says why for each, so nothing is dropped silently.
    """
    mine = findings[(findings["version_id"] == version_id) & (findings["severity"] == "fatal")]
    withheld: dict[str, list[str]] = {}
    for finding in mine.itertuples(index=False):
        for code in str(finding.involves).split(";"):
            if code in catalogue and not catalogue[code].is_meta:
                withheld.setdefault(code, []).append(finding.rule_id)
    values: dict[str, Value | None] = {}
    for code, found in stored.items():
        spec = catalogue.fields.get(code)
        if spec is None:
            continue
        if getattr(found, "problem", None):
            withheld.setdefault(code, []).append(f"{code}.type")
        values[code] = None if code in withheld else from_storage(spec, getattr(found, "value", None))
    return values, {code: sorted(set(rules)) for code, rules in withheld.items()}


def severity_counts(findings: pd.DataFrame) -> pd.DataFrame:
    """Counts by rule and severity of annotated findings (the run's artifact and the provincial summary)."""
    if not len(findings):
        return pd.DataFrame(columns=["rule", "severity", "findings", "versions", "explained"])
    grouped = findings.groupby(["rule", "severity"], sort=True)
    table = grouped.agg(
        findings=("version_id", "size"), versions=("version_id", "nunique"), explained=("explained", "sum")
    )
    order = {"fatal": 0, "warning": 1, "info": 2}
    table = table.reset_index()
    table["explained"] = table["explained"].astype(int)
    return table.sort_values(
        ["severity", "rule"], key=lambda s: s.map(order) if s.name == "severity" else s, kind="stable"
    ).reset_index(drop=True)


def validation_digests(
    versions: pd.DataFrame, registry: pd.DataFrame, layout: pd.DataFrame, last_summaries: pd.DataFrame, rules: str
) -> dict[int, str]:
    """Per version, a digest of everything its validation reads: the file (sha256), its consortium's registry
    row, the province's industry layout, the consortium's latest summary of the year before (year-over-year
    rules) and the rules' version. The same digest as stored means the stored findings stand, so a run with
    nothing new validates nothing."""
    layout_digest = (
        hashlib.sha256(layout.sort_values(list(layout.columns)).to_csv(index=False).encode()).hexdigest()
        if len(layout)
        else ""
    )
    previous = (
        {row.consortium_id: f"{row.version_id}:{row.sha256}" for row in last_summaries.itertuples()}
        if len(last_summaries)
        else {}
    )
    digests = {}
    for row in versions.itertuples():
        entry = registry.loc[row.consortium_id].to_dict() if row.consortium_id in registry.index else {}
        text = "\n".join(
            [
                rules,
                row.sha256,
                str(row.year),
                row.kind,
                layout_digest,
                previous.get(row.consortium_id, ""),
                repr(sorted((str(k), str(v)) for k, v in entry.items())),
            ]
        )
        digests[int(row.version_id)] = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return digests
