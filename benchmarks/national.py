"""How long a national year takes: 31 provinces × 50 consortia, from the inbox to every PDF, against WeasyPrint alone.

Generates a national inbox from the bundled sample (``chanjiao.generated.national.generate_national``: every
consortium a clone of a sample consortium, with two years of files, findings, milestones and cases), then
runs the pipeline as an operator would, on a fresh warehouse, calling the flow in this process with a
temporary Prefect server (as ``chanjiao run`` does):

1. ``run --year 2024 --no-pdf`` — last year's data, for the history (timed, not part of the measure);
2. ``run --year 2025`` with every PDF — **the measured full run** (ingest, validation, scoring, building the
   HTML, rendering: the stage times the flow reports, else wall time);
3. ``run --year 2025`` again with nothing changed — must re-render nothing;
4. the baseline, "WeasyPrint alone": every PDF the full run wrote re-rendered from the HTML kept beside it
   (reports and receipts) through ``chanjiao.reporting.pdf.render_batch`` (the run's process pool, one worker per
   CPU) into scratch files. Overhead = full run / baseline.

Targets at 31 × 50 on the 2-core reference machine: full run ≤ 15 min, no-change run ≤ 30 s, overhead ≤ 1.25.
The full size takes ~20 min; try ``--provinces 2 --per-province 5`` first.
Run: ``.venv/bin/python benchmarks/national.py [--provinces 31] [--per-province 50] [--workdir DIR] [--keep]``.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import resource
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

AS_OF = date(2026, 1, 31)  # every 2025 deadline has passed, as in benchmarks/render_reports.py
MARKER = ".national-benchmark"  # a warehouse this script made (and may remove)
TARGET_FULL, TARGET_NO_CHANGE, TARGET_OVERHEAD = 15 * 60, 30.0, 1.25
STAGES = ("ingest", "validate", "score", "build", "render")


def _verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def _fresh_warehouse(path: Path) -> None:
    if path.exists():
        if not (path / MARKER).exists():
            raise SystemExit(f"{path} exists and was not made by this benchmark: not removing it")
        shutil.rmtree(path)
    path.mkdir(parents=True)
    (path / MARKER).write_text("made by benchmarks/national.py\n", encoding="utf-8")


def _pdfs(warehouse: Path) -> dict[Path, tuple[int, int]]:
    """Every PDF of the reports and receipts folders with its (mtime, size)."""
    found = {}
    for folder in (warehouse / "reports", warehouse / "receipts"):
        for path in folder.rglob("*.pdf") if folder.exists() else ():
            stat = path.stat()
            found[path] = (stat.st_mtime_ns, stat.st_size)
    return found


class Runner:
    """The flow, called in this process the way ``chanjiao run`` calls it."""

    def __init__(self, data: Path, warehouse: Path) -> None:
        self.data, self.warehouse = data, warehouse

    def run(self, year: int, *, pdf: bool) -> tuple[dict, float]:
        import os

        from flows.annual_compliance import annual_compliance

        # Its own SQLite warehouse, whatever database the environment names (never a production one).
        os.environ["CHANJIAO_DATABASE_URL"] = f"sqlite:///{(self.warehouse / 'warehouse.db').resolve()}"
        os.environ.pop("CHANJIAO_DATABASE_SECRET", None)
        start = time.perf_counter()
        result = annual_compliance(
            year=year,
            as_of=AS_OF,
            pdf=pdf,
            force=False,
            inbox_dir=str(self.data / "inbox"),
            registry_file=str(self.data / "registry.csv"),
            extensions_file=str(self.data / "extensions.csv"),
            warehouse_dir=str(self.warehouse),
        )
        wall = time.perf_counter() - start
        if "years" in result:  # one year was asked for; be safe anyway
            result = next(r for r in result["years"] if r.get("year") == year)
        return result, wall


def _stage_line(result: dict, wall: float) -> str:
    timings = result.get("timings") or {}
    parts = [f"{stage} {timings[stage]:.1f} s" for stage in STAGES if stage in timings]
    total = timings.get("total", wall)
    return (
        ", ".join(parts) + "; " if parts else "(no stage times from the flow) "
    ) + f"total {total:.1f} s (wall {wall:.1f} s)"


def _run_summary(result: dict) -> str:
    grades: dict[str, int] = {}
    for summary in (result.get("scores") or {}).values():
        for grade, n in summary.get("grades", {}).items():
            grades[grade] = grades.get(grade, 0) + n
    findings = result.get("findings") or {}
    return (
        f"{result.get('files_seen', '?')} files ({result.get('accepted', '?')} accepted, "
        f"{result.get('unchanged', '?')} unchanged, {len(result.get('rejected') or [])} rejected); "
        f"{len(result.get('provinces') or {})} provinces; findings {findings.get('fatal', 0)} fatal / "
        f"{findings.get('warning', 0)} warning / {findings.get('info', 0)} info; "
        + ", ".join(f"{g} {n}" for g, n in grades.items())
    )


def _departments() -> dict[str, str]:
    from chanjiao.reference.catalogue import data_text

    return {row["province_code"]: row["department"] for row in csv.DictReader(io.StringIO(data_text("provinces.csv")))}


def _baseline_jobs(written: list[Path], warehouse: Path, scratch: Path, province_of: dict[str, str]) -> list:
    """One job per PDF the full run wrote, from the HTML beside it, to a scratch target."""
    from chanjiao.reporting.pdf import PdfJob

    departments = _departments()
    jobs = []
    for pdf in sorted(written):
        source = pdf.with_suffix(".html")
        if not source.exists():
            continue
        relative = pdf.relative_to(warehouse)
        if relative.parts[0] == "reports" and len(relative.parts) > 3:  # reports/<year>/<province>/…
            province = relative.parts[2]
        else:  # receipts/<year>/<id>-<kind>-v<N>
            province = province_of.get(pdf.stem.rsplit("-", 2)[0], "")
        jobs.append(
            PdfJob(
                html=source.read_text(encoding="utf-8"),
                target=scratch / "__".join(relative.parts),
                title=pdf.stem,
                author=departments.get(province, "教育厅"),
                keep_html=False,
            )
        )
    return jobs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--provinces", type=int, default=31, help="provinces (default 31; 14 and 43 always)")
    parser.add_argument("--per-province", type=int, default=50, help="consortia per province (default 50)")
    parser.add_argument("--seed", type=int, default=20250101, help="generator seed (default 20250101)")
    parser.add_argument(
        "--workdir",
        type=Path,
        help="where the data and warehouse go (kept); default: a temporary folder, removed at the end unless --keep",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary work folder")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="with --workdir: keep the data and the warehouse of an earlier benchmark there (no "
        "generation, no 2024 run); the full run then renders what changed since — after "
        "a code change, every report, as its 修订版",
    )
    args = parser.parse_args()
    if args.reuse and args.workdir is None:
        parser.error("--reuse needs --workdir")

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="national-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    data, warehouse = workdir / "national", workdir / "warehouse"
    # A temporary Prefect server of our own (not the operator's API), its database in the work folder.
    for key in [k for k in os.environ if k.startswith("PREFECT_")]:
        del os.environ[key]
    os.environ["PREFECT_HOME"] = str(workdir / "prefect-home")
    from chanjiao.operations.cli import _quiet_prefect_environment, prefect_api

    _quiet_prefect_environment(False)
    try:
        _bench(args, data, warehouse, prefect_api)
    finally:
        if args.workdir is None and not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"work folder kept: {workdir}")


def _bench(args, data: Path, warehouse: Path, prefect_api) -> None:
    from chanjiao.generated.national import generate_national
    from chanjiao.reporting.pdf import harfbuzz_subset_available, render_batch

    cpus = len(os.sched_getaffinity(0))
    print(
        f"national benchmark: {args.provinces} provinces × {args.per_province} consortia; {cpus} CPUs; "
        f"HarfBuzz subsetting: {'yes' if harfbuzz_subset_available() else 'NO (slow)'}"
    )
    reuse = args.reuse and (warehouse / MARKER).exists() and (data / "national.json").exists()
    if reuse:
        import json

        manifest = json.loads((data / "national.json").read_text(encoding="utf-8"))
        print(f"  reusing {data} and {warehouse} ({len(manifest['consortia'])} consortia)")
    else:
        start = time.perf_counter()
        manifest = generate_national(data, provinces=args.provinces, per_province=args.per_province, seed=args.seed)
        generation = time.perf_counter() - start
        print(
            f"  generation:        {generation:7.1f} s  ({len(manifest['consortia'])} consortia, "
            f"{len(manifest['files'])} files → {data})"
        )
        _fresh_warehouse(warehouse)
    runner = Runner(data, warehouse)
    with prefect_api(warehouse):
        if not reuse:
            history, history_wall = runner.run(2024, pdf=False)
            print(f"  run 2024 --no-pdf: {history_wall:7.1f} s  (history; {_stage_line(history, history_wall)})")
            print(f"    {_run_summary(history)}")
            if history.get("rejected"):
                print(f"    UNEXPECTED rejections: {history['rejected'][:5]}")

        before = _pdfs(warehouse)
        full, full_wall = runner.run(2025, pdf=True)
        after = _pdfs(warehouse)
        pdfs = full.get("pdfs") or {}
        written = [Path(p) for p in pdfs.get("paths", [])] or [p for p, s in after.items() if before.get(p) != s]
        timings = full.get("timings") or {}
        full_total = timings.get("total", full_wall)
        print(
            f"  run 2025 (full):   {full_total:7.1f} s  target ≤ {TARGET_FULL:.0f} s "
            f"{_verdict(full_total <= TARGET_FULL)}"
        )
        for stage in STAGES:
            if stage in timings:
                print(f"    {stage:<9} {timings[stage]:7.1f} s")
        if not timings:
            print("    (the flow reports no stage times yet: wall time only)")
        print(f"    wall around the call {full_wall:.1f} s; {_run_summary(full)}")
        print(
            f"    PDFs: {pdfs.get('reports', '?')} reports + {pdfs.get('receipts', '?')} receipts, "
            f"{pdfs.get('pages', '?')} pages, rendered {pdfs.get('rendered', len(written))}, "
            f"skipped {pdfs.get('skipped', '?')}; {len(written)} PDF files written"
        )
        if pdfs.get("revised"):
            print(f"    of which revised after publication (修订版): {len(pdfs['revised'])} reports")

        again, again_wall = runner.run(2025, pdf=True)
        touched = [p for p, s in _pdfs(warehouse).items() if after.get(p) != s]
        again_pdfs = again.get("pdfs") or {}
        again_total = (again.get("timings") or {}).get("total", again_wall)
        rerendered = again_pdfs.get("rendered", len(touched))
        print(
            f"  run 2025 (again):  {again_total:7.1f} s  target ≤ {TARGET_NO_CHANGE:.0f} s "
            f"{_verdict(again_total <= TARGET_NO_CHANGE)}; re-rendered {rerendered} (must be 0: "
            f"{_verdict(rerendered == 0 and not touched)}), {len(touched)} PDF files touched, "
            f"skipped {again_pdfs.get('skipped', '?')}"
        )
        print(f"    {_stage_line(again, again_wall)}")

    scratch = warehouse.parent / "baseline"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir()
    jobs = _baseline_jobs(
        written, warehouse, scratch, {c["consortium_id"]: c["province_code"] for c in manifest["consortia"]}
    )
    start = time.perf_counter()
    results = render_batch(jobs)
    baseline = time.perf_counter() - start
    pages = sum(r.pages for r in results)
    shutil.rmtree(scratch, ignore_errors=True)
    print(
        f"  WeasyPrint alone:  {baseline:7.1f} s  ({len(jobs)} PDFs from their kept HTML, {pages} pages, "
        f"{pages / baseline if baseline else 0:.1f} pages/s, render_batch with {min(cpus, len(jobs))} workers)"
    )
    if len(jobs) != len(written):
        print(f"    {len(written) - len(jobs)} written PDFs have no HTML beside them: not in the baseline")
    overhead = full_total / baseline if baseline else float("inf")
    print(
        f"  overhead:          {overhead:7.2f}    target ≤ {TARGET_OVERHEAD} {_verdict(overhead <= TARGET_OVERHEAD)} "
        f"(full run {full_total:.1f} s / WeasyPrint alone {baseline:.1f} s)"
    )
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(
        f"  peak RSS:          {own:7.0f} MB this process (flow and tasks), {children:.0f} MB largest child "
        "(render workers, Prefect server)"
    )
    if (args.provinces, args.per_province) != (31, 50):
        print("  (targets are for 31 × 50; at this size they only show the run works end to end)")


if __name__ == "__main__":
    main()
