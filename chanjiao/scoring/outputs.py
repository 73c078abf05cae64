"""What the scores become: warehouse rows, ``scores.csv`` / ``points.csv`` frames and the ranking in
Markdown (the Prefect artifact). Pure: records in, records or text out."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pandas as pd

from chanjiao.reference.formatting import fmt_score, round_half_up
from chanjiao.reference.frameworks import Framework
from chanjiao.reference.labels import labels, score_note_label
from chanjiao.scoring.scores import YearScores


def _signed(framework: Framework, indicator_code: str, score: Fraction) -> Fraction:
    """Deductions are shown as points off (negative): every other column is a 0–100 score."""
    return -score if indicator_code in framework.deduction_codes and score else score


def storage_records(scores: YearScores, as_of: date) -> tuple[list[dict], list[dict], list[dict]]:
    """The rows ``Warehouse.save_scores`` stores: totals (with the framework and versions), indicators,
    points. Exact values are kept as text beside the floats, so nothing about a number is lost."""
    framework = scores.framework
    plan = scores.plan.set_index("consortium_id")
    versions = scores.versions.set_index("consortium_id")
    consortia = []
    for row in scores.consortia.itertuples(index=False):
        mine = plan.loc[row.consortium_id]
        version = versions.loc[row.consortium_id]
        consortia.append(
            {
                "consortium_id": row.consortium_id,
                "name": row.name,
                "framework_id": framework.id,
                "framework_version": framework.version,
                "framework_digest": framework.digest,
                "summary_version_id": None
                if pd.isna(version["summary_version_id"])
                else int(version["summary_version_id"]),
                "plan_version_id": None if pd.isna(version["plan_version_id"]) else int(version["plan_version_id"]),
                "weighted": float(row.weighted),
                "deductions": float(row.deductions),
                "exact_total": str(row.exact_total),
                "total": float(row.total),
                "grade": row.grade,
                "rank": int(row.rank),
                "note": row.note,
                "plan_completed": bool(row.plan_completed),
                "plan_targets": int(mine["targets"]),
                "plan_targets_met": int(mine["targets_met"]),
                "plan_milestones_planned": int(mine["milestones_planned"]),
                "plan_milestones_achieved": int(mine["milestones_achieved"]),
                "plan_unmet": ";".join(mine["unmet"]),
                "plan_pending": ";".join(mine["pending"]),
                "plan_reason": mine["reason"],
                "previous_plan_completed": None
                if pd.isna(row.previous_plan_completed)
                else bool(row.previous_plan_completed),
                "adjustment": bool(row.adjustment),
                "shortlist_eligible": bool(row.eligible),
                "shortlisted": bool(row.shortlisted),
                "ineligible_because": row.ineligible_because,
                "as_of": as_of,
            }
        )
    names = {i.code: i.name_zh for i in framework.indicators}
    indicators = [
        {
            "consortium_id": r.consortium_id,
            "indicator": r.indicator,
            "name_zh": names[r.indicator],
            "weight": float(r.weight),
            "score": float(_signed(framework, r.indicator, r.score)),
            "no_data": bool(r.no_data),
        }
        for r in scores.indicators.itertuples(index=False)
    ]
    points_by_code = {p.code: p for _, p in framework.points}
    points = [
        {
            "consortium_id": r.consortium_id,
            "point": r.point,
            "indicator": r.indicator,
            "name_zh": points_by_code[r.point].name_zh,
            "method": r.method,
            "inputs": points_by_code[r.point].inputs,
            "score": float(_signed(framework, r.indicator, r.score)),
            "exact": str(_signed(framework, r.indicator, r.score)),
            "no_data": bool(r.no_data),
            "basis": r.basis,
            "detail": r.detail,
        }
        for r in scores.points.itertuples(index=False)
    ]
    return consortia, indicators, points


def scores_table(framework: Framework, consortia: list[dict], indicators: list[dict]) -> pd.DataFrame:
    """``scores.csv``'s frame from stored rows: one row per consortium, best first, one column per indicator
    (scores to two decimals; a deduction as points off, negative), then ``note`` ("no summary")."""
    by_indicator: dict[str, dict[str, float]] = {}
    for row in indicators:
        by_indicator.setdefault(row["consortium_id"], {})[row["indicator"]] = row["score"]
    rows = []
    for row in sorted(consortia, key=lambda r: (r["rank"], r["consortium_id"])):
        rows.append(
            {
                "consortium_id": row["consortium_id"],
                "name": row["name"],
                "framework": row["framework_id"],
                "total": round_half_up(row["total"], 1),
                "grade": row["grade"],
                "rank": row["rank"],
                "plan_completed": row["plan_completed"],
                "adjustment": row["adjustment"],
                "shortlisted": row["shortlisted"],
                **{
                    i.code: round_half_up(by_indicator.get(row["consortium_id"], {}).get(i.code, 0.0), 2)
                    for i in framework.indicators
                },
                "note": row["note"],
            }
        )
    return pd.DataFrame(rows, columns=[*SCORES_COLUMNS, *(i.code for i in framework.indicators), "note"])


def points_table(framework: Framework, points: list[dict]) -> pd.DataFrame:
    """``points.csv``'s frame: one row per consortium × point, in the framework's order."""
    order = {p.code: n for n, (_, p) in enumerate(framework.points)}
    rows = sorted(points, key=lambda r: (r["consortium_id"], order.get(r["point"], len(order))))
    return pd.DataFrame(
        [
            {
                "consortium_id": r["consortium_id"],
                "indicator": r["indicator"],
                "point": r["point"],
                "score": round_half_up(r["score"], 2),
                "no_data": r["no_data"],
            }
            for r in rows
        ],
        columns=list(POINTS_CSV_COLUMNS),
    )


SCORES_COLUMNS = (
    "consortium_id",
    "name",
    "framework",
    "total",
    "grade",
    "rank",
    "plan_completed",
    "adjustment",
    "shortlisted",
)
POINTS_CSV_COLUMNS = ("consortium_id", "indicator", "point", "score", "no_data")


def _yes(flag: object) -> str:
    return "是" if flag else "否"


def ranking_markdown(framework: Framework, consortia: list[dict], *, year: int, province: str, as_of: date) -> str:
    """The province's ranking for reviewers (the Prefect artifact): total, grade, plan, adjustment,
    shortlist, and why a consortium was not eligible for the shortlist. No personal data."""
    ordered = sorted(consortia, key=lambda r: (r["rank"], r["consortium_id"]))
    lines = [
        f"# {province} {year} 年度市域产教联合体评分排名",
        "",
        f"评价指标：{framework.name_zh}（{framework.label}）；数据截至 {as_of.isoformat()}。",
        "",
        "| 排名 | 编号 | 联合体 | 总分 | 等级 | 年度计划 | 予以调整 | 推荐国家级 | 说明 |",
        "|---:|---|---|---:|---|---|---|---|---|",
    ]
    for row in ordered:
        plan = (
            f"完成（{row['plan_targets_met']}/{row['plan_targets']}）"
            if row["plan_completed"]
            else labels("score_note").get(
                row["plan_reason"], f"未完成（{row['plan_targets_met']}/{row['plan_targets']}）"
            )
        )
        note = score_note_label(row["note"]) or row["ineligible_because"]
        cells = [
            str(row["rank"]),
            row["consortium_id"],
            row["name"],
            fmt_score(row["total"]),
            row["grade"],
            plan,
            _yes(row["adjustment"]),
            _yes(row["shortlisted"]),
            note,
        ]
        lines.append("| " + " | ".join(c.replace("|", "／") for c in cells) + " |")
    shortlisted = [r["name"] for r in ordered if r["shortlisted"]]
    adjusted = [r["name"] for r in ordered if r["adjustment"]]
    lines += [
        "",
        f"**推荐国家级候选（前 {framework.shortlist_top} 名，并列者一并列入）：**"
        f"{'、'.join(shortlisted) if shortlisted else '无'}",
        "",
        f"**连续两年未完成年度计划、予以调整：**{'、'.join(adjusted) if adjusted else '无'}",
        "",
    ]
    return "\n".join(lines)


def scoring_summary(framework: Framework, consortia: list[dict]) -> dict:
    """A province's scores in a few figures (the run summary and the CLI): grades, shortlist, adjustment."""
    ordered = sorted(consortia, key=lambda r: (r["rank"], r["consortium_id"]))
    grades = {grade: sum(1 for r in ordered if r["grade"] == grade) for _, grade in framework.grades}
    return {
        "scored": len(ordered),
        "grades": {grade: n for grade, n in grades.items() if n},
        "top": [(r["consortium_id"], fmt_score(r["total"]), r["grade"]) for r in ordered[:3]],
        "shortlisted": [r["consortium_id"] for r in ordered if r["shortlisted"]],
        "adjustment": [r["consortium_id"] for r in ordered if r["adjustment"]],
        "no_summary": [r["consortium_id"] for r in ordered if r["note"]],
    }
