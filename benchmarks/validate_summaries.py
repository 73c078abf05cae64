"""How long data quality takes for a year of 1,500 summaries (and their plans), and what is paid once.

Builds 1,500 seeded summaries and 1,500 plans (about 1 in 10 with one injected fault), then times each
stage: importing GE, building the context and suites (once per process), building the frame with its
derived columns, and validating — twice, to show the second validation pays neither import nor build.
Run: ``.venv/bin/python benchmarks/validate_summaries.py [--summaries N]``.
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

log = logging.getLogger("benchmarks.validate_summaries")
FAULTS = [
    ("co_majors", "十二"),
    ("employment_rate_pct", "105"),
    ("patents", "99"),
    ("secretariat_staff_total", "13"),
    ("integrity_pledge", "否"),
    ("case_2_title", "只有标题"),
    ("employment_rate_pct", "45"),
]


def build_cases(n: int, seed: int = 20251215) -> tuple[dict, dict]:
    """n summaries and n plans for n synthetic consortia, with previous-year summaries for yoy."""
    from builders import clean_plan, clean_summary

    rng = random.Random(seed)
    cases, previous = {}, {}
    for i in range(n):
        cid = "SX-2024-01"  # one registered id; the frame does not care that they repeat
        changes = {"apprentices": str(rng.randint(80, 120)), "co_courses": str(rng.randint(10, 30))}
        if rng.random() < 0.1:
            code, value = rng.choice(FAULTS)
            changes[code] = value
        cases[f"summary-{i}"] = (clean_summary(consortium_id=cid, **changes), {})
        cases[f"plan-{i}"] = (clean_plan(consortium_id=cid), {})
    previous["SX-2024-01"] = clean_summary(year=2024, apprentices="100")
    return cases, previous


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--summaries", type=int, default=1500)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    log.setLevel(logging.INFO)

    start = time.perf_counter()
    import great_expectations  # noqa: F401

    imported = time.perf_counter() - start

    import pandas as pd
    from builders import stored

    from chanjiao.quality import checks as q
    from chanjiao.reference.catalogue import load_catalogue
    from chanjiao.reference.registry import load_reference
    from expectations.suite import validator_for

    catalogue = load_catalogue()
    reference = load_reference(ROOT / "sample" / "registry.csv")
    cases, previous = build_cases(args.summaries)

    start = time.perf_counter()
    validator = validator_for(catalogue)
    built = time.perf_counter() - start
    start = time.perf_counter()
    assert validator_for(catalogue) is validator
    rebuilt = time.perf_counter() - start

    values = {i + 1: stored(*case) for i, case in enumerate(cases.values())}
    versions = pd.DataFrame(
        [
            {"version_id": i, "consortium_id": "SX-2024-01", "year": 2025, "kind": v["kind"].value, "version": 1}
            for i, v in values.items()
        ]
    )
    start = time.perf_counter()
    context = q.QualityContext(
        registry=reference.registry,
        layout=reference.layout,
        previous={c: q.usable_previous(catalogue, stored(f)) for c, f in previous.items()},
    )
    frame = q.derive_columns(q.submission_frame(versions, values, catalogue), catalogue, context)
    framed = time.perf_counter() - start

    timings = []
    for _ in range(2):
        start = time.perf_counter()
        findings = validator.validate(frame)
        timings.append(time.perf_counter() - start)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    log.info(
        "data quality for %d summaries + %d plans (%d columns, %d rules)",
        args.summaries,
        args.summaries,
        frame.shape[1],
        len(validator.rules),
    )
    log.info("  import great_expectations        %6.2f s  (once per process)", imported)
    log.info(
        "  context + suites                 %6.2f s  (once per process; a second call took %.4f s)", built, rebuilt
    )
    log.info("  frame + derived columns          %6.2f s", framed)
    log.info("  validate (first)                 %6.2f s", timings[0])
    log.info("  validate (again)                 %6.2f s", timings[1])
    log.info(
        "  findings                         %6d  (%s)",
        len(findings),
        ", ".join(f"{k} {v}" for k, v in findings["severity"].value_counts().items()),
    )
    log.info("  peak RSS                         %6.0f MB", peak)


if __name__ == "__main__":
    main()
