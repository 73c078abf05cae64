"""Helpers of the integration tests: a real Prefect server in a subprocess, and Prefect CLI subprocesses
talking to it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]
SERVER_START_TIMEOUT_S = 90


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def clean_environment() -> dict[str, str]:
    """The test runner's environment without any Prefect or chanjiao setting: the subprocesses get exactly
    the ones the tests give them (nothing of a developer's profile, server or production database)."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "CHANJIAO_"))}


def tail(path: Path, lines: int = 60) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return f"({path} does not exist)"


@dataclass
class PrefectServer:
    url: str  # http://127.0.0.1:PORT
    home: Path  # PREFECT_HOME of the server and of every client the tests start
    log: Path
    process: subprocess.Popen

    @property
    def api_url(self) -> str:
        return f"{self.url}/api"

    def client_env(self, **extra: str) -> dict[str, str]:
        """For a Prefect CLI subprocess (deploy, worker) talking to this server."""
        return {
            **clean_environment(),
            "PREFECT_HOME": str(self.home),
            "PREFECT_API_URL": self.api_url,
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_CLI_PROMPT": "false",
            "PYTHONUNBUFFERED": "1",
            **extra,
        }

    def prefect(
        self, *args: str, log: Path, timeout: float, env: dict[str, str] | None = None, cwd: Path = PROJECT
    ) -> int:
        """``prefect ARGS`` (this interpreter's, so the project's virtualenv) with its output in ``log``; its
        exit code. Past ``timeout`` its whole process group (a worker's flow runs too) is killed and
        :class:`subprocess.TimeoutExpired` raised."""
        with open(log, "ab") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "prefect", *args],
                cwd=cwd,
                env=env or self.client_env(),
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            return process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            stop_process_group(process)
            raise


def start_prefect_server(home: Path, *, scheduler: bool = False, attempt: int = 1, **settings: str) -> PrefectServer:
    """``prefect server start`` in a subprocess with its own home and SQLite database. The scheduler service
    is off unless asked for: a worker polling the pool must find only the runs a test created (not tonight's
    nightly, should the clock be near); the schedules test turns it on. ``settings``: more PREFECT_* values."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **clean_environment(),
        "PREFECT_HOME": str(home),
        "PREFECT_SERVER_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{home / 'prefect.db'}",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_UI_ENABLED": "false",  # no UI build to copy: a faster start
        "PREFECT_UI_URL": url,  # links in notifications
        "PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED": "true" if scheduler else "false",
        "PYTHONUNBUFFERED": "1",
        **settings,
    }
    log = home / "server.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)],
            cwd=home,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = PrefectServer(url=url, home=home, log=log, process=process)
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while True:
        if process.poll() is not None:
            if attempt < 3 and "address already in use" in tail(log).lower():
                # free_port() let the port go before the server bound it, and another process took it
                return start_prefect_server(home, scheduler=scheduler, attempt=attempt + 1, **settings)
            raise RuntimeError(f"prefect server exited with {process.returncode}:\n{tail(log)}")
        try:
            with urllib.request.urlopen(f"{server.api_url}/health", timeout=2) as response:
                if response.status == 200:
                    return server
        except OSError:
            pass
        if time.monotonic() > deadline:
            stop_prefect_server(server)
            raise RuntimeError(f"prefect server not healthy after {SERVER_START_TIMEOUT_S} s:\n{tail(log)}")
        time.sleep(0.25)


def stop_process_group(process: subprocess.Popen, grace: float = 20) -> None:
    """SIGTERM to the process group of a process started in its own session, SIGKILL if it lingers."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def stop_prefect_server(server: PrefectServer) -> None:
    stop_process_group(server.process)


def deploy_project(server: PrefectServer, logs: Path, pool: str = "chanjiao") -> None:
    """What the README says an operator does once: the process work pool, then `prefect deploy --all`."""
    assert server.prefect("work-pool", "create", pool, "--type", "process", log=logs / "pool.log", timeout=120) == 0, (
        tail(logs / "pool.log")
    )
    assert server.prefect("deploy", "--all", "--no-prompt", log=logs / "deploy.log", timeout=300) == 0, tail(
        logs / "deploy.log"
    )


def copy_sample(root: Path) -> Path:
    """The bundled sample's inbox, registry and extensions under ``root`` (the inbox's path returned)."""
    import shutil

    shutil.copytree(PROJECT / "sample" / "inbox", root / "inbox")
    for name in ("registry.csv", "extensions.csv"):
        shutil.copy2(PROJECT / "sample" / name, root / name)
    return root / "inbox"
