"""The rule catalogue: every data-quality rule, generated from the field catalogue (fields.csv).

One :class:`RuleSpec` per check — id, family, severity, the Chinese message a submitter reads, what to do
about it and the policy clause behind it. It drives the GE suite (``expectations/suite.py``), the findings'
messages, ``chanjiao rules`` and ``expectations/RULES.md``. It imports no GE, so it is cheap to load.

Families (docs/DOMAIN.md, "Data quality"): ``type``, ``required``, ``min``, ``max``, ``max_chars`` from the
catalogue's columns; one per ``rule`` of the grammar (``sum_eq``, ``le``, ``not_after``, ``required_if``,
``any_positive``, ``both_or_neither``, ``warn_below``, ``warn_equal``, ``min_ratio``, ``known_codes``,
``is_true``, ``registry_name``, ``in_city_layout``, plus the project's ``veto``); ``yoy`` for every
numeric field. Timeliness is not here: it is computed (a missing submission has no row to validate).
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from chanjiao.quality import checks as q
from chanjiao.reference.catalogue import Catalogue, Field, Rule, load_catalogue
from chanjiao.reference.formatting import fmt_number, fmt_value
from chanjiao.reference.labels import kind_label, labels, type_label

_TYPE_EXAMPLE = {
    "int": "12",
    "decimal": "12.5",
    "percent": "85 或 85%",
    "date": "2024-07-15、2024/7/15 或 2024年7月15日",
    "bool": "是 或 否",
    "codes": "A1;B2",
    "text": "文字",
}
_EXPLAIN = "如数据无误，请在该行“说明”栏写明原因，审核人员可据此认可。"
_FOR_INFO = "此为政策参考指标，供审核参考，无需修改；如有特殊情况可在“说明”栏说明。"
YOY_SOURCE = "docs/DOMAIN.md 数据质量（项目默认：与上年最新总结相比变化超过 ±50%）"


@dataclass(frozen=True)
class RuleSpec:
    """One check of one field. ``message``/``fix`` are templates: labels are filled in, values are not."""

    rule_id: str  # "<field>.<family>", unique
    family: str
    field: str
    severity: str  # fatal | warning | info
    kinds: tuple[str, ...]  # the kinds of submission the check applies to
    involves: tuple[str, ...]  # every field the check reads (a fatal one makes them unusable)
    message: str
    fix: str
    source: str
    rule: Rule | None = None  # the catalogue rule behind it, if any
    veto: bool = False
    limit: Decimal | int | None = None  # min / max / max_chars

    @property
    def overridable(self) -> bool:
        return q.can_be_explained(self.severity, self.veto)


class _Keep(dict):
    """format_map helper: leave ``{value}``-style placeholders for the finding to fill."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _fill(template: str, **known: object) -> str:
    return string.Formatter().vformat(template, (), _Keep(known))


def _label(field: Field) -> str:
    return f"「{field.label_zh}」"


def _limit(field: Field, value: Decimal | None) -> str:
    return "" if value is None else fmt_number(value, field)


def _kinds(field: Field, rule: Rule | None = None) -> tuple[str, ...]:
    if rule is not None and rule.summary_only:
        return ("summary",)
    return ("plan", "summary") if field.applies_to == "both" else (field.applies_to,)


def _required_kinds(field: Field) -> tuple[str, ...]:
    return {"both": ("plan", "summary"), "plan": ("plan",), "summary": ("summary",)}.get(field.required_in, ())


