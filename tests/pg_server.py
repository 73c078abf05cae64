"""A throwaway PostgreSQL server for the test suite.

Usage (e.g. from ``tests/conftest.py``)::

    from pg_server import PostgresServer, start_postgres

    server = start_postgres()
    try:
        url = server.create_database("warehouse_test")
        ...
    finally:
        server.stop()

The server is a fresh cluster (``initdb``) in a private directory under /tmp,
listening on 127.0.0.1 on a free TCP port, with trust authentication and the
durability settings switched off for speed.  It serves
``postgresql+psycopg://postgres@127.0.0.1:PORT/postgres``.

``initdb`` refuses to run as root, so when the current uid is 0 the server
binaries run as the ``postgres`` system user (via ``runuser``, or ``su`` as a
fallback); otherwise they run as the current user with ``-U postgres`` so the
same URL works either way.

Clean-up happens three ways: an explicit :meth:`PostgresServer.stop`, an
``atexit`` handler, and a small watchdog process that shuts the server down
and removes its directory when the test process dies without running
``atexit`` (SIGKILL, SIGTERM, a segfault).

PostgreSQL being absent is an error, not a skip: install the Debian package
``postgresql`` (the Makefile does this).
"""

from __future__ import annotations

import atexit
import os
import pwd
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["PostgresServer", "find_pg_bin", "start_postgres"]

START_TIMEOUT_S = 30
PG_SYSTEM_USER = "postgres"
SUPERUSER = "postgres"
LOG_NAME = "server.log"
PG_CTL_LOG_NAME = "pg_ctl.log"

_REQUIRED_BINARIES = ("initdb", "pg_ctl", "postgres")
_INSTALL_HINT = (
    "PostgreSQL server binaries (initdb, pg_ctl, postgres) were not found in "
    "/usr/lib/postgresql/<version>/bin or on PATH. Install the Debian package "
    "`postgresql` (e.g. `apt-get install -y postgresql`, which provides "
    "PostgreSQL 15 on Debian 12), or set PG_BIN to the directory holding them."
)

# Runs in a separate process; argv[1] is the data dir.  It blocks until the
# parent closes the pipe (explicit stop kills the watchdog first, so this only
# fires when the parent died), then does what `pg_ctl stop -m immediate` does
# (SIGQUIT to the postmaster) and removes the directory.
_WATCHDOG = r"""
import os, shutil, signal, sys, time
data_dir = sys.argv[1]
try:
    sys.stdin.buffer.read()
except BaseException:
    pass
pid_file = os.path.join(data_dir, "postmaster.pid")
try:
    with open(pid_file) as f:
        pid = int(f.readline().strip())
    os.kill(pid, signal.SIGQUIT)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    else:
        os.kill(pid, signal.SIGKILL)
except (OSError, ValueError):
    pass
shutil.rmtree(data_dir, ignore_errors=True)
"""


def _version_key(path: Path) -> tuple:
    return tuple(int(p) if p.isdigit() else -1 for p in re.split(r"[.\-]", path.parent.name))


def _has_binaries(bin_dir: Path) -> bool:
    return all(os.access(bin_dir / name, os.X_OK) for name in _REQUIRED_BINARIES)


def find_pg_bin() -> Path:
    """Directory holding initdb/pg_ctl/postgres.

    Order: ``$PG_BIN`` if set, then the highest ``/usr/lib/postgresql/<ver>/bin``
    (Debian layout), then the directory of ``pg_ctl`` on PATH (symlinks
    resolved, since e.g. /usr/local/bin may hold only pg_ctl/initdb links).
    """
    override = os.environ.get("PG_BIN")
    if override:
        bin_dir = Path(override)
        if _has_binaries(bin_dir):
            return bin_dir
        raise RuntimeError(f"PG_BIN={override!r} does not contain {', '.join(_REQUIRED_BINARIES)}. {_INSTALL_HINT}")

    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=_version_key, reverse=True)
    for bin_dir in candidates:
        if _has_binaries(bin_dir):
            return bin_dir

    pg_ctl = shutil.which("pg_ctl")
    if pg_ctl:
        for bin_dir in (Path(pg_ctl).resolve().parent, Path(pg_ctl).parent):
            if _has_binaries(bin_dir):
                return bin_dir

    raise RuntimeError(_INSTALL_HINT)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _running_as_root() -> bool:
    return os.geteuid() == 0


