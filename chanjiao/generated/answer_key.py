"""The answer key (``manifest.json``): for every file, whether it must be accepted or rejected (and on which
field), the findings it must raise and the normalisations it exercises; then the missing, late and
not-city-approved documents, the extension, each consortium's plan completion, the violations and the
withdrawals — all worked out from the drawn documents, independently of the pipeline.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from chanjiao.generated.consortia import Consortium
from chanjiao.generated.dates import MILESTONES
from chanjiao.generated.documents import Draft
from chanjiao.generated.scenario import EXTENSION, NORMALISATIONS, YEARS


def manifest(draft: Draft) -> dict[str, Any]:
    """``manifest.json``: every file with its expected outcome, faults and normalisations; the missing, late
    and not-city-approved documents, the extension, plan completion, violations and withdrawals."""
    files = []
    for d in draft.docs:
        entry = {
            "file": f"{d.folder_year or d.year}/{d.filename}",
            "consortium_id": d.cid,
            "year": d.year,
            "kind": d.kind,
            "format": d.fmt,
            "encoding": d.encoding if d.fmt != "xlsx" else None,
            "expected": d.expected,
            "faults": sorted(d.faults, key=lambda f: (f["field"], f["rule"])),
            "normalisation": sorted(d.tags),
            "submitted_on": d.submitted_on.isoformat() if d.submitted_on else None,
        }
        if d.expected == "rejected":
            entry["rejected_field"] = d.rejected_field
        else:
            entry["version"] = d.version
        files.append(entry)
    files.sort(key=lambda e: e["file"])

    missing, late, not_approved, completion = [], [], [], []
    for c in draft.consortia:
        for year in YEARS:
            if not c.files_for(year):
                continue
            for kind in ("plan", "summary"):
                accepted = sorted(
                    draft.accepted(c.consortium_id, year, kind),
                    key=lambda d: (d.submitted_on, d.filename),
                )
                if not accepted:
                    missing.append({"consortium_id": c.consortium_id, "year": year, "kind": kind})
                    continue
                first, last = accepted[0], accepted[-1]
                due = draft.calendar.due(c, year, kind)
                days = (first.submitted_on - due).days
                if days > 0:
                    late.append(
                        {
                            "consortium_id": c.consortium_id,
                            "year": year,
                            "kind": kind,
                            "days_late": days,
                            "due_date": due.isoformat(),
                            "file": f"{year}/{first.filename}",
                        }
                    )
                if last.values.get("city_approved_on") is None:
                    not_approved.append(
                        {
                            "consortium_id": c.consortium_id,
                            "year": year,
                            "kind": kind,
                            "file": f"{year}/{last.filename}",
                        }
                    )
            completion.append(plan_completion(draft, c, year))
    violations = [
        {"consortium_id": d.cid, "year": d.year, "kind": d.kind, "violations_count": d.values["violations_count"]}
        for d in draft.docs
        if d.expected == "accepted" and d.values.get("violations_count")
    ]
    return {
        "seed": draft.seed,
        "files": files,
        "missing": missing,
        "late": late,
        "not_city_approved": not_approved,
        "extensions": [dict(EXTENSION)],
        "plan_completion": completion,
        "violations": violations,
        "withdrawn": [
            {"consortium_id": c.consortium_id, "status_year": c.status_year}
            for c in draft.consortia
            if c.status == "withdrawn"
        ],
        "normalisations": list(NORMALISATIONS),
    }


def plan_completion(draft: Draft, c: Consortium, year: int) -> dict[str, Any]:
    """docs/DOMAIN.md's default: ≥ 80 % of the plan's targets met and every milestone planned for the year done."""
    plan, summary = draft.latest(c.consortium_id, year, "plan"), draft.latest(c.consortium_id, year, "summary")
    entry: dict[str, Any] = {"consortium_id": c.consortium_id, "year": year}
    if plan is None or summary is None:
        return {**entry, "completed": False, "reason": "no plan" if plan is None else "no summary"}
    skip = draft.unusable(summary)
    targets = [
        f
        for f in draft.cat.for_kind("plan")
        if f.section[0] in "ABCDE" and f.is_numeric and plan.values.get(f.code) is not None
    ]
    met = sum(
        1
        for f in targets
        if f.code not in skip
        and summary.values.get(f.code) is not None
        and summary.values[f.code] >= plan.values[f.code]
    )
    planned = [
        code for code in MILESTONES if isinstance(plan.values.get(code), date) and plan.values[code].year == year
    ]
    achieved = [
        code for code in planned if summary.values.get(code) is not None and summary.values[code] <= date(year, 12, 31)
    ]
    completed = bool(targets) and met >= 0.8 * len(targets) and len(achieved) == len(planned)
    return {
        **entry,
        "completed": completed,
        "targets": len(targets),
        "targets_met": met,
        "milestones_planned": len(planned),
        "milestones_achieved": len(achieved),
    }
