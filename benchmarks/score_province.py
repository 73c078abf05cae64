"""How long scoring takes for one province of 1,500 consortia (two years of plans and summaries).

Builds seeded summaries and plans for 2024 and 2025 (values drawn at random, a few withheld as if a fatal
finding had hit them), then times each stage: turning stored values into cells, and scoring the year
(every point, peers, totals, plan completion for both years, adjustment, shortlist) — the work of the
``score-<year>-<province>`` task without the database. Run:
``.venv/bin/python benchmarks/score_province.py [--consortia N]``.
"""

from __future__ import annotations

import argparse
import logging
import random
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

log = logging.getLogger("benchmarks.score_province")


def build(n: int, seed: int = 20251231):
    """Versions, stored values and fatal findings for n consortia × (2024, 2025) × (plan, summary)."""
    import pandas as pd
    from builders import clean_plan, clean_summary, stored

    rng = random.Random(seed)
    versions, values, findings = [], {}, []
    for i in range(n):
        cid = f"HN-2024-{i:04d}"
        for year in (2024, 2025):
            for kind, make in (("plan", clean_plan), ("summary", clean_summary)):
                vid = len(versions) + 1
                changes = (
                    {
                        code: str(rng.randint(0, 200))
                        for code in (
                            "apprentices",
                            "co_training_bases",
                            "ent_teachers_hours",
                            "patents",
                            "staff_training_person_days",
                            "internship_person_months",
                        )
                    }
                    if kind == "summary"
                    else {}
                )
                versions.append({"version_id": vid, "consortium_id": cid, "year": year, "kind": kind})
                values[vid] = stored(make(consortium_id=cid, year=year, **changes))
                if rng.random() < 0.05:
                    findings.append(
                        {
                            "version_id": vid,
                            "field": "patents",
                            "rule": "max",
                            "severity": "fatal",
                            "involves": "patents",
                            "rule_id": "patents.max",
                        }
                    )
    registry = pd.DataFrame(
        {
            "name": [f"联合体{i}" for i in range(n)],
            "province_code": "43",
            "recognized_year": 2024,
            "level": "provincial",
        },
        index=[f"HN-2024-{i:04d}" for i in range(n)],
    )
    timeliness = pd.DataFrame({"consortium_id": registry.index, "status": "on_time", "city_approved": True})
    return pd.DataFrame(versions), values, pd.DataFrame(findings), registry, timeliness


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--consortia", type=int, default=1500)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    log.setLevel(logging.INFO)

    from chanjiao.reference.catalogue import data_text, load_catalogue
    from chanjiao.reference.frameworks import load_frameworks
    from chanjiao.reference.registry import parse_milestones
    from chanjiao.scoring.scores import input_cells, score_year

    catalogue, framework = load_catalogue(), load_frameworks()["hunan-2024"]
    milestones = parse_milestones(data_text("milestones.csv"))
    start = time.perf_counter()
    versions, values, findings, registry, timeliness = build(args.consortia)
    built = time.perf_counter() - start

    start = time.perf_counter()
    cells = input_cells(catalogue, versions, values, findings)
    celled = time.perf_counter() - start
    start = time.perf_counter()
    scores = score_year(framework, catalogue, registry, milestones, cells, timeliness, 2025, "43")
    scored = time.perf_counter() - start

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    log.info(
        "%d consortia, %d versions, %d cells, %d points scored",
        args.consortia,
        len(versions),
        len(cells),
        len(scores.points),
    )
    log.info("  build the inputs (not timed work):   %6.2f s", built)
    log.info("  stored values → cells:               %6.2f s", celled)
    log.info("  score the year (points … shortlist): %6.2f s", scored)
    log.info("  peak memory:                          %5.0f MB", peak)
    log.info(
        "  grades: %s; shortlisted %d",
        scores.consortia["grade"].value_counts().to_dict(),
        int(scores.consortia["shortlisted"].sum()),
    )


if __name__ == "__main__":
    main()