def _as_server_user(argv: list[str]) -> list[str]:
    """Wrap ``argv`` so that it runs as the postgres system user when we are root."""
    if not _running_as_root():
        return argv
    runuser = shutil.which("runuser") or ("/usr/sbin/runuser" if os.path.exists("/usr/sbin/runuser") else None)
    if runuser:
        return [runuser, "-u", PG_SYSTEM_USER, "--", *argv]
    su = shutil.which("su") or "/bin/su"
    return [su, "-s", "/bin/sh", "-c", shlex.join(argv), PG_SYSTEM_USER]


def _server_env() -> dict[str, str]:
    # PG* variables (PGDATA, PGPORT, PGHOST, PGOPTIONS, ...) from the caller's
    # shell must not leak into the throwaway cluster.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["LC_ALL"] = "C"  # English server messages, no dependency on installed locales
    env["TZ"] = "UTC"  # spares initdb its time-zone probe
    return env


def _run(argv: list[str], *, cwd: Path, timeout: float, output: Path | None = None) -> subprocess.CompletedProcess:
    """Run a server binary (as the postgres user when root) without a tty.

    stdin is /dev/null and the child gets its own session, so ``su``/``runuser``
    can never stop on, or wait for, a terminal.  When ``output`` is given the
    child's stdout/stderr go to that file instead of a pipe, so a daemonised
    grandchild holding the pipe open cannot make us hang.
    """
    cmd = _as_server_user(argv)
    kwargs = dict(cwd=cwd, env=_server_env(), stdin=subprocess.DEVNULL, start_new_session=True, timeout=timeout)
    if output is None:
        return subprocess.run(cmd, capture_output=True, text=True, **kwargs)
    with open(output, "ab") as out:
        proc = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, **kwargs)
    proc.stdout = output.read_text(errors="replace")
    return proc


def _tail(path: Path, lines: int = 40) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError as exc:
        return f"<cannot read {path}: {exc}>"
    return "\n".join(text.splitlines()[-lines:]) or "<empty>"


