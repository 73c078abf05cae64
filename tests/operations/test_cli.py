"""The ``chanjiao`` command: quick commands in-process, a whole run as a user would type it."""

from __future__ import annotations

import http.server
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import types
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest
from builders import REGISTRY_CSV, csv_bytes, minimal_fields
from openpyxl import load_workbook

from chanjiao.common.errors import ConfigurationError, mask_password
from chanjiao.intake.ingest import parse_submission
from chanjiao.operations import cli
from chanjiao.operations.cli import check_prefect_api, main
from chanjiao.quality.timeliness import check_reporting_year, today_in_china
from chanjiao.reference.catalogue import load_catalogue
from chanjiao.reference.registry import load_reference
from warehouse import Warehouse

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _environment_restored():
    """``main`` runs in this process and ``cmd_run`` sets variables for the flow (CHANJIAO_DATABASE_URL,
    PREFECT_…): none may leak into the next test."""
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


def test_template_command_writes_the_workbook(tmp_path, capsys):
    out = tmp_path / "2026-计划.xlsx"
    assert main(["template", "--year", "2026", "--kind", "plan", "-o", str(out)]) == 0
    assert "wrote" in capsys.readouterr().out
    sheet = load_workbook(out)["填报数据"]
    assert [c.value for c in sheet[1]] == ["字段代码", "字段名称", "填报值", "说明"]


def test_kinds_and_severities_are_explained_with_the_reports_labels(tmp_path, capsys):
    main(["template", "--year", "2026", "--kind", "summary", "-o", str(tmp_path / "t.xlsx")])
    assert "(2026 summary: 年度工作总结（含典型案例）)" in capsys.readouterr().out
    for command in (["template"], ["rules"]):
        with pytest.raises(SystemExit):
            main([*command, "--help"])
        shown = " ".join(capsys.readouterr().out.split())  # argparse wraps help text
        assert ("plan = 年度工作计划" in shown) if command == ["template"] else ("fatal = 严重" in shown)


def test_withdraw_command(tmp_path, capsys, catalogue):
    url = f"sqlite:///{tmp_path / 'wh.db'}"
    handle = Warehouse.open(url)
    handle.save_submission(parse_submission("2025/a.csv", csv_bytes(minimal_fields()), catalogue, {"SX-2024-01"}))
    handle.close()
    args = ["withdraw", "--consortium", "SX-2024-01", "--year", "2025", "--kind", "plan", "--database-url", url]
    assert main(args + ["--version", "1", "--reason", "误报"]) == 0
    assert "withdrew SX-2024-01 2025 plan v1" in capsys.readouterr().out
    assert main(args + ["--version", "3", "--reason", "误报"]) == 2
    err = capsys.readouterr().err
    assert err == "error: consortium SX-2024-01: no version 3 of the 2025 plan (versions on file: 1)\n"


def test_a_bad_registry_is_one_clear_line(tmp_path, capsys):
    registry = tmp_path / "registry.csv"
    registry.write_text(REGISTRY_CSV.replace(",14,山西省,大同市", ",99,山西省,大同市"), encoding="utf-8")
    code = main(
        [
            "run",
            "--year",
            "2025",
            "--registry",
            str(registry),
            "--inbox",
            str(tmp_path),
            "--warehouse",
            str(tmp_path / "wh"),
        ]
    )
    assert code == 2
    assert capsys.readouterr().err == (
        f"error: {registry}: row 2: field province_code: province_code '99' is not a known province\n"
    )


def test_an_unknown_province_is_refused_before_the_run(tmp_path, capsys):
    registry = tmp_path / "registry.csv"
    registry.write_text(REGISTRY_CSV, encoding="utf-8")
    code = main(
        [
            "run",
            "--year",
            "2025",
            "--province",
            "77",
            "--registry",
            str(registry),
            "--inbox",
            str(tmp_path),
            "--warehouse",
            str(tmp_path / "wh"),
        ]
    )
    assert code == 2 and "unknown province code(s) 77" in capsys.readouterr().err


