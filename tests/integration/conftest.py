"""Integration tests: a real Prefect server (``prefect server start``, its own PREFECT_HOME and SQLite
database) started once per module, with the project deployed to it, and workers run as subprocesses.

Select or skip them with ``-m integration`` / ``-m "not integration"``.
"""

from __future__ import annotations

import queue
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from integration_support import PrefectServer, start_prefect_server, stop_prefect_server  # noqa: E402


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "integration: starts a real Prefect server and workers as subprocesses "
        "(minutes; deselect with -m 'not integration')",
    )


@pytest.fixture(scope="module")
def prefect_server(tmp_path_factory) -> PrefectServer:
    server = start_prefect_server(tmp_path_factory.mktemp("prefect-home"))
    yield server
    stop_prefect_server(server)


@pytest.fixture(scope="module")
def prefect_api(prefect_server):
    """This test process's Prefect client settings point at the server (restored afterwards)."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings({PREFECT_API_URL: prefect_server.api_url}):
        yield prefect_server


@pytest.fixture
def webhook():
    """A local HTTP server recording what is POSTed to it."""
    received: queue.Queue = queue.Queue()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            received.put((self.path, dict(self.headers), body))
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", received
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)
