"""Rendering a year's PDFs: the default process pool vs Dask workers (one thread each) started as separate
processes, as on worker machines.

On a copy of the bundled sample: one `chanjiao run --year 2025` (ingest, data, every PDF), then
`chanjiao run --year 2025 --force` (every report and receipt rendered again) once with the process pool and
once per Dask cluster size asked for (`dask scheduler` + `dask worker --nworkers N --nthreads 1`, each in its
own folder, without PYTHONPATH, with ``--preload flows.render`` unless ``--cold``: the workers render to bytes,
the run writes them). All runs report to one
Prefect server started here, as in production (a Dask worker reports to the first Prefect API it meets).
Prints, per configuration, the render stage's wall time, pages/s and the whole run's time.

Run: ``.venv/bin/python benchmarks/dask_render.py [--workers 2 4] [--repeat 1]``.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
RESULT = re.compile(
    r"PDF reports: (?P<reports>\d+) reports and (?P<receipts>\d+) receipts written \(PDF/A-3b, "
    r"(?P<pages>\d+) pages"
)
RENDER = re.compile(r"render (?P<render>[\d.]+) s, total (?P<total>[\d.]+) s")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def base_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "CHANJIAO_")) and k != "PYTHONPATH"}


def start(command: list[str], cwd: Path, env: dict[str, str], log: Path) -> subprocess.Popen:
    cwd.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        return subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, 15)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)


def prefect_server(home: Path) -> tuple[subprocess.Popen, str]:
    import urllib.request

    port = free_port()
    env = {
        **base_env(),
        "PREFECT_HOME": str(home),
        "PREFECT_UI_ENABLED": "false",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED": "false",
    }
    process = start(
        [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        home,
        env,
        home / "server.log",
    )
    url = f"http://127.0.0.1:{port}/api"
    for _ in range(240):
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2):
                return process, url
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"prefect server did not start: see {home / 'server.log'}")


def dask_cluster(root: Path, workers: int, env: dict[str, str], preload: bool) -> tuple[list[subprocess.Popen], str]:
    from distributed import Client

    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    scheduler = start(
        [
            sys.executable,
            "-m",
            "distributed.cli.dask_scheduler",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-dashboard",
        ],
        root / "scheduler",
        env,
        root / "scheduler.log",
    )
    worker = start(
        [
            str(BIN / "dask"),
            "worker",
            address,
            "--nworkers",
            str(workers),
            "--nthreads",
            "1",
            "--host",
            "127.0.0.1",
            "--no-dashboard",
            "--local-directory",
            str(root / "worker" / "scratch"),
            *(("--preload", "flows.render") if preload else ()),
        ],
        root / "worker",
        env,
        root / "worker.log",
    )
    for _ in range(60):
        try:
            with Client(address, timeout=10) as client:
                client.wait_for_workers(workers, timeout=120)
            return [worker, scheduler], address
        except (OSError, TimeoutError):
            time.sleep(1)
    raise SystemExit(f"no Dask workers: see {root / 'worker.log'}")


def run(data: Path, env: dict[str, str], *extra: str) -> dict:
    command = [str(BIN / "chanjiao"), "run", "--year", "2025", "--no-progress", *extra]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=data, env=env, capture_output=True, text=True, encoding="utf-8")
    wall = time.perf_counter() - started
    if done.returncode:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")
    result, render = RESULT.search(done.stdout), RENDER.search(done.stdout)
    pdfs = int(result["reports"]) + int(result["receipts"])
    return {
        "pdfs": pdfs,
        "pages": int(result["pages"]),
        "render": float(render["render"]),
        "total": float(render["total"]),
        "wall": wall,
        "load": os.getloadavg()[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, nargs="+", default=[2], help="Dask worker processes (1 thread each)")
    parser.add_argument("--repeat", type=int, default=1, help="forced runs per configuration")
    parser.add_argument(
        "--cold",
        action="store_true",
        help="workers without --preload flows.render: each imports the tasks and loads the fonts "
        "on its first batch (a fresh cluster); default: preloaded, as long-lived workers are",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="dask-render-bench-"))
    processes: list[subprocess.Popen] = []
    try:
        data = tmp / "flow"
        shutil.copytree(ROOT / "sample" / "inbox", data / "inbox")
        for name in ("registry.csv", "extensions.csv"):
            shutil.copy2(ROOT / "sample" / name, data / name)
        (tmp / "prefect").mkdir()
        server, api = prefect_server(tmp / "prefect")
        processes.append(server)
        env = {
            **base_env(),
            "PREFECT_API_URL": api,
            "PREFECT_HOME": str(tmp / "prefect"),
            "CHANJIAO_INBOX_DIR": str(data / "inbox"),
            "CHANJIAO_REGISTRY_FILE": str(data / "registry.csv"),
            "CHANJIAO_EXTENSIONS_FILE": str(data / "extensions.csv"),
            "CHANJIAO_WAREHOUSE_DIR": str(data / "warehouse"),
        }
        first = run(data, env)
        print(
            f"first run (ingest, data, {first['pdfs']} PDFs): {first['total']:.1f} s; CPUs: {os.cpu_count()}",
            flush=True,
        )
        configurations = [("process pool", ())] + [
            (f"dask {n} worker{'s' * (n > 1)} x 1 thread", n) for n in args.workers
        ]
        rows = []
        for _ in range(args.repeat):
            for name, workers in configurations:
                extra: tuple[str, ...] = ()
                cluster: list[subprocess.Popen] = []
                if workers:
                    worker_env = {
                        **base_env(),
                        "PREFECT_API_URL": api,
                        "PREFECT_HOME": str(tmp / f"dask-{workers}"),
                        "CHANJIAO_WAREHOUSE_DIR": str(tmp / f"dask-{workers}" / "warehouse"),
                    }
                    (tmp / f"dask-{workers}").mkdir(exist_ok=True)
                    cluster, address = dask_cluster(tmp / f"dask-{workers}", workers, worker_env, not args.cold)
                    extra = ("--task-runner", "dask", "--dask-address", address)
                try:
                    result = run(data, env, "--force", *extra)
                finally:
                    for process in cluster:
                        stop(process)
                rows.append((name, result))
                print(
                    f"{name:28} {result['pdfs']} PDFs, {result['pages']} pages: render {result['render']:6.1f} s "
                    f"({result['pages'] / result['render']:.2f} pages/s), run {result['total']:6.1f} s, "
                    f"load {result['load']:.1f}",
                    flush=True,
                )
        assert not list((tmp).glob("dask-*/warehouse")), "a Dask worker wrote into its own warehouse"
    finally:
        for process in processes:
            stop(process)
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