def _one_province_run(tmp_path: Path) -> tuple[list[str], dict, Path]:
    """An inbox with one good 2025 file, the test registry, and ``chanjiao run`` for province 14 as a user
    types it (its own temporary Prefect server): the command, its environment and the registry file."""
    inbox = tmp_path / "inbox" / "2025"
    inbox.mkdir(parents=True)
    (inbox / "ok.csv").write_bytes(csv_bytes(minimal_fields(city_approved_on="2025-01-05")))
    registry = tmp_path / "registry.csv"
    registry.write_text(REGISTRY_CSV, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env["PREFECT_HOME"] = str(tmp_path / "prefect-home")
    command = [
        str(ROOT / ".venv" / "bin" / "chanjiao"),
        "run",
        "--year",
        "2025",
        "--province",
        "14",
        "--inbox",
        str(tmp_path / "inbox"),
        "--registry",
        str(registry),
        "--warehouse",
        str(tmp_path / "wh"),
        "--as-of",
        "2025-02-01",
    ]
    return command, env, registry


def test_run_as_a_user_types_it_keeps_the_terminal_clean(tmp_path):
    """A real process, its own temporary Prefect server: only the summary reaches the terminal."""
    command, env, registry = _one_province_run(tmp_path)
    (tmp_path / "inbox" / "2025" / "wrong-year.csv").write_bytes(
        csv_bytes(minimal_fields(consortium_id="SX-2024-02", year=2024))
    )
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert "inbox: 2 files — 1 accepted, 0 unchanged, 1 rejected" in done.stdout
    assert "rejected 2025/wrong-year.csv: consortium SX-2024-02: field year" in done.stdout
    assert "province 14: missing 2, not_yet_due 3, on_time 1" in done.stdout
    assert f"registry: {registry} (" in done.stdout and "deadline extensions: none" in done.stdout
    assert (tmp_path / "wh" / "reports" / "2025" / "14" / "submissions.csv").exists()

    status = subprocess.run(
        [
            sys.executable,
            "-m",
            "chanjiao.operations.cli",
            "status",
            "--year",
            "2025",
            "--warehouse",
            str(tmp_path / "wh"),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
    )
    assert status.returncode == 0
    assert "SX-2024-01     plan     2025-01-15  on_time        0  yes       v1" in status.stdout


def test_progress_display_and_a_locked_province(tmp_path):
    """``--progress`` draws the stages on stderr (and nothing else); with ``--no-wait`` a run on a province
    another run holds stops at once with one line naming the holder."""
    command, env, _ = _one_province_run(tmp_path)
    done = subprocess.run(command + ["--progress"], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    for label in ("files ingested", "versions validated", "provinces scored", "reports prepared", "PDFs rendered"):
        assert label in done.stderr, done.stderr
    assert "1/1" in done.stderr and "Traceback" not in done.stderr and "Error" not in done.stderr
    written = re.search(r"PDF reports: (\d+) reports and (\d+) receipts written", done.stdout)
    assert written and re.search(
        rf"PDFs rendered .* {int(written[1]) + int(written[2])}/{int(written[1]) + int(written[2])} ", done.stderr
    )

    holder = Warehouse.open(f"sqlite:///{tmp_path / 'wh' / 'warehouse.db'}")
    try:
        with holder.lock(["province-14"]):
            locked = subprocess.run(
                command + ["--no-wait", "--no-pdf"], capture_output=True, text=True, env=env, timeout=300
            )
    finally:
        holder.close()
    assert locked.returncode == 2
    assert locked.stderr.startswith(f"error: province-14 is being processed by another run (pid {os.getpid()} on ")
    assert locked.stderr.count("\n") == 1


def test_an_unreachable_database_is_one_clear_line_without_the_password(tmp_path, capsys):
    registry = tmp_path / "registry.csv"
    registry.write_text(REGISTRY_CSV, encoding="utf-8")
    url = "postgresql+psycopg://reporter:s3cret@127.0.0.1:1/warehouse"
    code = main(["run", "--year", "2025", "--registry", str(registry), "--inbox", str(tmp_path), "--database-url", url])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert err.startswith("error: cannot reach the warehouse database postgresql+psycopg://reporter:***@127.0.0.1:1")
    assert "s3cret" not in err


def test_rules_prints_every_rule_and_the_committed_catalogue_is_current(capsys):
    assert main(["rules", "--field", "funding_total_10k"]) == 0
    out = capsys.readouterr().out
    assert "funding_total_10k.sum_eq  [fatal]" in out and "source: 003 附件3 §1; 000 §三" in out
    assert out.rstrip().endswith("6 rules")
    assert main(["rules", "--markdown"]) == 0
    committed = (Path(__file__).resolve().parents[2] / "expectations" / "RULES.md").read_text(encoding="utf-8")
    assert capsys.readouterr().out == committed, (
        "regenerate: .venv/bin/chanjiao rules --markdown > expectations/RULES.md"
    )


def test_override_needs_a_validated_version(tmp_path, capsys):
    args = [
        "override",
        "--consortium",
        "SX-2024-01",
        "--year",
        "2025",
        "--kind",
        "plan",
        "--rule",
        "yoy",
        "--reason",
        "ok",
        "--by",
        "李审核",
        "--warehouse",
        str(tmp_path),
    ]
    assert main(args) == 2
    assert "no accepted 2025 plan on file" in capsys.readouterr().err
    handle = Warehouse.open(f"sqlite:///{tmp_path / 'warehouse.db'}")
    try:
        handle.save_submission(
            parse_submission("2025/a.csv", csv_bytes(minimal_fields()), load_catalogue(), {"SX-2024-01"})
        )
    finally:
        handle.close()
    assert main(args) == 2
    assert "has not been validated yet: run `chanjiao run --year 2025` first" in capsys.readouterr().err


def test_frameworks_lists_the_points_and_checks_a_file(tmp_path, capsys):
    assert main(["frameworks", "hunan-2024"]) == 0
    out = capsys.readouterr().out
    assert "hunan-2024 v2024.1" in out and "4.4a  threshold_ratio" in out and out.count("\n") == 22
    broken = tmp_path / "mine.yaml"
    shipped = Path(__file__).resolve().parents[2] / "chanjiao" / "data" / "frameworks" / "hunan-2024.yaml"
    broken.write_text(shipped.read_text(encoding="utf-8").replace("weight: 15", "weight: -15", 1), encoding="utf-8")
    assert main(["frameworks", "--check", str(broken)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"error: {broken}: field indicators[1] (I2): weight -15 is not allowed") and "\n" not in err
    assert main(["frameworks", "--check", str(shipped)]) == 0
    assert "is valid: 7 indicators, 21 points" in capsys.readouterr().out
    assert main(["frameworks", "nope"]) == 2


def test_scores_before_any_run_says_what_to_do(tmp_path, capsys):
    assert main(["scores", "--year", "2025", "--warehouse", str(tmp_path)]) == 3  # nothing to show
    assert "run `chanjiao run --year 2025` first" in capsys.readouterr().out


def test_run_without_a_chinese_font_stops_before_any_work_and_names_the_package(tmp_path):
    """Fontconfig that knows no fonts at all: the run refuses to start rather than write PDFs of blank boxes;
    ``--no-pdf`` (a data-only run) is still possible."""
    inbox = tmp_path / "inbox" / "2025"
    inbox.mkdir(parents=True)
    (inbox / "ok.csv").write_bytes(csv_bytes(minimal_fields(city_approved_on="2025-01-05")))
    registry = tmp_path / "registry.csv"
    registry.write_text(REGISTRY_CSV, encoding="utf-8")
    config = tmp_path / "fonts.conf"
    config.write_text(
        f"<?xml version='1.0'?><fontconfig><cachedir>{tmp_path / 'fc'}</cachedir></fontconfig>", encoding="utf-8"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "FONTCONFIG_"))}
    env.update(
        PREFECT_HOME=str(tmp_path / "prefect-home"), FONTCONFIG_FILE=str(config), XDG_CACHE_HOME=str(tmp_path / "cache")
    )
    command = [
        str(ROOT / ".venv" / "bin" / "chanjiao"),
        "run",
        "--year",
        "2025",
        "--province",
        "14",
        "--inbox",
        str(tmp_path / "inbox"),
        "--registry",
        str(registry),
        "--warehouse",
        str(tmp_path / "wh"),
        "--as-of",
        "2025-02-01",
    ]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.startswith("error: no Chinese (CJK) font found") and "fonts-noto-cjk" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "wh" / "reports").exists() and not (tmp_path / "wh" / "receipts").exists()


# --- operators' mistakes get a clear answer ---------------------------------------------------------------


def _run_args(tmp_path: Path, *extra: str) -> list[str]:
    """``chanjiao run`` on the test registry, an empty inbox and a warehouse folder not created yet."""
    registry = tmp_path / "registry.csv"
    registry.write_text(REGISTRY_CSV, encoding="utf-8")
    (tmp_path / "inbox").mkdir(exist_ok=True)
    return [
        "run",
        "--registry",
        str(registry),
        "--inbox",
        str(tmp_path / "inbox"),
        "--warehouse",
        str(tmp_path / "wh"),
        "--no-pdf",
        *extra,
    ]


@pytest.fixture
def no_prefect(monkeypatch):
    """A refusal must come before any Prefect server is started (or the flow imported)."""

    def refuse(*args, **kwargs):
        raise AssertionError("a Prefect server was started")

    monkeypatch.setattr(cli, "prefect_api", refuse)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            ["--year", "2035"],
            f"error: year 2035 is later than the as-of date {today_in_china():%Y-%m-%d}: no "
            "document of 2035 can be due yet\n",
        ),
        (
            ["--year", "2025", "--as-of", "2024-06-01"],
            "error: year 2025 is later than the as-of date 2024-06-01: no document of 2025 can be due yet\n",
        ),
        (
            ["--year", "2023"],
            "error: no consortium of the registry is expected to report for 2023: the first were recognised in 2024\n",
        ),
        (
            ["--year", "2025", "--province", "11"],
            "error: no consortium of province 11 in the registry is expected to "
            "report for 2025: the registry has none there\n",
        ),
    ],
)
def test_a_year_nothing_can_be_reported_for_is_refused_before_the_run(tmp_path, capsys, no_prefect, extra, message):
    assert main(_run_args(tmp_path, *extra)) == 2
    captured = capsys.readouterr()
    assert captured.err == message and captured.out == ""
    assert not (tmp_path / "wh").exists()  # refused before the warehouse was even opened


