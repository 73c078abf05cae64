"""The PDF reports' contents (docs/DOMAIN.md, "Reports"): per consortium and per province, for one year.

Pure: :class:`ProvinceYear` (everything a province's reports show, read once by ``tasks/reporting.py``) goes
in, plain dicts ready for ``report_templates/`` come out — every figure formatted, every label from the field
catalogue or the framework, personal data masked. Templates never compute; they only lay out.
"""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from functools import cached_property

import pandas as pd

from chanjiao import __version__
from chanjiao.common.exports import beijing_time, findings_csv, table_csv
from chanjiao.intake.normalize import from_storage
from chanjiao.quality.checks import is_missing
from chanjiao.quality.privacy import mask_text, mask_value
from chanjiao.quality.timeliness import status_counts
from chanjiao.reference.catalogue import KINDS, PERSONAL_FIELDS, Catalogue
from chanjiao.reference.formatting import fmt_score, fmt_value
from chanjiao.reference.frameworks import Framework
from chanjiao.reference.labels import (
    kind_label,
    level_label,
    list_code_label,
    milestone_label,
    rule_family_label,
    score_note_label,
    section_label,
    severity_label,
    timeliness_label,
)
from chanjiao.reporting import charts
from chanjiao.reporting.receipts import finding_status, plain_record
from chanjiao.scoring.outputs import points_table, scores_table
from chanjiao.scoring.scores import (
    EMPTY,
    OK,
    UNUSABLE,
    carry_over_milestones,
    milestone_due_dates,
)

_SEVERITY_ORDER = {"fatal": 0, "warning": 1, "info": 2}
NOT_FILLED = "未填报"
_NUMERALS = "一二三四五六七八九十"
CONSORTIUM_CHAPTERS = (
    ("headline", "总体评价"),
    ("indicators", "指标得分与全省中位数"),
    ("trend", "历年得分趋势"),
    ("milestones", "建设进度（里程碑）"),
    ("timeliness", "材料报送情况"),
    ("findings", "数据质量问题"),
    ("cases", "典型案例"),
)
PROVINCE_CHAPTERS = (
    ("ranking", "排名与等级"),
    ("distribution", "得分分布与指标中位数"),
    ("timeliness", "材料报送情况"),
    ("quality", "数据质量"),
    ("adjustment", "连续两年未完成年度计划的联合体"),
    ("shortlist", "推荐国家级候选"),
    ("alignment", "产业布局契合度"),
    ("revisions", "报告修订记录"),
)


def table_of_contents(
    chapters: tuple[tuple[str, str], ...], shown: set[str], appendix: list[tuple[str, str]]
) -> tuple[list[tuple[str, str, int]], dict[str, str]]:
    """Numbered chapter titles (一、二、…) for the chapters a report shows, then the appendix and its parts:
    the entries of the table of contents and each anchor's heading."""
    entries, titles = [], {}
    for anchor, title in chapters:
        if anchor in shown:
            titles[anchor] = f"{_NUMERALS[len(titles)]}、{title}"
            entries.append((anchor, titles[anchor], 1))
    for n, (anchor, title) in enumerate(appendix):
        titles[anchor] = title
        entries.append((anchor, title, 1 if n == 0 else 2))
    return entries, titles


@dataclass
class ProvinceYear:
    """Everything one province's reports for ``year`` show, as read from the warehouse and reference data."""

    year: int
    as_of: date
    province_code: str
    province_name: str
    department: str
    framework: Framework
    registry: pd.DataFrame  # the province's expected filers for the year, indexed by consortium_id
    scores: list[dict]  # Warehouse.scores rows (one per consortium)
    indicators: list[dict]  # Warehouse.indicator_scores rows
    points: list[dict]  # Warehouse.point_scores rows
    timeliness: pd.DataFrame  # chanjiao.quality.timeliness.compute_timeliness rows for the year
    findings: pd.DataFrame  # annotated findings of each consortium's latest versions of the year
    versions: pd.DataFrame  # latest versions of every year ≤ year (versions_frame columns)
    values: dict[int, dict]  # version_id → field → FieldValue (stored text)
    cells: pd.DataFrame  # chanjiao.scoring.scores.input_cells of those versions
    milestones: pd.DataFrame  # reference milestones.csv
    layout: pd.DataFrame  # industry layout rows of the province (empty if it has none)
    history: dict[int, dict] = field(default_factory=dict)  # earlier year → {"scores": [...], "indicators": [...]}
    generated_at: datetime | None = None

    @property
    def grades(self) -> list[tuple[float, str]]:
        return [(float(minimum), grade) for minimum, grade in self.framework.grades]

    @cached_property
    def medians(self) -> dict[str, float | None]:
        """Provincial medians per indicator, computed once for all the province's reports."""
        return indicator_medians(self)

    @cached_property
    def total_median(self) -> float | None:
        return _total_median(self.scores)


