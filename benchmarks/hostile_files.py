"""How fast, and in how little memory, hostile and broken files are rejected.

Each file is read in a fresh process so its peak RSS is its own. Targets (issue 2): every rejection
under 2 s and under 200 MB peak. Run: ``.venv/bin/python benchmarks/hostile_files.py``.
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

log = logging.getLogger("benchmarks.hostile_files")

CASES = {
    "zip bomb (512 MiB of zeros)": "zip_bomb_xlsx",
    "ratio bomb (30 MiB, 1000:1)": "ratio_bomb_xlsx",
    "lying zip bomb (48 MiB declared 1 KiB)": "lying_zip_bomb_xlsx",
    "5000 zip members": "many_members_xlsx",
    "billion laughs (entity expansion)": "billion_laughs_xlsx",
    "external entity (XXE file:///etc/passwd)": "external_entity_xlsx",
    "one row of 400,000 cells (memory)": "wide_row_xlsx",
    "150,000-cell row just under the XML cap (worst parsed)": "wide_row_under_cap_xlsx",
}


def measure_one(path: Path) -> dict:
    """In this (fresh) process: read the file and report the rejection, time and memory."""
    import openpyxl  # noqa: F401  - imported before the baseline so the baseline includes it

    from chanjiao.common.errors import RejectedFile
    from chanjiao.intake.readers import read_rows

    content = path.read_bytes()
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    try:
        read_rows(f"2025/{path.name}", content)
        reason = "ACCEPTED (not rejected!)"
    except RejectedFile as exc:
        reason = str(exc)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": seconds, "peak_mb": peak, "baseline_mb": baseline, "reason": reason}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--one", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        sys.stdout.write(json.dumps(measure_one(args.one)) + "\n")
        return 0

    import builders

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        rows = []
        for label, builder in CASES.items():
            path = Path(tmp) / f"{builder}.xlsx"
            path.write_bytes(getattr(builders, builder)())
            out = subprocess.run(
                [sys.executable, __file__, "--one", str(path)], capture_output=True, text=True, check=True
            )
            result = json.loads(out.stdout)
            ok = result["seconds"] < 2 and result["peak_mb"] < 200 and not result["reason"].startswith("ACCEPTED")
            failures += not ok
            rows.append((label, path.stat().st_size / 1024, result, ok))
    log.info("%-56s %9s %9s %10s %10s  %s", "file", "size KiB", "seconds", "peak MB", "+baseline", "verdict / reason")
    for label, size, result, ok in rows:
        log.info(
            "%-56s %9.0f %9.3f %10.1f %10.1f  %s %s",
            label,
            size,
            result["seconds"],
            result["peak_mb"],
            result["peak_mb"] - result["baseline_mb"],
            "ok  " if ok else "FAIL",
            result["reason"],
        )
    log.info("targets: each rejection < 2 s and < 200 MB peak RSS (whole process, Python and openpyxl included)")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