def test_the_core_refuses_a_year_nothing_can_be_reported_for(registry_files):
    """The flow's own check (chanjiao.quality.timeliness.check_reporting_year): later than as-of, nobody expected
    (recognised later, withdrawn), also for the provinces asked for."""
    registry = load_reference(*registry_files).registry
    check_reporting_year(registry, 2025, date(2025, 12, 16))
    check_reporting_year(registry, 2026, date(2026, 1, 31), ["43"])  # HN-2024-01 still files
    with pytest.raises(ConfigurationError, match="later than the as-of date 2025-12-16"):
        check_reporting_year(registry, 2026, date(2025, 12, 16))
    with pytest.raises(ConfigurationError, match="expected to report for 2023: the first were recognised in 2024"):
        check_reporting_year(registry, 2023, date(2025, 12, 16))
    with pytest.raises(ConfigurationError, match="province 11 in the registry .* the registry has none there"):
        check_reporting_year(registry, 2025, date(2025, 12, 16), ["11"])
    withdrawn = registry.loc[["HN-2024-02"]]  # withdrawn from 2025 on
    check_reporting_year(withdrawn, 2024, date(2025, 12, 16))
    with pytest.raises(ConfigurationError, match="for 2025: those recognised by 2025 were withdrawn by then"):
        check_reporting_year(withdrawn, 2025, date(2025, 12, 16))