# --- small formatting helpers ---------------------------------------------------------------------------------


def _date(value: object) -> str:
    return value.isoformat() if isinstance(value, date) else ""


def _personal(values: dict) -> dict[str, str | None]:
    return {code: getattr(values.get(code), "value", None) for code in PERSONAL_FIELDS}


def _masked(text: object, personal: dict[str, str | None]) -> str:
    """Any free text bound for a report: the contact (and any phone number) masked."""
    return "" if is_missing(text) else mask_text(str(text), personal)


def _badge(grade: str, grades: list[tuple[float, str]]) -> dict:
    return {"text": grade, "colour": charts.grade_colour(grade, grades)}


def _median(values: list[float]) -> float | None:
    return float(statistics.median(values)) if values else None


def _generated(data: ProvinceYear) -> str:
    moment = data.generated_at or datetime.now().astimezone()
    return f"{beijing_time(moment):%Y-%m-%d %H:%M}"


def indicator_medians(data: ProvinceYear) -> dict[str, float | None]:
    """The provincial median of each indicator over consortia that filed a summary (a 0 for "no summary" would
    pull every median down and say nothing about the ones that did file)."""
    filed = {row["consortium_id"] for row in data.scores if not row["note"]}
    medians = {}
    for indicator in data.framework.indicators:
        values = [
            row["score"]
            for row in data.indicators
            if row["indicator"] == indicator.code and row["consortium_id"] in filed
        ]
        medians[indicator.code] = _median(values)
    return medians


def _or_dash(text: str) -> str:
    """A figure, or "—" where there is none (fmt_score gives "" for no value)."""
    return text or "—"


def _total_median(scores: list[dict]) -> float | None:
    return _median([row["total"] for row in scores if not row["note"]])


def plan_text(row: dict) -> str:
    if row["plan_completed"]:
        return f"完成（{row['plan_targets_met']}/{row['plan_targets']} 项目标）"
    if row["plan_reason"]:
        return score_note_label(row["plan_reason"])
    return f"未完成（{row['plan_targets_met']}/{row['plan_targets']} 项目标）"


# --- per consortium -------------------------------------------------------------------------------------------


def _latest(data: ProvinceYear, consortium_id: str, year: int, kind: str) -> dict | None:
    rows = data.versions[
        (data.versions["consortium_id"] == consortium_id)
        & (data.versions["year"] == year)
        & (data.versions["kind"] == kind)
    ]
    return rows.iloc[-1].to_dict() if len(rows) else None


def _indicator_section(data: ProvinceYear, consortium_id: str, catalogue: Catalogue) -> dict:
    framework = data.framework
    medians = data.medians
    mine = {row["indicator"]: row for row in data.indicators if row["consortium_id"] == consortium_id}
    points = {row["point"]: row for row in data.points if row["consortium_id"] == consortium_id}
    rows, bars = [], []
    for indicator in framework.indicators:
        row = mine.get(indicator.code)
        deduction = indicator.code in framework.deduction_codes
        score = row["score"] if row else None
        rows.append(
            {
                "code": indicator.code,
                "name": indicator.name_zh,
                "weight": "扣分项" if deduction else fmt_score(indicator.weight),
                "score": fmt_score(score, 2) if score is not None else "—",
                "median": _or_dash(fmt_score(medians[indicator.code], 2)),
                "no_data": bool(row and row["no_data"]),
                "deduction": deduction,
                "points": [
                    {
                        "code": point.code,
                        "name": point.name_zh,
                        "score": fmt_score(points[point.code]["score"], 2) if point.code in points else "—",
                        "basis": points[point.code]["basis"] if point.code in points else "",
                        "no_data": bool(points.get(point.code, {}).get("no_data")),
                    }
                    for point in indicator.points
                ],
            }
        )
        # Indicator scores are 0–100 (the mean of their points; the weight applies in the total): bars out of 100.
        bars.append(
            charts.IndicatorBar(
                code=indicator.code,
                label=indicator.name_zh,
                score=score if row and not row["no_data"] or deduction else None,
                weight=100.0,
                median=medians[indicator.code],
                deduction=deduction,
            )
        )
    return {"rows": rows, "chart": charts.indicator_chart(bars)}