def _family_rule(field: Field, rule: Rule, catalogue: Catalogue) -> RuleSpec:
    label = _label(field)
    other = catalogue[rule.fields[0]] if rule.fields else None
    other_label = _label(other) if other else ""
    known = dict(label=label, other_label=other_label)
    name, severity = rule.name, rule.severity
    fix = _FOR_INFO if severity == "info" else _EXPLAIN
    involves: tuple[str, ...] = (field.code, *rule.fields)
    if name == "sum_eq":
        parts = "、".join(_label(catalogue[p]) for p in rule.fields)
        tolerance = f"，允许误差{fmt_number(rule.tolerance, field)}" if rule.tolerance else ""
        message = f"{label}为{{value}}，但{parts}之和为{{sum}}（相差{{diff}}{tolerance}）。"
        fix = "请核对合计与各分项，使合计等于各分项之和。" if severity == "fatal" else fix
    elif name == "le":
        message = f"{label}为{{value}}，大于{other_label}的{{other}}。"
        fix = f"请核对两项数值：{label}不应大于{other_label}。" if severity == "fatal" else fix
    elif name == "not_after":
        message = f"{label}为{{value}}，晚于{other_label}{{other}}。"
        fix = f"请核对日期：{label}不应晚于{other_label}。" if severity == "fatal" else fix
    elif name == "required_if":
        message = f"已填写{other_label}，但未填写{label}。"
        fix = f"请补充{label}，或核对{other_label}是否填错。"
    elif name == "any_positive":
        message = f"{label}与{other_label}均为0。"
        fix = f"请核对；两项中至少一项应大于0。{_EXPLAIN}" if severity != "info" else fix
    elif name == "both_or_neither":
        message = f"{label}为{{value}}，而{other_label}为{{other}}：两者应同时大于0或同时为0。"
        fix = f"请核对两项数值。{_EXPLAIN}" if severity != "info" else fix
    elif name == "warn_below":
        message = f"{label}为{{value}}，低于{fmt_number(rule.number, field)}。"
    elif name == "warn_equal":
        message = f"{label}恰好为{fmt_number(rule.number, field)}，请核实。"
    elif name == "min_ratio":
        target = _percent(float(rule.number))
        message = f"{label}为{{value}}，仅为{other_label}（{{other}}）的{{ratio}}，低于{target}的目标。"
    elif name == "known_codes":
        message = f"{label}含有无法识别的代码：{{codes}}。"
        fix = f"请只使用以下代码：{'、'.join(rule.codes)}。"
    elif name == "is_true":
        message = f"{label}未确认（应为“是”）。"
        fix = "请确认所报数据真实、准确、有效，并填写“是”。"
    elif name == "registry_name":
        involves = (field.code,)
        message = f"{label}“{{value}}”与联合体名录中的名称“{{registry}}”不一致。"
        fix = "请使用联合体名录中的正式名称；如名称已变更，请在“说明”栏说明。"
    elif name == "in_city_layout":
        involves = (field.code,)
        message = f"{label}中的{{codes}}不是所在地市产业布局中的核心或重点产业。"
        fix = f"请核对主导产业代码；{_EXPLAIN}"
    elif name == "veto":
        involves = (field.code,)
        message = f"{label}为{{value}}：属一票否决情形，不能被说明或豁免，不得推荐申报国家级。"
        fix = "请在「违法违规事件说明」中如实说明；此项将如实报告。"
    else:  # the catalogue's grammar and this module must agree
        raise ValueError(f"no rule family for {name!r}")
    return RuleSpec(
        rule_id=f"{field.code}.{name}",
        family=name,
        field=field.code,
        severity=severity,
        kinds=_kinds(field, rule),
        involves=involves,
        message=_fill(message, **known),
        fix=fix,
        source=field.source,
        rule=rule,
        veto=name == "veto",
    )