@pytest.mark.parametrize("typed", ["2025-02-01", "2025/2/1", "2025.02.01", "2025年2月1日", "２０２５-０２-０１"])
def test_as_of_takes_the_date_forms_of_a_submission(tmp_path, capsys, no_prefect, typed):
    assert main(_run_args(tmp_path, "--year", "2026", "--as-of", typed)) == 2
    assert capsys.readouterr().err == (
        "error: year 2026 is later than the as-of date 2025-02-01: no document of 2026 can be due yet\n"
    )


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("2025-13-01", "error: --as-of: “2025-13-01” is not a calendar date\n"),
        ("tomorrow", "error: --as-of: “tomorrow” is not a date (use 2024-07-15, 2024/7/15 or 2024年7月15日)\n"),
    ],
)
def test_a_bad_as_of_is_one_line(tmp_path, capsys, no_prefect, typed, message):
    assert main(_run_args(tmp_path, "--year", "2025", "--as-of", typed)) == 2
    assert capsys.readouterr().err == message


def test_the_flow_gets_the_as_of_date_whatever_its_form(tmp_path, capsys, monkeypatch):
    calls = []

    def flow(**kwargs):
        calls.append(kwargs)
        raise ConfigurationError("stopped by the test")

    monkeypatch.setitem(sys.modules, "flows.annual_compliance", types.SimpleNamespace(annual_compliance=flow))
    monkeypatch.setattr(cli, "prefect_api", lambda log_dir: _nothing())
    monkeypatch.setattr(cli, "check_prefect_api", lambda url: None)
    assert main(_run_args(tmp_path, "--year", "2025", "--as-of", "2025年2月1日", "--province", "14")) == 2
    assert capsys.readouterr().err == "error: stopped by the test\n"
    assert calls[0]["as_of"] == date(2025, 2, 1) and calls[0]["year"] == 2025


@contextmanager
def _nothing():
    yield None