def _trend_section(data: ProvinceYear, consortium_id: str) -> dict | None:
    """Totals across the years scored so far (None when this is the first)."""
    series = []
    for year in sorted(data.history):
        scores = data.history[year]["scores"]
        mine = next((row for row in scores if row["consortium_id"] == consortium_id), None)
        if mine is not None:
            series.append((year, mine, _total_median(scores)))
    if not series:
        return None
    current = next(row for row in data.scores if row["consortium_id"] == consortium_id)
    series.append((data.year, current, data.total_median))
    points = [
        charts.TrendPoint(year=year, total=row["total"], grade=row["grade"], median=median)
        for year, row, median in series
    ]
    return {
        "chart": charts.trend_chart(points, data.grades),
        "rows": [
            {
                "year": year,
                "total": fmt_score(row["total"]),
                "grade": _badge(row["grade"], data.grades),
                "rank": f"{row['rank']}",
                "median": fmt_score(median) if median is not None else "—",
                "plan": plan_text(row),
                "framework": f"{row['framework_id']} {row['framework_version']}",
            }
            for year, row, median in series
        ],
    }


def milestone_rows(data: ProvinceYear, consortium_id: str, catalogue: Catalogue) -> list[dict]:
    """Each construction milestone against its due date: the date this year's summary gives (or carries over
    from an earlier summary), and whether it was met on time (docs/DOMAIN.md, "Milestones")."""
    codes = [spec.code for spec in catalogue if spec.section == "B_milestones" and spec.type == "date"]
    registry = data.registry.loc[[consortium_id]]
    due = milestone_due_dates(data.milestones, registry, set(codes))
    mine = data.cells[(data.cells["consortium_id"] == consortium_id) & (data.cells["kind"] == "summary")]
    summary = carry_over_milestones(mine, catalogue, data.year) if len(mine) else mine
    cells = {row.field: row for row in summary.itertuples(index=False)} if len(summary) else {}
    if not cells:
        # No summary this year: what the latest earlier summaries said still stands.
        earlier = mine[(mine["year"] < data.year) & (mine["state"] != EMPTY)].sort_values("year", kind="stable")
        cells = {row.field: row._replace(carried_from=row.year) for row in earlier.itertuples(index=False)}
    year_end = date(data.year, 12, 31)
    today = min(data.as_of, year_end)
    rows = []
    for code in codes:
        deadline = due[(consortium_id, code)]
        cell = cells.get(code)
        done = cell.value if cell is not None and cell.state == OK else None
        carried = getattr(cell, "carried_from", None) if cell is not None else None
        note = f"（沿用 {int(carried)} 年总结）" if carried is not None and not pd.isna(carried) else ""
        if cell is not None and cell.state == UNUSABLE:
            status = milestone_label("unusable")
        elif done is not None and done > year_end:
            # Scored as not achieved in the year (chanjiao.scoring.scores.milestone_score), so not "completed late".
            status, note = milestone_label("not_done"), f"（填报日期晚于 {data.year} 年底）"
        elif done is not None:
            status = milestone_label("on_time" if done <= deadline else "late")
        else:
            status = milestone_label("not_yet_due" if deadline > today else "not_done")
        rows.append(
            {
                "code": code,
                "label": catalogue.label(code).removesuffix("日期"),
                "due": deadline,
                "done": done,
                "due_text": _date(deadline),
                "done_text": _date(done) or "—",
                "status": status,
                "carried": note,
                "days_late": (done - deadline).days if status == milestone_label("late") else None,
            }
        )
    return rows


def milestone_first_year(rows: list[dict], year: int, span: int = 3) -> int:
    """Where the milestone chart starts: the earliest due or completion date's year, at most ``span`` years."""
    years = [d.year for row in rows for d in (row["due"], row["done"]) if isinstance(d, date)]
    return max(min(years + [year]), year - span + 1)


def _timeliness_rows(data: ProvinceYear, consortium_id: str) -> list[dict]:
    rows = data.timeliness[data.timeliness["consortium_id"] == consortium_id]
    out = []
    for row in rows.sort_values("kind", key=lambda s: s.map({k: n for n, k in enumerate(KINDS)})).to_dict("records"):
        status = timeliness_label(row["status"])
        if row["status"] == "late":
            status += f" {int(row['days_late'])} 天"
        out.append(
            {
                "kind": kind_label(row["kind"]),
                "due": _date(row["due_date"]) + ("（延期）" if row["extended"] else ""),
                "first": _date(row["first_submitted_on"]) or "—",
                "version": f"第 {int(row['version'])} 版" if not is_missing(row["version"]) else "—",
                "status": status,
                "status_class": row["status"],
                "city_approved": "是" if row["city_approved"] else ("否" if not is_missing(row["version"]) else "—"),
            }
        )
    return out