def build_rules(catalogue: Catalogue) -> tuple[RuleSpec, ...]:
    """Every check the catalogue implies, in catalogue order."""
    specs: list[RuleSpec] = []
    for field in catalogue:
        label, kinds = _label(field), _kinds(field)
        source = f"fields.csv（{field.source}）" if field.source else "fields.csv"
        type_zh = type_label(field.type) if field.type != "enum" else "、".join(field.enum_values) + "之一"
        example = _TYPE_EXAMPLE.get(field.type, "、".join(field.enum_values))
        if field.type == "text":  # text always parses: only an Excel formula with no saved result fails
            specs.append(
                RuleSpec(
                    f"{field.code}.type",
                    "type",
                    field.code,
                    "fatal",
                    kinds,
                    (field.code,),
                    f"{label}是一个没有保存计算结果的公式“{{value}}”。",
                    "请在 Excel 中打开并保存文件，或直接填写内容。",
                    source,
                )
            )
        else:
            specs.append(
                RuleSpec(
                    f"{field.code}.type",
                    "type",
                    field.code,
                    "fatal",
                    kinds,
                    (field.code,),
                    f"{label}填写的“{{value}}”不是有效的{type_zh}。",
                    f"请按{type_zh}填写，例如：{example}。",
                    source,
                )
            )
        required = _required_kinds(field)
        if required:
            kind_zh = kind_label(required[0]) if len(required) == 1 else "{kind_zh}"
            specs.append(
                RuleSpec(
                    f"{field.code}.required",
                    "required",
                    field.code,
                    "fatal",
                    required,
                    (field.code,),
                    f"{label}是{kind_zh}的必填项，但未填写。",
                    "请填写后重新报送。",
                    source,
                )
            )
        span = f"{_limit(field, field.min)}–{_limit(field, field.max)}"
        if field.min is not None:
            specs.append(
                RuleSpec(
                    f"{field.code}.min",
                    "min",
                    field.code,
                    "fatal",
                    kinds,
                    (field.code,),
                    f"{label}为{{value}}，低于下限{_limit(field, field.min)}。",
                    f"请核对数值（允许范围 {span}）。",
                    source,
                    limit=field.min,
                )
            )
        if field.max is not None:
            specs.append(
                RuleSpec(
                    f"{field.code}.max",
                    "max",
                    field.code,
                    "fatal",
                    kinds,
                    (field.code,),
                    f"{label}为{{value}}，超过上限{_limit(field, field.max)}。",
                    f"请核对数值（允许范围 {span}）。",
                    source,
                    limit=field.max,
                )
            )
        if field.max_chars is not None:
            specs.append(
                RuleSpec(
                    f"{field.code}.max_chars",
                    "max_chars",
                    field.code,
                    "fatal",
                    kinds,
                    (field.code,),
                    f"{label}共{{length}}字，超过{field.max_chars}字的上限。",
                    f"请精简至{field.max_chars}字以内（按去掉首尾空白后的字符计）。",
                    source,
                    limit=field.max_chars,
                )
            )
        specs.extend(_family_rule(field, rule, catalogue) for rule in field.rules)
        if any(r.name == "in_city_layout" for r in field.rules) and not any(
            r.name == "known_codes" for r in field.rules
        ):
            # "an unknown code is fatal" (fields.csv check_note): the known set is the layout table's codes
            specs.append(
                RuleSpec(
                    f"{field.code}.known_codes",
                    "known_codes",
                    field.code,
                    "fatal",
                    kinds,
                    (field.code,),
                    f"{label}含有无法识别的代码：{{codes}}。",
                    "请使用产业布局表中的产业代码（A1–D4，如 A1、B2）。",
                    field.source,
                )
            )
        if field.is_numeric and not field.is_meta:
            specs.append(
                RuleSpec(
                    f"{field.code}.yoy",
                    "yoy",
                    field.code,
                    "warning",
                    ("summary",),
                    (field.code,),
                    f"{label}由上年的{{previous}}变为{{value}}（{{change}}），变化超过±50%。",
                    _EXPLAIN,
                    YOY_SOURCE,
                )
            )
    ids = [s.rule_id for s in specs]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ValueError(f"duplicate rule ids {', '.join(duplicates)}")
    return tuple(specs)


@lru_cache(maxsize=1)
def default_rules() -> tuple[RuleSpec, ...]:
    """The rules of the project's own catalogue, built once per process."""
    return build_rules(load_catalogue())


# --- filling a finding's message -------------------------------------------------------------------------


def _percent(x: float) -> str:
    return f"{x * 100:.1f}".rstrip("0").rstrip(".") + "%"