@dataclass
class PostgresServer:
    url: str  # sqlalchemy URL to the `postgres` database
    data_dir: Path
    port: int
    pg_bin: Path = field(default_factory=find_pg_bin, repr=False, compare=False)
    _watchdog: subprocess.Popen | None = field(default=None, repr=False, compare=False)
    _stopped: bool = field(default=False, repr=False, compare=False)

    @property
    def log_file(self) -> Path:
        return self.data_dir / LOG_NAME

    def url_for(self, database: str) -> str:
        from sqlalchemy.engine import make_url

        return make_url(self.url).set(database=database).render_as_string(hide_password=False)

    def create_database(self, name: str) -> str:
        """``CREATE DATABASE name`` (quoted, so case is kept); returns its sqlalchemy URL."""
        from sqlalchemy import create_engine, text
        from sqlalchemy.pool import NullPool

        engine = create_engine(self.url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
        try:
            with engine.connect() as conn:
                quoted = conn.dialect.identifier_preparer.quote_identifier(name)
                conn.execute(text(f"CREATE DATABASE {quoted}"))
        finally:
            engine.dispose()
        return self.url_for(name)

    def stop(self) -> None:
        """``pg_ctl stop -m immediate``, then remove the data dir.  Idempotent."""
        if self._stopped:
            return
        self._stopped = True
        atexit.unregister(self.stop)
        if self._watchdog is not None:
            # Kill it outright: closing its pipe would make it run the clean-up.
            self._watchdog.kill()
            self._watchdog.wait()
            if self._watchdog.stdin:
                self._watchdog.stdin.close()
            self._watchdog = None
        try:
            if (self.data_dir / "postmaster.pid").exists():
                proc = _run(
                    [
                        str(self.pg_bin / "pg_ctl"),
                        "stop",
                        "-D",
                        str(self.data_dir),
                        "-m",
                        "immediate",
                        "-w",
                        "-t",
                        str(START_TIMEOUT_S),
                    ],
                    cwd=self.data_dir.parent,
                    timeout=START_TIMEOUT_S + 30,
                )
                if proc.returncode != 0:
                    self._kill_postmaster()
        except (OSError, subprocess.SubprocessError):
            self._kill_postmaster()
        finally:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def _kill_postmaster(self) -> None:
        try:
            pid = int((self.data_dir / "postmaster.pid").read_text().splitlines()[0])
            os.kill(pid, signal.SIGKILL)
        except (OSError, ValueError, IndexError):
            pass

    def __enter__(self) -> PostgresServer:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def _write_config(data_dir: Path, port: int) -> None:
    # Appended to postgresql.conf (later lines win), which avoids quoting an
    # `-o "..."` string through pg_ctl's /bin/sh.  Appending keeps the file's
    # owner (postgres) even when we write it as root.
    settings = {
        "listen_addresses": "'127.0.0.1'",
        "port": str(port),
        "unix_socket_directories": f"'{data_dir}'",
        "fsync": "off",
        "synchronous_commit": "off",
        "full_page_writes": "off",
        "timezone": "'UTC'",
    }
    with open(data_dir / "postgresql.conf", "a") as f:
        f.write("\n# --- tests/pg_server.py ---\n")
        for key, value in settings.items():
            f.write(f"{key} = {value}\n")


def _start_watchdog(data_dir: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", _WATCHDOG, str(data_dir)],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        close_fds=True,
    )


def start_postgres() -> PostgresServer:
    """initdb a fresh cluster under /tmp and ``pg_ctl start -w`` it on a free port."""
    pg_bin = find_pg_bin()
    as_root = _running_as_root()
    if as_root:
        try:
            pw = pwd.getpwnam(PG_SYSTEM_USER)
        except KeyError:
            raise RuntimeError(
                f"Running as root, but there is no `{PG_SYSTEM_USER}` system user to run initdb as "
                "(initdb refuses to run as root). Installing the Debian package `postgresql` creates it."
            ) from None

    base = "/tmp" if os.path.isdir("/tmp") else None  # short path: unix socket paths are limited to ~107 bytes
    data_dir = Path(tempfile.mkdtemp(prefix="pgtest-", dir=base))  # mode 0700, as postgres requires
    server: PostgresServer | None = None
    try:
        if as_root:
            os.chown(data_dir, pw.pw_uid, pw.pw_gid)

        proc = _run(
            [
                str(pg_bin / "initdb"),
                "-D",
                str(data_dir),
                "-U",
                SUPERUSER,
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
                "--no-instructions",
            ],
            cwd=data_dir.parent,
            timeout=120,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"initdb failed (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr}")

        port = _free_port()
        _write_config(data_dir, port)
        server = PostgresServer(
            url=f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{port}/postgres",
            data_dir=data_dir,
            port=port,
            pg_bin=pg_bin,
        )
        server._watchdog = _start_watchdog(data_dir)
        atexit.register(server.stop)

        for attempt in range(3):
            proc = _run(
                [
                    str(pg_bin / "pg_ctl"),
                    "start",
                    "-w",
                    "-t",
                    str(START_TIMEOUT_S),
                    "-D",
                    str(data_dir),
                    "-l",
                    str(data_dir / LOG_NAME),
                ],
                cwd=data_dir.parent,
                timeout=START_TIMEOUT_S + 30,
                output=data_dir / PG_CTL_LOG_NAME,
            )
            if proc.returncode == 0:
                return server
            log = _tail(data_dir / LOG_NAME)
            if "Address already in use" in log and attempt < 2:
                # Lost the race for the port between probing and binding: try another.
                port = _free_port()
                _write_config(data_dir, port)
                server.port = port
                server.url = f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{port}/postgres"
                (data_dir / LOG_NAME).unlink(missing_ok=True)
                continue
            break
        raise RuntimeError(
            f"pg_ctl start failed (exit {proc.returncode}) for {data_dir} on port {server.port}.\n"
            f"--- pg_ctl output ---\n{proc.stdout.strip()}\n"
            f"--- server log tail ({data_dir / LOG_NAME}) ---\n{log}"
        )
    except BaseException:
        if server is not None:
            server.stop()
        else:
            shutil.rmtree(data_dir, ignore_errors=True)
        raise