def finding_rows(findings: pd.DataFrame, catalogue: Catalogue) -> list[dict]:
    """Findings, most severe first, as a reviewer reads them: what, the value, and the explanation or override."""
    rows = []
    records = sorted(
        findings.to_dict("records"),
        key=lambda f: (
            f["kind"],
            _SEVERITY_ORDER[f["severity"]],
            catalogue.codes.index(f["field"]) if f["field"] in catalogue else 999,
            f["rule"],
        ),
    )
    for f in records:
        f = plain_record(f)
        handled = ""
        if f.get("override_by"):
            handled = f"审核人员认可：{f['override_reason'] or ''}（{f['override_by']}）"
        elif f.get("explanation"):
            handled = f"填报说明：{f['explanation']}"
        rows.append(
            {
                "kind": kind_label(f["kind"]),
                "version": int(f["version"]) if f.get("version") else "",
                "severity": f["severity"],
                "severity_zh": severity_label(f["severity"]) + ("·否决" if f["veto"] else ""),
                "field": f["field"],
                "label": catalogue.label(f["field"]),
                "message": f["message"],
                "value": f["value"] or "",
                "handled": handled,
                "status": finding_status(f),
            }
        )
    return rows


def _cases(data: ProvinceYear, consortium_id: str, catalogue: Catalogue) -> list[dict]:
    version = _latest(data, consortium_id, data.year, "summary")
    if version is None:
        return []
    values = data.values.get(version["version_id"], {})
    personal = _personal(values)
    cases = []
    for n in range(1, 10):
        code = f"case_{n}_title"
        if code not in catalogue:
            break
        title = getattr(values.get(code), "value", None)
        body = getattr(values.get(f"case_{n}_text"), "value", None)
        if title or body:
            cases.append(
                {"n": n, "title": _masked(title, personal) or "（未填写标题）", "length": len(str(body or "").strip())}
            )
    return cases


def _display(spec, found) -> tuple[str, str]:
    """(value as read, status) of one stored field for the appendix."""
    if found is None or (found.value is None and not found.problem):
        return "", NOT_FILLED
    if found.problem:
        return found.raw or "", f"无法识别：{found.problem}"
    value = found.value
    try:
        value = from_storage(spec, value)
    except (ValueError, ArithmeticError):
        return str(found.value), ""
    if spec.type == "codes":
        return "；".join(list_code_label(code) for code in value), ""
    return fmt_value(spec, value), ""


_PROVENANCE_FIELDS = ("consortium_id", "year", "kind", "submitted_on", "city_approved_on")  # shown as provenance


def paired(fields: list[dict]) -> list[list[dict]]:
    """Table rows of the appendix: short values two to a row (half the rows, half the pages), a text field that
    runs long on a row of its own."""
    rows: list[list[dict]] = []
    for spec in fields:
        if spec["wide"] or not rows or len(rows[-1]) == 2 or rows[-1][0]["wide"]:
            rows.append([spec])
        else:
            rows[-1].append(spec)
    return rows


def appendix(data: ProvinceYear, consortium_id: str, catalogue: Catalogue) -> list[dict]:
    """Every submitted value of the year's latest plan and summary, with their provenance (docs/DOMAIN.md)."""
    score = next((row for row in data.scores if row["consortium_id"] == consortium_id), None)
    framework = (
        f"{score['framework_id']} {score['framework_version']}（sha256 {score['framework_digest']}）"
        if score
        else data.framework.label
    )
    documents = []
    for kind in KINDS:
        version = _latest(data, consortium_id, data.year, kind)
        if version is None:
            documents.append({"kind": kind_label(kind), "missing": True})
            continue
        values = data.values.get(version["version_id"], {})
        personal = _personal(values)
        sections: dict[str, list[dict]] = {}
        for spec in catalogue.for_kind(kind):
            if spec.code in _PROVENANCE_FIELDS:
                continue
            shown, status = _display(spec, values.get(spec.code))
            if spec.code in PERSONAL_FIELDS:
                shown = str(mask_value(spec.code, shown)) if shown else shown
            elif spec.type == "text":
                shown = _masked(shown, personal)
            note = getattr(values.get(spec.code), "note", None)
            sections.setdefault(spec.section, []).append(
                {
                    "code": spec.code,
                    "label": spec.label_zh,
                    "value": shown,
                    "status": status,
                    "numeric": spec.is_numeric and not status,
                    "wide": spec.type == "text" and len(shown) > 24,
                    "note": _masked(note, personal) if note else "",
                }
            )
        documents.append(
            {
                "kind": kind_label(kind),
                "missing": False,
                # Every submitted value; the fields left empty are named in one line per section, not a row each.
                "sections": [
                    {
                        "name": section_label(name),
                        "rows": paired([f for f in fields if f["status"] != NOT_FILLED]),
                        "empty": "、".join(f["label"] for f in fields if f["status"] == NOT_FILLED),
                    }
                    for name, fields in sections.items()
                ],
                "provenance": [
                    ("来源文件", version["source_file"]),
                    ("文件内容哈希（SHA-256）", version["sha256"]),
                    ("报送日期", _date(version["submitted_on"])),
                    ("版本", f"第 {int(version['version'])} 版"),
                    ("地市审核日期", _date(version["city_approved_on"]) or "未填写"),
                    (
                        "接收时间",
                        f"{beijing_time(version['ingested_at']):%Y-%m-%d %H:%M}"
                        if isinstance(version.get("ingested_at"), datetime)
                        else "",
                    ),
                    ("评价指标体系版本", framework),
                    ("生成程序版本", f"chanjiao {score['pipeline_version'] if score else __version__}"),
                ],
            }
        )
    return documents