def _excerpt(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def describe(spec: RuleSpec, row: Mapping[str, object], catalogue: Catalogue) -> tuple[str, str]:
    """The value seen and the message for a row that broke ``spec`` (unmasked: the caller masks)."""
    field = catalogue[spec.field]
    value = row.get(spec.field)
    other = catalogue[spec.rule.fields[0]] if spec.rule is not None and spec.rule.fields else None
    fill: dict[str, object] = {"value": fmt_value(field, value)}
    if other is not None:
        fill["other"] = fmt_value(other, row.get(other.code))
    seen = fill["value"]
    family = spec.family
    if family == "type":
        raw = str(row.get(q.unparsed(spec.field)) or "")
        seen = fill["value"] = raw
        if raw.startswith("="):
            return seen, (
                f"{_label(field)}是一个没有保存计算结果的公式“{raw}”：请在 Excel 中打开并保存文件，或直接填写数值。"
            )
    elif family == "required":
        seen, fill["kind_zh"] = "（空）", labels("kind").get(str(row.get("kind")), "材料")
    elif family == "max_chars":
        text = str(value)
        fill["length"] = len(text)
        seen = f"{_excerpt(text)}（{len(text)}字）"
    elif family == "sum_eq":
        residual = row.get(q.sum_residual(spec.field))
        parts = Decimal(repr(float(value))) - Decimal(repr(float(residual)))
        fill["sum"] = fmt_number(parts, field)
        fill["diff"] = fmt_number(abs(Decimal(repr(float(residual)))), field)
        seen = f"{fill['value']} ≠ {fill['sum']}"
    elif family in ("le", "not_after"):
        seen = f"{fill['value']} > {fill['other']}"
    elif family in ("both_or_neither", "any_positive"):
        seen = f"{fill['value']} / {fill['other']}"
    elif family == "required_if":
        seen = f"（空）；{other.label_zh}：{fill['other']}"
    elif family == "min_ratio":
        ratio = row.get(q.ratio_to(spec.field, other.code))
        fill["ratio"] = _percent(float(ratio))
        seen = f"{fill['value']} / {fill['other']} = {fill['ratio']}"
    elif family == "known_codes":
        fill["codes"] = seen = str(row.get(q.unknown_codes(spec.field)))
    elif family == "registry_name":
        fill["registry"] = str(row.get(q.registry_name_column(spec.field)))
    elif family == "in_city_layout":
        fill["codes"] = seen = str(row.get(q.outside_layout(spec.field)))
    elif family == "yoy":
        fill["previous"] = fmt_number(row.get(q.previous(spec.field)), field)
        change = float(row.get(q.yoy_change(spec.field)))
        fill["change"] = ("+" if change > 0 else "") + _percent(change)
        seen = f"{fill['previous']} → {fill['value']}"
    return str(seen), string.Formatter().vformat(spec.message, (), _Keep(fill))


def rules_markdown(rules) -> str:
    """The rule catalogue as the Markdown of ``expectations/RULES.md`` (``chanjiao rules --markdown``)."""

    def cell(text: str) -> str:
        return str(text).replace("|", "\\|").replace("\n", " ")

    lines = [
        "# Data-quality rules",
        "",
        "Generated from `chanjiao/data/fields.csv` by `chanjiao rules --markdown`; do not edit by hand.",
        "Severity: **fatal** — the value is unusable and scores as missing (a fatal rule makes every "
        "non-meta field it involves unusable); **warning** — suspicious, shown as explained when the "
        "file's 说明 or a reviewer override accepts it; **info** — a policy threshold for the reviewer. "
        "Fatal and veto findings cannot be overridden. `{value}`-style placeholders are filled per finding.",
        "",
        "| rule id | severity | applies to | message | what to do | source |",
        "|---|---|---|---|---|---|",
    ]
    for spec in rules:
        severity = spec.severity + (" (veto)" if spec.veto else "")
        lines.append(
            f"| `{spec.rule_id}` | {severity} | {', '.join(spec.kinds)} | {cell(spec.message)} | "
            f"{cell(spec.fix)} | {cell(spec.source)} |"
        )
    lines.append("")
    lines.append(f"{len(rules)} rules.")
    return "\n".join(lines) + "\n"
