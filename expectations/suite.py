"""The Great Expectations 1.x suite built from the rule catalogue, and validation of a year in one batch.

Each :class:`~expectations.rules.RuleSpec` becomes one built-in expectation with GE's own ``severity``
(critical / warning / info) and a ``row_condition`` where it applies to one kind of submission (or, for
``required_if``, where the other field is given). Multi-row and tolerance rules read the derived columns
the core adds (``chanjiao.quality.checks.derive_columns``). The GE context, the data source and the suite are
built once per process (importing GE costs seconds); a year's submissions are validated as one batch.
"""

from __future__ import annotations

import logging
import os
import threading
import warnings
from dataclasses import dataclass

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")  # no usage statistics leave the machine

import great_expectations as gx  # noqa: E402
import great_expectations.expectations as gxe  # noqa: E402
import pandas as pd  # noqa: E402
from great_expectations.data_context.types.base import (  # noqa: E402
    DataContextConfig,
    InMemoryStoreBackendDefaults,
    ProgressBarsConfig,
)
from great_expectations.expectations.row_conditions import Column, Condition  # noqa: E402

from chanjiao.quality import checks as q  # noqa: E402
from chanjiao.quality.privacy import mask_text, mask_value  # noqa: E402
from chanjiao.reference.catalogue import Catalogue  # noqa: E402
from expectations.rules import RuleSpec, build_rules, describe  # noqa: E402

log = logging.getLogger(__name__)
GX_SEVERITY = {"fatal": "critical", "warning": "warning", "info": "info"}
BOTH_KINDS = ("plan", "summary")


def _expectation_kwargs(spec: RuleSpec) -> tuple[type[gxe.Expectation], dict, tuple[Condition, ...]]:
    """Which built-in expectation checks a rule family, on which column, under which extra conditions."""
    f, rule, family = spec.field, spec.rule, spec.family
    other = rule.fields[0] if rule is not None and rule.fields else None
    pair = {"ignore_row_if": "either_value_is_missing"}  # docs/DOMAIN.md: missing inputs are not evaluated
    between = gxe.ExpectColumnValuesToBeBetween
    if family == "type":
        return gxe.ExpectColumnValuesToBeNull, {"column": q.unparsed(f)}, ()
    if family == "required":  # an unparsable value is a type finding, not a missing one
        return gxe.ExpectColumnValuesToNotBeNull, {"column": q.submitted(f)}, ()
    if family == "min":
        return between, {"column": f, "min_value": float(spec.limit)}, ()
    if family == "max":
        return between, {"column": f, "max_value": float(spec.limit)}, ()
    if family == "max_chars":
        return gxe.ExpectColumnValueLengthsToBeBetween, {"column": f, "max_value": int(spec.limit)}, ()
    if family == "sum_eq":
        tolerance = float(rule.tolerance or 0)
        return between, {"column": q.sum_residual(f), "min_value": -tolerance, "max_value": tolerance}, ()
    if family in ("le", "not_after"):
        return (
            gxe.ExpectColumnPairValuesAToBeGreaterThanB,
            {"column_A": other, "column_B": f, "or_equal": True, **pair},
            (),
        )
    if family == "required_if":
        return (
            gxe.ExpectColumnValuesToNotBeNull,
            {"column": f},
            (Column(q.given(other)) == True, Column(q.unparsed(f)).is_null()),  # noqa: E712 (a GE Condition)
        )
    if family == "any_positive":
        return (
            gxe.ExpectColumnPairValuesToBeInSet,
            {
                "column_A": q.positive(f),
                "column_B": q.positive(other),
                "value_pairs_set": [(True, True), (True, False), (False, True)],
                **pair,
            },
            (),
        )
    if family == "both_or_neither":
        return (
            gxe.ExpectColumnPairValuesToBeEqual,
            {"column_A": q.positive(f), "column_B": q.positive(other), **pair},
            (),
        )
    if family == "warn_below":
        return between, {"column": f, "min_value": float(rule.number)}, ()
    if family == "warn_equal":
        return gxe.ExpectColumnValuesToNotBeInSet, {"column": f, "value_set": [float(rule.number)]}, ()
    if family == "min_ratio":
        return between, {"column": q.ratio_to(f, other), "min_value": float(rule.number)}, ()
    if family == "known_codes":
        return gxe.ExpectColumnValuesToBeNull, {"column": q.unknown_codes(f)}, ()
    if family == "is_true":
        return gxe.ExpectColumnValuesToBeInSet, {"column": f, "value_set": [True]}, ()
    if family == "registry_name":
        return (
            gxe.ExpectColumnPairValuesToBeEqual,
            {"column_A": q.compared_name(f), "column_B": q.registry_name_column(f), **pair},
            (),
        )
    if family == "in_city_layout":
        return gxe.ExpectColumnValuesToBeNull, {"column": q.outside_layout(f)}, ()
    if family == "yoy":
        limit = float(q.YOY_LIMIT)
        return between, {"column": q.yoy_change(f), "min_value": -limit, "max_value": limit}, ()
    if family == "veto":
        return between, {"column": f, "max_value": 0}, ()
    raise ValueError(f"no expectation for rule family {family!r}")


def expectation_for(spec: RuleSpec) -> gxe.Expectation:
    """The built-in expectation that checks one rule, with GE's severity and the rule id in ``meta``."""
    expectation, kwargs, conditions = _expectation_kwargs(spec)
    if conditions:
        condition = conditions[0]
        for part in conditions[1:]:
            condition = condition & part
        kwargs["row_condition"] = condition
    return expectation(**kwargs, severity=GX_SEVERITY[spec.severity], meta={"rule_id": spec.rule_id})