def consortium_context(
    data: ProvinceYear, consortium_id: str, catalogue: Catalogue, revision: dict | None = None
) -> dict:
    """Everything one consortium's report shows, ready to print. ``revision`` is the 修订版 note of a version
    after the first (chanjiao.reporting.versions.revision_note)."""
    registry = data.registry.loc[consortium_id]
    score = next(row for row in data.scores if row["consortium_id"] == consortium_id)
    ranked = [row for row in data.scores]
    findings = data.findings[data.findings["consortium_id"] == consortium_id] if len(data.findings) else data.findings
    milestones = milestone_rows(data, consortium_id, catalogue)
    indicators = _indicator_section(data, consortium_id, catalogue)
    trend = _trend_section(data, consortium_id)
    title = f"{registry['name']} {data.year} 年度建设评价报告"
    documents = appendix(data, consortium_id, catalogue)
    shown = {anchor for anchor, _ in CONSORTIUM_CHAPTERS} - ({"trend"} if trend is None else set())
    toc, titles = table_of_contents(
        CONSORTIUM_CHAPTERS,
        shown,
        [("appendix", "附录　报送数据与来源")]
        + [(f"appendix-{n}", f"{n + 1}. {doc['kind']}") for n, doc in enumerate(documents)],
    )
    counts = {
        severity_label(s): int((findings["severity"] == s).sum()) if len(findings) else 0 for s in _SEVERITY_ORDER
    }
    return with_revision(
        {
            "document": {
                "title": title,
                "author": data.department,
                "lang": "zh-CN",
                "running": f"{registry['name']} · {data.year} 年度",
                "kind": "consortium",
            },
            "revision": None,
            "cover": {
                "title": "市域产教联合体年度建设评价报告",
                "year": data.year,
                "name": registry["name"],
                "id": consortium_id,
                "rows": [
                    ("联合体编号", consortium_id),
                    ("所在省份", data.province_name),
                    ("所在地市", registry["city"]),
                    ("依托产业园区", registry["dev_zone"]),
                    ("牵头学校", registry["lead_schools"]),
                    ("牵头企业", registry["lead_enterprises"]),
                    (
                        "认定批次",
                        f"{registry['recognized_year']} 年{level_label(registry['level'])}",
                    ),
                    ("评价年度", f"{data.year} 年"),
                    ("评价指标", f"{data.framework.name_zh}（{score['framework_id']} {score['framework_version']}）"),
                ],
                "department": data.department,
                "as_of": _date(data.as_of),
                "generated_at": _generated(data),
            },
            "headline": {
                "total": fmt_score(score["total"]),
                "grade": _badge(score["grade"], data.grades),
                "rank": score["rank"],
                "of": len(ranked),
                "plan": plan_text(score),
                "plan_completed": bool(score["plan_completed"]),
                "previous_plan": (
                    "—"
                    if score["previous_plan_completed"] is None
                    else "完成"
                    if score["previous_plan_completed"]
                    else "未完成"
                ),
                "adjustment": bool(score["adjustment"]),
                "shortlisted": bool(score["shortlisted"]),
                "ineligible_because": score["ineligible_because"],
                "note": score_note_label(score["note"]),
                "unmet": "、".join(catalogue.label(c) for c in score["plan_unmet"].split(";") if c),
                "pending": "、".join(catalogue.label(c) for c in score["plan_pending"].split(";") if c),
                "median": _or_dash(fmt_score(data.total_median)),
            },
            "indicators": indicators,
            "trend": trend,
            "milestones": {
                "rows": milestones,
                "chart": charts.milestone_chart(
                    [
                        charts.MilestoneMark(label=row["label"], due=row["due"], done=row["done"], status=row["status"])
                        for row in milestones
                    ],
                    year=data.year,
                    first_year=milestone_first_year(milestones, data.year),
                ),
            },
            "timeliness": _timeliness_rows(data, consortium_id),
            "findings": {"rows": finding_rows(findings, catalogue), "counts": counts},
            "cases": _cases(data, consortium_id, catalogue),
            "summary_filed": _latest(data, consortium_id, data.year, "summary") is not None,
            "appendix": documents,
            "sections": toc,
            "titles": titles,
            "footer": {"pipeline_version": __version__, "generated_at": _generated(data)},
        },
        revision,
    )


