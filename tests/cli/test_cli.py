"""The ``chanjiao`` command: quick commands in-process, a whole run as a user would type it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from builders import REGISTRY_CSV, csv_bytes, minimal_fields
from openpyxl import load_workbook

from chanjiao.catalogue import load_catalogue
from chanjiao.cli import main
from chanjiao.ingest import parse_submission
from warehouse import Warehouse

ROOT = Path(__file__).resolve().parents[2]


def test_template_command_writes_the_workbook(tmp_path, capsys):
    out = tmp_path / "2026-计划.xlsx"
    assert main(["template", "--year", "2026", "--kind", "plan", "-o", str(out)]) == 0
    assert "wrote" in capsys.readouterr().out
    sheet = load_workbook(out)["填报数据"]
    assert [c.value for c in sheet[1]] == ["字段代码", "字段名称", "填报值", "说明"]


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
    code = main(["run", "--year", "2025", "--registry", str(registry), "--inbox", str(tmp_path),
                 "--warehouse", str(tmp_path / "wh")])
    assert code == 2
    assert capsys.readouterr().err == (f"error: {registry}: row 2: field province_code: province_code '99' is "
                                       "not a known province\n")


def test_an_unknown_province_is_refused_before_the_run(tmp_path, capsys):
    registry = tmp_path / "registry.csv"
    registry.write_text(REGISTRY_CSV, encoding="utf-8")
    code = main(["run", "--year", "2025", "--province", "77", "--registry", str(registry), "--inbox",
                 str(tmp_path), "--warehouse", str(tmp_path / "wh")])
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
    command = [str(ROOT / ".venv" / "bin" / "chanjiao"), "run", "--year", "2025", "--province", "14",
               "--inbox", str(tmp_path / "inbox"), "--registry", str(registry), "--warehouse",
               str(tmp_path / "wh"), "--as-of", "2025-02-01"]
    return command, env, registry


def test_run_as_a_user_types_it_keeps_the_terminal_clean(tmp_path):
    """A real process, its own temporary Prefect server: only the summary reaches the terminal."""
    command, env, registry = _one_province_run(tmp_path)
    (tmp_path / "inbox" / "2025" / "wrong-year.csv").write_bytes(
        csv_bytes(minimal_fields(consortium_id="SX-2024-02", year=2024)))
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert "inbox: 2 files — 1 accepted, 0 unchanged, 1 rejected" in done.stdout
    assert "rejected 2025/wrong-year.csv: consortium SX-2024-02: field year" in done.stdout
    assert "province 14: missing 2, not_yet_due 3, on_time 1" in done.stdout
    assert f"registry: {registry} (" in done.stdout and "deadline extensions: none" in done.stdout
    assert (tmp_path / "wh" / "reports" / "2025" / "14" / "submissions.csv").exists()

    status = subprocess.run([sys.executable, "-m", "chanjiao.cli", "status", "--year", "2025", "--warehouse",
                             str(tmp_path / "wh")], capture_output=True, text=True, env=env, cwd=ROOT)
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
    assert written and re.search(rf"PDFs rendered .* {int(written[1]) + int(written[2])}/{int(written[1]) + int(written[2])} ",
                                 done.stderr)

    holder = Warehouse.open(f"sqlite:///{tmp_path / 'wh' / 'warehouse.db'}")
    try:
        with holder.lock(["province-14"]):
            locked = subprocess.run(command + ["--no-wait", "--no-pdf"], capture_output=True, text=True, env=env,
                                    timeout=300)
    finally:
        holder.close()
    assert locked.returncode == 2
    assert locked.stderr.startswith(f"error: province-14 is being processed by another run (pid {os.getpid()} on ")
    assert locked.stderr.count("\n") == 1


def test_an_unreachable_database_is_one_clear_line_without_the_password(tmp_path, capsys):
    registry = tmp_path / "registry.csv"
    registry.write_text(REGISTRY_CSV, encoding="utf-8")
    url = "postgresql+psycopg://reporter:s3cret@127.0.0.1:1/warehouse"
    code = main(["run", "--year", "2025", "--registry", str(registry), "--inbox", str(tmp_path),
                 "--database-url", url])
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
    assert capsys.readouterr().out == committed, "regenerate: .venv/bin/chanjiao rules --markdown > expectations/RULES.md"


def test_override_needs_a_validated_version(tmp_path, capsys):
    args = ["override", "--consortium", "SX-2024-01", "--year", "2025", "--kind", "plan", "--rule", "yoy",
            "--reason", "ok", "--by", "李审核", "--warehouse", str(tmp_path)]
    assert main(args) == 2
    assert "no accepted 2025 plan on file" in capsys.readouterr().err
    handle = Warehouse.open(f"sqlite:///{tmp_path / 'warehouse.db'}")
    try:
        handle.save_submission(parse_submission("2025/a.csv", csv_bytes(minimal_fields()), load_catalogue(),
                                                {"SX-2024-01"}))
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
    assert main(["scores", "--year", "2025", "--warehouse", str(tmp_path)]) == 1
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
    config.write_text(f"<?xml version='1.0'?><fontconfig><cachedir>{tmp_path / 'fc'}</cachedir></fontconfig>",
                      encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "FONTCONFIG_"))}
    env.update(PREFECT_HOME=str(tmp_path / "prefect-home"), FONTCONFIG_FILE=str(config),
               XDG_CACHE_HOME=str(tmp_path / "cache"))
    command = [str(ROOT / ".venv" / "bin" / "chanjiao"), "run", "--year", "2025", "--province", "14",
               "--inbox", str(tmp_path / "inbox"), "--registry", str(registry), "--warehouse",
               str(tmp_path / "wh"), "--as-of", "2025-02-01"]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.startswith("error: no Chinese (CJK) font found") and "fonts-noto-cjk" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "wh" / "reports").exists() and not (tmp_path / "wh" / "receipts").exists()