def test_status_and_scores_tell_an_unknown_province_from_nothing_yet(tmp_path, capsys):
    for command in ("status", "scores"):
        assert main([command, "--year", "2025", "--province", "99", "--warehouse", str(tmp_path)]) == 2
        err = capsys.readouterr().err
        assert err.startswith("error: unknown province 99 (known: 11, 12, 13, ") and "43" in err
        assert err.count("\n") == 1
    assert main(["status", "--year", "2025", "--province", "43", "--warehouse", str(tmp_path)]) == 3
    assert capsys.readouterr().out == (
        "no timeliness for 2025 in province 43 yet: run `chanjiao run --year 2025` first\n"
    )
    assert main(["scores", "--year", "2025", "--province", "43", "--warehouse", str(tmp_path)]) == 3
    assert capsys.readouterr().out == "no scores for 2025 in province 43 yet: run `chanjiao run --year 2025` first\n"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_an_unreachable_prefect_api_is_one_clear_line_at_once(tmp_path):
    """A real process with PREFECT_API_URL pointing nowhere: one line naming the URL (password masked), exit
    2, before the warehouse is opened or the flow imported (Prefect's client would retry, then crash)."""
    port = _closed_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(
        PREFECT_HOME=str(tmp_path / "prefect-home"), PREFECT_API_URL=f"http://reporter:s3cret@127.0.0.1:{port}/api"
    )
    started = time.monotonic()
    done = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "chanjiao"), *_run_args(tmp_path, "--year", "2025")],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    seconds = time.monotonic() - started
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith(
        f"error: cannot reach the Prefect API http://reporter:***@127.0.0.1:{port}/api (PREFECT_API_URL): "
    )
    assert done.stderr.count("\n") == 1 and "s3cret" not in done.stderr and done.stdout == ""
    assert not (tmp_path / "wh").exists()
    assert seconds < 60, seconds  # the imports only, on a busy machine; no retries, no server