def with_revision(context: dict, revision: dict | None) -> dict:
    """``context`` as a 修订版 (revision) when ``revision`` is given: the note on the cover, and the mark in the
    document's title and running header. The rest of the context is the same (so it is built only once)."""
    if not revision:
        return context
    document = dict(context["document"])
    document["title"] += f"（修订版 第{revision['version']}版）"
    document["running"] += "（修订版）"
    return {**context, "document": document, "revision": revision}


def _jsonable(value: object) -> object:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (Decimal, Fraction)):
        return str(value)
    if is_missing(value):
        return None
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def consortium_attachment(data: ProvinceYear, consortium_id: str) -> bytes:
    """``scores.json`` embedded in the consortium's PDF: its total, indicators, points and findings as stored
    (findings' values are already masked where personal), so the archive carries its own data."""
    score = next(row for row in data.scores if row["consortium_id"] == consortium_id)
    findings = data.findings[data.findings["consortium_id"] == consortium_id] if len(data.findings) else data.findings
    finding_columns = [
        "kind",
        "version",
        "field",
        "rule",
        "severity",
        "veto",
        "message",
        "value",
        "explained",
        "explanation",
        "override_by",
        "override_at",
        "override_reason",
    ]
    # No as-of date or scoring time: the attachment says what was scored, so an unchanged report stays the
    # same file from night to night (the cover prints the as-of date of the version).
    document = {
        "consortium_id": consortium_id,
        "year": data.year,
        "province_code": data.province_code,
        "framework": {
            "id": score["framework_id"],
            "version": score["framework_version"],
            "digest": score["framework_digest"],
        },
        "score": {k: _jsonable(v) for k, v in score.items() if k not in ("as_of", "scored_at")},
        "indicators": [
            {k: _jsonable(v) for k, v in row.items()}
            for row in data.indicators
            if row["consortium_id"] == consortium_id
        ],
        "points": [
            {k: _jsonable(v) for k, v in row.items()} for row in data.points if row["consortium_id"] == consortium_id
        ],
        "findings": [{k: _jsonable(row.get(k)) for k in finding_columns} for row in findings.to_dict("records")],
    }
    return json.dumps(document, ensure_ascii=False, indent=1, sort_keys=False).encode("utf-8")


# --- per province ---------------------------------------------------------------------------------------------


def timeliness_bars(frame: pd.DataFrame) -> list[charts.TimelinessBar]:
    """The timeliness chart's stacked bars, one per kind. Segments must not overlap: a filed document the city
    has not approved is its own segment, not also counted as on time or late."""
    bars = []
    for kind in KINDS:
        mine = frame[frame["kind"] == kind]
        approved = mine["city_approved"].astype(bool)
        bars.append(
            charts.TimelinessBar(
                label=kind_label(kind),
                counts={
                    timeliness_label("on_time"): int(((mine["status"] == "on_time") & approved).sum()),
                    timeliness_label("late"): int(((mine["status"] == "late") & approved).sum()),
                    timeliness_label("missing"): int((mine["status"] == "missing").sum()),
                    timeliness_label("not_city_approved"): int((mine["version"].notna() & ~approved).sum()),
                    timeliness_label("not_yet_due"): int((mine["status"] == "not_yet_due").sum()),
                },
            )
        )
    return bars


def _timeliness_summary(data: ProvinceYear) -> dict:
    frame = data.timeliness
    rows = []
    for kind in KINDS:
        mine = frame[frame["kind"] == kind]
        counts = status_counts(mine)  # the same figures as the run summary
        rows.append(
            {
                "kind": kind_label(kind),
                "expected": len(mine),
                # the template reads these by their printed names
                **{timeliness_label(s): counts[s] for s in ("on_time", "late", "missing", "not_city_approved")},
                "not_yet_due": counts["not_yet_due"],
            }
        )
    problems = []
    for row in frame.sort_values(["consortium_id", "kind"]).to_dict("records"):
        approved = bool(row["city_approved"]) or is_missing(row["version"])
        if row["status"] in ("late", "missing") or not approved:
            what = timeliness_label(row["status"]) + (f" {int(row['days_late'])} 天" if row["status"] == "late" else "")
            if not approved:
                what += "；" + timeliness_label("not_city_approved")
            problems.append(
                {
                    "id": row["consortium_id"],
                    "name": row["name"],
                    "kind": kind_label(row["kind"]),
                    "due": _date(row["due_date"]),
                    "first": _date(row["first_submitted_on"]) or "—",
                    "what": what,
                }
            )
    return {"rows": rows, "chart": charts.timeliness_chart(timeliness_bars(frame)), "problems": problems}