def applies(spec: RuleSpec, kind: str) -> bool:
    """A value that does not parse is always reported, whatever the kind of submission it sits in."""
    return spec.family == "type" or kind in spec.kinds


def build_suite(rules: tuple[RuleSpec, ...], kind: str) -> gx.ExpectationSuite:
    """The suite for one kind of submission (``plan`` or ``summary``), in rule-catalogue order.

    One suite per kind rather than a ``kind`` row condition on most expectations: pandas' ``query`` on a
    frame this wide costs ~20 ms a call, so conditions are kept for the rules that need one (``required_if``).
    """
    suite = gx.ExpectationSuite(name=f"submission-{kind}")
    for spec in rules:
        if applies(spec, kind):
            suite.add_expectation(expectation_for(spec))
    return suite


def _gx_context():
    """An in-memory context: nothing written to disk, no progress bars, no analytics."""
    config = DataContextConfig(
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
        store_backend_defaults=InMemoryStoreBackendDefaults(),
    )
    return gx.get_context(mode="ephemeral", project_config=config)


@dataclass
class QualityValidator:
    """GE's context, data source and suite for one catalogue; build it once per process."""

    catalogue: Catalogue
    rules: tuple[RuleSpec, ...]
    suites: dict[str, gx.ExpectationSuite]
    batch_definition: object
    context: object

    @classmethod
    def build(cls, catalogue: Catalogue, rules: tuple[RuleSpec, ...] | None = None) -> QualityValidator:
        rules = rules if rules is not None else build_rules(catalogue)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            context = _gx_context()
            suites = {kind: context.suites.add(build_suite(rules, kind)) for kind in BOTH_KINDS}
            asset = context.data_sources.add_pandas("submissions").add_dataframe_asset("year")
            batch_definition = asset.add_batch_definition_whole_dataframe("whole-year")
        return cls(catalogue, rules, suites, batch_definition, context)

    def _failures(self, suite: gx.ExpectationSuite, batch_frame: pd.DataFrame) -> list:
        """Validate the batch against the suite, then get the failing rows of the expectations that failed.

        Two passes because GE's cost is per expectation, not per row: the whole suite in ``BOOLEAN_ONLY``
        (~1 s for ~400 expectations), then ``COMPLETE`` (with the version id of every failing row) only for
        the few that failed — about a third of the time of ``COMPLETE`` for all.
        """
        expectations = {e.meta["rule_id"]: e for e in suite.expectations}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            batch = self.batch_definition.get_batch(batch_parameters={"dataframe": batch_frame})
            failed = [
                r.expectation_config.meta["rule_id"]
                for r in batch.validate(suite, result_format="BOOLEAN_ONLY").results
                if not r.success
            ]
            return [
                batch.validate(
                    expectations[rule_id],
                    result_format={
                        "result_format": "COMPLETE",
                        "unexpected_index_column_names": ["version_id"],
                        "return_unexpected_index_query": False,
                    },
                )
                for rule_id in failed
            ]

    def __post_init__(self) -> None:
        self.by_id = {spec.rule_id: spec for spec in self.rules}

    def validate(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Findings (``chanjiao.quality.checks.FINDING_COLUMNS``) for every row of a frame with derived columns.

        The year is validated as two batches — its plans and its summaries — each against its kind's suite.

        Values and messages are masked here, where findings are born, so no output downstream can leak a
        contact's name or phone (docs/DOMAIN.md).
        """
        results = []
        for kind, suite in self.suites.items():
            batch_frame = frame[frame["kind"] == kind].reset_index(drop=True)
            if len(batch_frame):
                results.extend(self._failures(suite, batch_frame))
        rows_by_version = frame.set_index("version_id", drop=False)
        findings = []
        for outcome in results:
            if outcome.success:
                continue
            if outcome.exception_info and outcome.exception_info.get("raised_exception"):
                raise RuntimeError(
                    f"expectation {outcome.expectation_config.meta.get('rule_id')} could not run: "
                    f"{outcome.exception_info.get('exception_message')}"
                )
            spec = self.by_id[outcome.expectation_config.meta["rule_id"]]
            for hit in outcome.result.get("unexpected_index_list") or []:
                version_id = int(hit["version_id"])
                row = rows_by_version.loc[version_id]
                personal = {code: row.get(code) for code in ("contact_name", "contact_phone")}
                seen, message = describe(spec, row, self.catalogue)
                findings.append(
                    {
                        "version_id": version_id,
                        "field": spec.field,
                        "rule": spec.family,
                        "rule_id": spec.rule_id,
                        "severity": spec.severity,
                        "veto": spec.veto,
                        "message": mask_text(message, personal),
                        "fix": spec.fix,
                        "value": mask_text(str(mask_value(spec.field, seen)), personal),
                        "involves": ";".join(spec.involves),
                    }
                )
        order = {spec.rule_id: i for i, spec in enumerate(self.rules)}
        frame_out = pd.DataFrame(findings, columns=list(q.FINDING_COLUMNS))
        return frame_out.sort_values(
            ["version_id", "rule_id"], key=lambda s: s.map(order) if s.name == "rule_id" else s, kind="stable"
        ).reset_index(drop=True)


_VALIDATORS: dict[int, QualityValidator] = {}
_LOCK = threading.Lock()


def validator_for(catalogue: Catalogue) -> QualityValidator:
    """The process's validator for a catalogue: GE's context and suite are paid for once."""
    with _LOCK:
        found = _VALIDATORS.get(id(catalogue))
        if found is None or found.catalogue is not catalogue:
            found = _VALIDATORS[id(catalogue)] = QualityValidator.build(catalogue)
            log.debug("built the GE suite: %d expectations", len(found.rules))
        return found