@pytest.mark.parametrize(
    "command",
    [["notify", "--webhook-url", "https://hooks.example/x"], ["status", "--year", "2025", "--province", "43"]],
)
def test_other_commands_name_an_unreachable_prefect_api_too(command, tmp_path, monkeypatch, capsys):
    """notify talks to the server; status reads the warehouse URL from a Secret block on it."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    port = _closed_port()
    monkeypatch.setenv("CHANJIAO_DATABASE_SECRET", "chanjiao-warehouse")
    monkeypatch.delenv("CHANJIAO_DATABASE_URL", raising=False)
    with temporary_settings({PREFECT_API_URL: f"http://u:s3cret@127.0.0.1:{port}/api"}):
        code = main(command + (["--warehouse", str(tmp_path / "wh")] if command[0] == "status" else []))
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.count("\n") == 1 and "s3cret" not in err
    assert (
        ("cannot reach the Prefect API" in err)
        if command[0] == "notify"
        else ("cannot read the Prefect Secret block 'chanjiao-warehouse'" in err)
    )


class _Health(http.server.BaseHTTPRequestHandler):
    status = 200
    seen: list = []

    def do_GET(self):
        type(self).seen.append((self.path, self.headers.get("Authorization")))
        self.send_response(self.status)
        self.end_headers()
        self.wfile.write(b"true")

    def log_message(self, *args):
        pass


@contextmanager
def _server(status: int):
    handler = type("Handler", (_Health,), {"status": status, "seen": []})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler.seen
    finally:
        server.shutdown()
        server.server_close()


def test_the_prefect_api_check_asks_health_and_says_what_is_wrong():
    from prefect.settings import PREFECT_API_AUTH_STRING, PREFECT_API_KEY, temporary_settings

    with temporary_settings({PREFECT_API_KEY: "the-key", PREFECT_API_AUTH_STRING: None}), _server(200) as (url, seen):
        check_prefect_api(url + "/api/")
    assert seen == [("/api/health", "Bearer the-key")]
    with _server(404) as (url, _), pytest.raises(ConfigurationError, match=r"answered HTTP 404 to /health"):
        check_prefect_api(f"http://u:pw@{url.removeprefix('http://')}/prefect")
    with _server(401) as (url, _), pytest.raises(ConfigurationError, match="refused the credentials"):
        check_prefect_api(url + "/api")

    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        started = time.monotonic()
        with pytest.raises(ConfigurationError) as refused:
            check_prefect_api(f"http://u:pw@127.0.0.1:{port}/api", timeout=0.5)
        assert time.monotonic() - started < 5
    assert str(refused.value) == (
        f"cannot reach the Prefect API http://u:***@127.0.0.1:{port}/api (PREFECT_API_URL): no answer within 0.5 s"
    )


def test_mask_password():
    assert mask_password("http://user:pw@host:4200/api") == "http://user:***@host:4200/api"
    assert mask_password("postgresql+psycopg://r:p@ss@h/db") == "postgresql+psycopg://r:***@h/db"
    assert mask_password("http://127.0.0.1:4200/api") == "http://127.0.0.1:4200/api"


def test_exit_codes_are_documented_in_the_help(capsys):
    for argv in (["-h"], ["status", "-h"], ["run", "-h"]):
        with pytest.raises(SystemExit) as exited:
            main(argv)
        assert exited.value.code == 0
        out = capsys.readouterr().out
        assert "exit codes:" in out and "\n  3    nothing to show" in out and "\n  1    a bug" in out
    assert "* 3: nothing to show" in cli.__doc__


def test_paths_the_user_named_are_the_users_error_not_a_bug(tmp_path, capsys):
    """A path that cannot be read or written is exit 2 and one line, not "unexpected error", exit 1."""
    a_file = tmp_path / "a-file"
    a_file.write_text("x", encoding="utf-8")
    cases = [
        (
            ["template", "--year", "2026", "--kind", "plan", "-o", str(a_file / "t.xlsx")],
            f"error: cannot write {a_file}",
        ),
        (
            ["frameworks", "--check", str(tmp_path / "missing.yaml")],
            f"error: cannot read {tmp_path / 'missing.yaml'}: No such file or directory\n",
        ),
        (
            ["status", "--year", "2025", "--warehouse", str(a_file / "wh")],
            "error: cannot open the warehouse sqlite:///",
        ),
        (
            _run_args(tmp_path, "--year", "2025", "--extensions", str(tmp_path / "ext.csv")),
            f"error: deadline extensions file {tmp_path / 'ext.csv'} does not exist\n",
        ),
    ]
    for argv, message in cases:
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert err.startswith(message) and err.count("\n") == 1, err


def test_gitignore_and_make_clean_cover_every_generated_file(tmp_path):
    """``make clean`` (on a copy of the Makefile) leaves only the sources; warehouse/locks/ is ignored."""
    assert shutil.which("make"), "make is part of the set-up (`make test` runs this suite)"
    assert "warehouse/locks/" in (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    kept = ["Makefile", "warehouse/api.py", "chanjiao/operations/cli.py", "sample/registry.csv"]
    generated = [
        ".venv/bin/python",
        "warehouse/warehouse.db",
        "warehouse/warehouse.db-wal",
        "warehouse/warehouse.db-shm",
        "warehouse/warehouse.db-journal",
        "warehouse/reports/2025/14/a.csv",
        "warehouse/receipts/2025/r.html",
        "warehouse/locks/province-14.lock",
        "warehouse/inbox.lock",
        "warehouse/prefect-server.log",
        ".pytest_cache/v/x",
        "chanjiao/__pycache__/cli.cpython-311.pyc",
        "tests/operations/__pycache__/t.pyc",
        "chanjiao.egg-info/PKG-INFO",
        "build/lib/x.py",
        "dist/x.whl",
    ]
    for name in kept + generated:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).touch()
    done = subprocess.run(["make", "clean"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    left = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())
    assert left == sorted(kept)
    folders = {str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_dir()}
    assert folders == {
        "chanjiao",
        "chanjiao/operations",
        "sample",
        "tests",
        "tests/operations",
        "warehouse",
    }  # no generated folder left


def test_a_temporary_server_that_does_not_start_is_one_clear_line(tmp_path, monkeypatch):
    """Prefect's "Timed out while attempting to connect to ephemeral Prefect API server" (a busy machine) is
    said plainly, with the log to read and the two ways out; it is not a bug (exit 2, not 1)."""
    from prefect.server.api.server import SubprocessASGIServer
    from prefect.settings import PREFECT_API_URL, temporary_settings

    def timed_out(self, timeout=None):
        raise RuntimeError("Timed out while attempting to connect to ephemeral Prefect API server.")

    monkeypatch.setattr(SubprocessASGIServer, "start", timed_out)
    with temporary_settings({PREFECT_API_URL: None}), pytest.raises(ConfigurationError) as failed:
        with cli.prefect_api(tmp_path):
            raise AssertionError("the body must not run")
    assert str(failed.value).startswith(
        f"the temporary Prefect server did not start (see {tmp_path}/prefect-"
        "server.log): on a busy machine raise "
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"
    )