def _quality_summary(data: ProvinceYear, catalogue: Catalogue) -> dict:
    findings = data.findings
    by_consortium = []
    names = {row["consortium_id"]: row["name"] for row in data.scores}
    for cid in sorted(names):
        mine = findings[findings["consortium_id"] == cid] if len(findings) else findings
        counts = {s: int((mine["severity"] == s).sum()) if len(mine) else 0 for s in _SEVERITY_ORDER}
        if any(counts.values()):
            by_consortium.append(
                {
                    "id": cid,
                    "name": names[cid],
                    **counts,
                    "open": int(
                        (
                            (mine["severity"] == "warning")
                            & ~mine["explained"].astype(bool)
                            & ~mine["veto"].astype(bool)
                        ).sum()
                    ),
                }
            )
    by_rule = []
    if len(findings):
        grouped = findings.groupby(["severity", "rule"], sort=False)
        for (severity, rule), rows in grouped:
            by_rule.append(
                {
                    "severity": severity,
                    "severity_zh": severity_label(severity),
                    "rule": rule,
                    "rule_zh": rule_family_label(rule),
                    "fields": "、".join(sorted({catalogue.label(f) for f in rows["field"]})),
                    "findings": len(rows),
                    "consortia": rows["consortium_id"].nunique(),
                    "explained": int(rows["explained"].astype(bool).sum()),
                }
            )
        by_rule.sort(key=lambda r: (_SEVERITY_ORDER[r["severity"]], -r["findings"], r["rule"]))
    totals = {
        severity_label(s): int((findings["severity"] == s).sum()) if len(findings) else 0 for s in _SEVERITY_ORDER
    }
    return {"totals": totals, "by_rule": by_rule, "by_consortium": by_consortium}


def alignment_rows(data: ProvinceYear) -> list[dict]:
    """For a province with an industry layout: each consortium's industries against its city's layout."""
    if not len(data.layout):
        return []
    names = {row.industry_code: row.industry_name for row in data.layout.itertuples(index=False)}
    rows = []
    for cid, consortium in data.registry.sort_index().iterrows():
        version = _latest(data, cid, data.year, "summary") or _latest(data, cid, data.year, "plan")
        submitted = getattr(
            (data.values.get(version["version_id"], {}) if version else {}).get("industry_codes"), "value", None
        )
        codes = [c for c in (submitted or consortium["industry_codes"] or "").split(";") if c]
        city = data.layout[data.layout["city"] == consortium["city"]]
        levels = {row.industry_code: row.level for row in city.itertuples(index=False)}
        industries = [
            {
                "code": c,
                "name": names.get(c, c),
                "in_layout": c in levels,
                "level": {"core": "核心", "key": "重点"}.get(levels.get(c, ""), levels.get(c, "")),
            }
            for c in codes
        ]
        rows.append(
            {
                "id": cid,
                "name": consortium["name"],
                "city": consortium["city"],
                "industries": industries,
                "source": "报送数据" if submitted else "认定名单",
                "aligned": bool(industries) and all(i["in_layout"] for i in industries),
                "city_layout": "、".join(names.get(c, c) for c in sorted(levels)),
            }
        )
    return rows


