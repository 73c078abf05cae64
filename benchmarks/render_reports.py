"""How long the PDF reports take: a consortium report, a provincial report of 50, pages per second.

Builds a province of 50 consortia from the bundled sample (each Hunan consortium's accepted files cloned under
new ids, so every report has the sample's full content: findings, milestones, cases, a two-year trend), runs
the pipeline on it as an operator would (``chanjiao run``: 2024 data only, then 2025 with PDFs), and re-renders
the HTML the run kept beside each PDF:

* one by one in this process (after a warm-up): seconds per consortium report and for the provincial report;
* all together through ``render_batch`` (the run's process pool, one worker per CPU): wall time, pages/s.

Targets on the 2-core reference machine: ≤ 0.8 s for a typical consortium report, ≤ 3 s for the provincial
report of a province of 50. Run: ``.venv/bin/python benchmarks/render_reports.py [--consortia 50]``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

log = logging.getLogger("benchmarks.render_reports")


def build_province(sample: Path, out: Path, consortia: int) -> list[str]:
    """``out/registry.csv`` and ``out/inbox``: the sample plus clones of its Hunan consortia up to ``consortia``
    in province 43. Returns the clone ids."""
    import csv

    from chanjiao.generated.clones import clone_file

    manifest = json.loads((sample / "manifest.json").read_text(encoding="utf-8"))
    shutil.copytree(sample / "inbox", out / "inbox")
    shutil.copy(sample / "extensions.csv", out / "extensions.csv")
    with open(sample / "registry.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    hunan = [r for r in rows if r["province_code"] == "43" and r["status"] in ("", "active")]
    files = [f for f in manifest["files"] if f["expected"] == "accepted"]
    clones, n = [], 0
    while len(hunan) + len(clones) < consortia:
        source = hunan[n % len(hunan)]
        n += 1
        clone = {
            **source,
            "consortium_id": f"HN-B{n:03d}",
            "name": source["name"].replace("市域产教联合体", f"第{n}市域产教联合体"),
        }
        swaps = {source["consortium_id"]: clone["consortium_id"], source["name"]: clone["name"]}
        for f in (f for f in files if f["consortium_id"] == source["consortium_id"]):
            path = sample / "inbox" / f["file"]
            clone_file(
                path,
                out / "inbox" / f["file"].split("/")[0] / f"{clone['consortium_id']}-{path.name}",
                f["format"],
                f["encoding"],
                swaps,
            )
        clones.append(clone)
    with open(out / "registry.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows + clones)
    return [c["consortium_id"] for c in clones]


def run_pipeline(out: Path, year: int, *extra: str) -> float:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env["PREFECT_HOME"] = str(out / "prefect-home")
    command = [
        str(ROOT / ".venv" / "bin" / "chanjiao"),
        "run",
        "--year",
        str(year),
        "--inbox",
        str(out / "inbox"),
        "--registry",
        str(out / "registry.csv"),
        "--warehouse",
        str(out / "warehouse"),
        "--as-of",
        "2026-01-31",
        *extra,
    ]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    if done.returncode:
        raise SystemExit(f"chanjiao run failed:\n{done.stdout}\n{done.stderr}")
    for line in done.stdout.splitlines():
        if "PDF reports" in line or "scores 43" in line:
            log.info("   %s", line.strip())
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--consortia", type=int, default=50, help="consortia in the province (default 50)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    log.setLevel(logging.INFO)

    from chanjiao.reporting.pdf import PdfJob, harfbuzz_subset_available, render_batch, render_pdf

    with tempfile.TemporaryDirectory(prefix="render-bench-") as tmp:
        out = Path(tmp)
        build_province(ROOT / "sample", out, args.consortia)
        log.info("province 43 with %d consortia (the sample's Hunan consortia and clones of them)", args.consortia)
        data_only = run_pipeline(out, 2024, "--no-pdf", "--province", "43")
        with_pdfs = run_pipeline(out, 2025, "--province", "43")
        log.info("  chanjiao run 2024 (data only):                 %6.1f s", data_only)
        log.info("  chanjiao run 2025 (with every PDF and receipt): %6.1f s", with_pdfs)

        folder = out / "warehouse" / "reports" / "2025" / "43"
        pages_of = {}
        html = {p: p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.html"))}
        province = folder / "province.html"
        consortium = [p for p in html if p != province]
        scratch = out / "rerender"

        def job(path: Path) -> PdfJob:
            return PdfJob(
                html=html[path],
                target=scratch / path.with_suffix(".pdf").name,
                title=path.stem,
                author="湖南省教育厅",
                keep_html=False,
            )

        render_pdf(job(consortium[0]))  # warm-up: fonts, first subsetting
        times = []
        for path in consortium:
            result = render_pdf(job(path))
            times.append(result.seconds)
            pages_of[path] = result.pages
        result = render_pdf(job(province))
        province_seconds, province_pages = result.seconds, result.pages

        start = time.perf_counter()
        batch = render_batch([job(p) for p in html])
        pool_wall = time.perf_counter() - start
        pool_pages = sum(r.pages for r in batch)

    pages = [pages_of[p] for p in consortium]
    per_page = sum(times) / sum(pages)
    log.info(
        "  HarfBuzz subsetting: %s; CPUs: %d",
        "yes" if harfbuzz_subset_available() else "NO (slow)",
        len(os.sched_getaffinity(0)),
    )
    log.info(
        "  consortium report (one process, %d reports): median %.2f s, mean %.2f s, p90 %.2f s, "
        "max %.2f s; %d–%d pages (median %d)",
        len(times),
        statistics.median(times),
        statistics.mean(times),
        sorted(times)[int(0.9 * (len(times) - 1))],
        max(times),
        min(pages),
        max(pages),
        statistics.median(pages),
    )
    log.info("  provincial report of %d consortia: %.2f s, %d pages", args.consortia, province_seconds, province_pages)
    log.info("  one process: %.1f pages/s (%.3f s per page)", 1 / per_page, per_page)
    log.info(
        "  process pool (%d PDFs, %d pages): %.1f s wall, %.1f pages/s, %.2f s per report",
        len(batch),
        pool_pages,
        pool_wall,
        pool_pages / pool_wall,
        pool_wall / len(batch),
    )
    log.info("  peak memory (this process): %.0f MB", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


if __name__ == "__main__":
    main()