def province_context(
    data: ProvinceYear, catalogue: Catalogue, revision: dict | None = None, revisions: list[dict] | None = None
) -> dict:
    """Everything the province's report shows, ready to print. ``revisions`` lists the consortium reports
    published again after their first version (报告修订记录); ``revision`` is this report's own 修订版 note."""
    framework = data.framework
    ordered = sorted(data.scores, key=lambda r: (r["rank"], r["consortium_id"]))
    medians = data.medians
    by_indicator: dict[str, dict[str, float]] = {}
    for row in data.indicators:
        by_indicator.setdefault(row["consortium_id"], {})[row["indicator"]] = row["score"]
    grade_counts = [
        {
            "grade": _badge(grade, data.grades),
            "min": fmt_score(minimum, 0),
            "count": sum(1 for r in ordered if r["grade"] == grade),
        }
        for minimum, grade in data.grades
    ]
    eligible_grade = [r for r in ordered if r["grade"] == framework.shortlist_grade]
    registry = data.registry
    alignment = alignment_rows(data)
    revisions = list(revisions or [])
    shown = (
        {anchor for anchor, _ in PROVINCE_CHAPTERS}
        - (set() if alignment else {"alignment"})
        - (set() if revisions else {"revisions"})
    )
    toc, titles = table_of_contents(PROVINCE_CHAPTERS, shown, [("framework", "附录　评价指标体系")])
    return with_revision(
        {
            "sections": toc,
            "titles": titles,
            "document": {
                "title": f"{data.province_name} {data.year} 年度市域产教联合体建设评价报告",
                "author": data.department,
                "lang": "zh-CN",
                "running": f"{data.province_name} · {data.year} 年度",
                "kind": "province",
            },
            "revision": None,
            "revisions": revisions,
            "cover": {
                "title": "市域产教联合体年度建设评价报告（全省汇总）",
                "year": data.year,
                "name": data.province_name,
                "rows": [
                    ("省份", data.province_name),
                    ("评价年度", f"{data.year} 年"),
                    ("参评联合体", f"{len(ordered)} 个"),
                    ("评价指标", f"{framework.name_zh}（{framework.id} {framework.version}）"),
                ],
                "department": data.department,
                "as_of": _date(data.as_of),
                "generated_at": _generated(data),
            },
            "indicator_heads": [{"code": i.code, "name": i.name_zh} for i in framework.indicators],
            "ranking": [
                {
                    "rank": r["rank"],
                    "id": r["consortium_id"],
                    "name": r["name"],
                    "city": registry.loc[r["consortium_id"], "city"] if r["consortium_id"] in registry.index else "",
                    "total": fmt_score(r["total"]),
                    "grade": _badge(r["grade"], data.grades),
                    "plan": plan_text(r),
                    "plan_completed": bool(r["plan_completed"]),
                    "adjustment": bool(r["adjustment"]),
                    "shortlisted": bool(r["shortlisted"]),
                    "note": score_note_label(r["note"]),
                    "indicators": [
                        fmt_score(by_indicator[r["consortium_id"]][i.code], 1)
                        if i.code in by_indicator.get(r["consortium_id"], {})
                        else "—"
                        for i in framework.indicators
                    ],
                }
                for r in ordered
            ],
            "medians": [_or_dash(fmt_score(medians[i.code], 1)) for i in framework.indicators],
            "total_median": _or_dash(fmt_score(data.total_median)),
            "grades": grade_counts,
            "distribution": charts.distribution_chart([r["total"] for r in ordered if not r["note"]], data.grades),
            "timeliness": _timeliness_summary(data),
            "quality": _quality_summary(data, catalogue),
            "adjustment": [
                {
                    "id": r["consortium_id"],
                    "name": r["name"],
                    "plan": plan_text(r),
                    "unmet": "、".join(catalogue.label(c) for c in r["plan_unmet"].split(";") if c),
                }
                for r in ordered
                if r["adjustment"]
            ],
            "shortlist": {
                "rule": (
                    f"{level_label(framework.shortlist_level)}联合体中评价等级为"
                    f"“{framework.shortlist_grade}”、本年度工作计划完成、近3年无重大违法违规事件、年度工作总结按时报送"
                    f"并经地市审核者，按总分取前 {framework.shortlist_top} 名（并列者一并列入）"
                ),
                "chosen": [
                    {"rank": r["rank"], "id": r["consortium_id"], "name": r["name"], "total": fmt_score(r["total"])}
                    for r in ordered
                    if r["shortlisted"]
                ],
                "excluded": [
                    {
                        "id": r["consortium_id"],
                        "name": r["name"],
                        "total": fmt_score(r["total"]),
                        "why": r["ineligible_because"] or "名次在推荐名额之外",
                    }
                    for r in eligible_grade
                    if not r["shortlisted"]
                ],
            },
            "alignment": alignment,
            "framework": {
                "label": f"{framework.id} {framework.version}，文件摘要 sha256 {framework.digest}",
                "name": framework.name_zh,
                "indicators": [
                    {
                        "code": i.code,
                        "name": i.name_zh,
                        "weight": "扣分项" if i.code in framework.deduction_codes else fmt_score(i.weight, 0),
                        "points": len(i.points),
                    }
                    for i in framework.indicators
                ],
            },
            "footer": {"pipeline_version": __version__, "generated_at": _generated(data)},
        },
        revision,
    )


def province_attachments(data: ProvinceYear) -> list[tuple[str, bytes, str]]:
    """The CSVs embedded in ``province.pdf``: (file name, bytes, description) — the same bytes as the exports."""
    return [
        (
            "scores.csv",
            table_csv(scores_table(data.framework, data.scores, data.indicators)),
            f"{data.province_name} {data.year} 年度总分、等级、排名与各指标得分",
        ),
        ("points.csv", table_csv(points_table(data.framework, data.points)), "各联合体各评分点得分"),
        ("findings.csv", findings_csv(data.findings), "各联合体最新版本的数据质量问题（个人信息已脱敏）"),
    ]


def report_filename(consortium_id: str) -> str:
    return f"{consortium_id}.pdf"


__all__ = [
    "ProvinceYear",
    "consortium_context",
    "province_context",
    "consortium_attachment",
    "province_attachments",
    "with_revision",
    "milestone_rows",
    "finding_rows",
    "appendix",
    "alignment_rows",
    "indicator_medians",
    "table_of_contents",
]
