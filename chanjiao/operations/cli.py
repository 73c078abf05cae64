"""``chanjiao``: run the pipeline, write the blank template, withdraw a version, accept a warning, print the
rule catalogue, regenerate the sample.

Runs go through the Prefect flow; quick commands use the core and the warehouse directly. Every error the
pipeline raises on purpose becomes one line here (:func:`chanjiao.common.errors.user_message`).

Exit codes, the same for every command:

* 0: done;
* 2: the user's error, said in one line on stderr (bad arguments, an unknown province or year, a bad registry,
  a path or server that cannot be reached, a province locked by another run with ``--no-wait``, …);
* 3: nothing to show (``status`` or ``scores`` of a year not processed yet: run it first);
* 1: a bug (an unexpected error; ``-v`` shows the traceback);
* 130: interrupted (Ctrl-C).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
from datetime import date
from pathlib import Path

from chanjiao import __version__
from chanjiao.common.errors import ChanjiaoError, ConfigurationError, mask_password, user_message
from chanjiao.reference.labels import kind_full_label, labels

log = logging.getLogger("chanjiao.operations.cli")
_SHOWN_REJECTIONS = 20
EXIT_OK, EXIT_BUG, EXIT_USER_ERROR, EXIT_NOTHING_TO_SHOW, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
EXIT_CODES = """exit codes:
  0    done
  2    your error, in one line on stderr: bad arguments, an unknown province
       or year, a bad registry, a path or server that cannot be reached, a
       province locked by another run (--no-wait), ...
  3    nothing to show: status/scores of a year not processed yet (run it)
  1    a bug: an unexpected error (-v shows the traceback)
  130  interrupted"""
_PRECHECK_SECONDS = 3.0  # how long `run` waits for the configured Prefect API's /health before giving up


def _as_of(text: str | None) -> date | None:
    """``--as-of`` in any form a submission's dates may take (:func:`chanjiao.intake.normalize.parse_date`)."""
    if text is None:
        return None
    from chanjiao.intake.normalize import ValueProblem, parse_date

    try:
        return parse_date(text)
    except ValueProblem as exc:
        raise ConfigurationError(f"--as-of: {exc}") from None


def _path_error(exc: OSError, doing: str) -> ConfigurationError:
    """A file or folder an operator named that cannot be read or written: one line, the user's error."""
    detail = exc.strerror or type(exc).__name__
    named = exc.filename is not None and str(exc.filename) not in doing
    return ConfigurationError(f"cannot {doing}: {detail}" + (f" ({exc.filename})" if named else ""))


def _year(text: str) -> int:
    if not text.isdigit() or not 2000 <= int(text) <= 2100:
        raise argparse.ArgumentTypeError(f"{text!r} is not a year")
    return int(text)


def _labelled(group: str) -> str:
    """Help text naming each choice's Chinese label (chanjiao/data/labels.csv): ``plan = 年度工作计划, …``."""
    return ", ".join(f"{key} = {label}" for key, label in labels(group).items())


def _say(text: str = "") -> None:
    sys.stdout.write(text + "\n")


# --- the Prefect server for a one-off run -------------------------------------------------------


def _quiet_prefect_environment(verbose: bool) -> None:
    """Before prefect is imported: no telemetry, and on the console only what a user needs."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_UI_ENABLED", "false")
    # A temporary server on a busy machine can take longer than Prefect's 20 s to answer: wait, don't fail.
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "60")
    if not verbose:
        # The run's logs still reach the Prefect API (and its UI); the terminal gets the CLI's summary.
        os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "CRITICAL")


@contextlib.contextmanager
def prefect_api(log_dir: Path):
    """Use the configured Prefect API, or start a temporary server whose output goes to a log file.

    Prefect's own temporary server prints CancelledError tracebacks into the terminal when it stops; this
    one writes everything to ``<warehouse>/prefect-server.log`` instead, so the user's terminal stays clean.
    """
    from prefect.settings import PREFECT_API_URL, temporary_settings

    if PREFECT_API_URL.value():
        check_prefect_api(PREFECT_API_URL.value())
        yield PREFECT_API_URL.value()
        return
    import subprocess

    from prefect.server.api.server import SubprocessASGIServer

    log_dir.mkdir(parents=True, exist_ok=True)
    log_file = open(log_dir / "prefect-server.log", "ab")

    class _LoggedServer(SubprocessASGIServer):
        def _run_uvicorn_command(self):
            real_popen = subprocess.Popen

            def popen(*args, **kwargs):
                return real_popen(*args, stdout=log_file, stderr=log_file, **kwargs)

            subprocess.Popen = popen
            try:
                return super()._run_uvicorn_command()
            finally:
                subprocess.Popen = real_popen

    server = _LoggedServer()
    logging.getLogger("prefect.server.api.server").setLevel(logging.WARNING)
    try:
        try:
            server.start()
        except RuntimeError:  # "Timed out while attempting to connect to ephemeral Prefect API server"
            raise ConfigurationError(
                f"the temporary Prefect server did not start (see {log_dir / 'prefect-server.log'}): on a busy "
                "machine raise PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS, or set PREFECT_API_URL to a "
                "running Prefect server"
            ) from None
        with temporary_settings({PREFECT_API_URL: server.api_url}):
            yield server.api_url
    finally:
        from prefect.logging.handlers import APILogWorker

        APILogWorker.drain_all(timeout=5)  # send the run's last log lines before the server goes away
        server.stop()
        log_file.close()


def check_prefect_api(api_url: str, timeout: float = _PRECHECK_SECONDS) -> None:
    """The configured Prefect API answers ``<api>/health`` within ``timeout`` seconds, or one clear line
    (a password in the URL masked): Prefect's own client would retry for many seconds, then print a traceback."""
    import ssl

    import httpx
    from prefect.settings import (
        PREFECT_API_AUTH_STRING,
        PREFECT_API_KEY,
        PREFECT_API_SSL_CERT_FILE,
        PREFECT_API_TLS_INSECURE_SKIP_VERIFY,
    )

    where = mask_password(api_url)
    headers = {}
    if PREFECT_API_AUTH_STRING.value():  # as Prefect's client authenticates: auth string, else API key
        import base64

        headers["Authorization"] = "Basic " + base64.b64encode(PREFECT_API_AUTH_STRING.value().encode()).decode()
    elif PREFECT_API_KEY.value():
        headers["Authorization"] = f"Bearer {PREFECT_API_KEY.value()}"
    if PREFECT_API_TLS_INSECURE_SKIP_VERIFY.value():
        verify: ssl.SSLContext | bool = False
    else:
        import certifi

        verify = ssl.create_default_context(cafile=PREFECT_API_SSL_CERT_FILE.value() or certifi.where())
    try:
        response = httpx.get(api_url.rstrip("/") + "/health", headers=headers, timeout=timeout, verify=verify)
    except (httpx.HTTPError, httpx.InvalidURL, ValueError, OSError) as exc:
        reason = str(exc) or type(exc).__name__
        if isinstance(exc, httpx.TimeoutException):
            reason = f"no answer within {timeout:g} s"
        raise ConfigurationError(f"cannot reach the Prefect API {where} (PREFECT_API_URL): {reason}") from None
    if response.status_code in (401, 403):
        raise ConfigurationError(
            f"the Prefect API {where} (PREFECT_API_URL) refused the credentials (HTTP "
            f"{response.status_code}): check PREFECT_API_KEY or PREFECT_API_AUTH_STRING"
        )
    if response.is_error:
        raise ConfigurationError(
            f"the Prefect API {where} (PREFECT_API_URL) answered HTTP {response.status_code} "
            "to /health: is it a Prefect server's API URL (e.g. http://127.0.0.1:4200/api)?"
        )


# --- commands -----------------------------------------------------------------------------------


def cmd_run(args: argparse.Namespace) -> int:
    from chanjiao.operations.settings import Settings

    _quiet_prefect_environment(args.verbose)
    from chanjiao.operations.doctor import broken_combinations, installed_versions

    for problem in broken_combinations(installed_versions()):  # this run works; the schedules would not
        log.warning("known-broken versions (see `chanjiao doctor`): %s", problem)
    from prefect.settings import PREFECT_API_URL

    if PREFECT_API_URL.value():  # now: before a Secret block is read from it, and not after the ~10 s of
        check_prefect_api(PREFECT_API_URL.value())  # importing the flow (prefect_api checks again)
    settings = (
        Settings()
        .with_overrides(
            inbox_dir=args.inbox,
            registry_file=args.registry,
            extensions_file=args.extensions,
            warehouse_dir=args.warehouse,
            database_url=args.database_url,
        )
        .resolved()
    )
    # Read by the flow's own Settings(): a URL with a password is never a flow parameter (parameters are shown
    # in the Prefect UI and sent in notifications).
    flow_environment = {"CHANJIAO_DATABASE_URL": args.database_url}
    from chanjiao.quality.timeliness import check_reporting_year, today_in_china
    from chanjiao.reference.registry import load_reference

    # Fail fast, before a Prefect server is started, on the mistakes an operator makes most.
    args.as_of = _as_of(args.as_of)  # the flow gets the date itself, whatever form it was typed in
    as_of = args.as_of or today_in_china()
    if settings.extensions_file is not None and not settings.extensions_file.is_file():
        raise ConfigurationError(f"deadline extensions file {settings.extensions_file} does not exist")
    reference = load_reference(settings.registry_file, settings.extensions_path, settings.frameworks_dir)
    reference.select_provinces(args.year or as_of.year, args.province)  # unknown codes: say so now
    if args.year is not None:  # a year nothing can be reported for (later than as-of, nobody expected)
        check_reporting_year(reference.registry, args.year, as_of, args.province)
    if args.dask_address:
        args.task_runner = "dask"
    _open_warehouse(args).close()  # migrates, and says plainly when the database cannot be reached
    if not settings.inbox_dir.is_dir():
        raise ConfigurationError(f"inbox folder {settings.inbox_dir} does not exist")
    if args.pdf:
        from chanjiao.reporting.pdf import require_cjk_font, warn_if_slow_subsetting

        require_cjk_font()  # no Chinese font, no PDFs: say so before any work is done
        warn_if_slow_subsetting()

    from flows.annual_compliance import annual_compliance

    log.info(
        "annual-compliance %s: inbox %s, warehouse %s",
        args.year or "current year",
        settings.inbox_dir,
        mask_password(settings.url),
    )
    with _environment(flow_environment), prefect_api(settings.warehouse_dir), _progress_display(args.progress):
        result = annual_compliance(
            year=args.year,
            provinces=args.province or None,
            as_of=args.as_of,
            force=args.force,
            pdf=args.pdf,
            task_runner=args.task_runner,
            dask_address=args.dask_address,
            wait=not args.no_wait,  # --no-wait: a province another run holds stops this run at once
            **settings.path_parameters(),
        )
    for one in result.get("years", [result]):
        _print_year(one, settings, reference)
    return 0


@contextlib.contextmanager
def _environment(values: dict[str, str | None]):
    """Set the given environment variables (``None``: leave as is) for the block, then restore them."""
    saved = {name: os.environ.get(name) for name, value in values.items() if value is not None}
    os.environ.update({name: value for name, value in values.items() if value is not None})
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextlib.contextmanager
def _progress_display(choice: str | None):
    """The terminal progress display (files ingested, reports rendered, time left) on stderr: on a terminal
    by default, or as asked (``--progress`` / ``--no-progress``)."""
    wanted = sys.stderr.isatty() if choice is None else choice == "on"
    if not wanted:
        yield
        return
    from chanjiao.operations import progress

    with progress.TerminalDisplay() as display, progress.listening(display):
        yield


def _print_year(result: dict, settings, reference) -> None:
    _say(f"annual-compliance {result['year']} (as of {result['as_of']})")
    extensions = settings.extensions_path
    _say(
        f"  registry: {settings.registry_file} ({len(reference.registry)} consortia); deadline extensions: "
        + (f"{extensions} ({len(reference.extensions)})" if extensions else "none")
    )
    _say(
        f"  inbox: {result['files_seen']} files — {result['accepted']} accepted, {result['unchanged']} "
        f"unchanged, {len(result['rejected'])} rejected"
    )
    for file, reason in result["rejected"][:_SHOWN_REJECTIONS]:
        _say(f"    rejected {reason}")
    if len(result["rejected"]) > _SHOWN_REJECTIONS:
        _say(f"    … and {len(result['rejected']) - _SHOWN_REJECTIONS} more: see reports/<year>/_rejected.csv")
    for name in result["ignored"]:
        _say(f"    ignored {name}: not under a year folder (INBOX/<year>/)")
    if not result["provinces"]:
        _say(f"  no consortium in the registry is recognised by {result['year']}: no province to process")
    for province, counts in sorted(result["provinces"].items()):
        _say(f"  province {province}: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    findings = result.get("findings", {})
    _say(
        f"  data quality {result['year']}: {findings.get('fatal', 0)} fatal, {findings.get('warning', 0)} warning, "
        f"{findings.get('info', 0)} info findings (receipts under {result['receipts']})"
    )
    for province, summary in sorted(result.get("scores", {}).items()):
        top = ", ".join(f"{cid} {total} {grade}" for cid, total, grade in summary["top"])
        _say(
            f"  scores {province}: {summary['scored']} consortia ("
            + ", ".join(f"{grade} {n}" for grade, n in summary["grades"].items())
            + f"); top: {top}"
        )
        _say(
            f"    shortlisted: {', '.join(summary['shortlisted']) or 'none'}; "
            f"adjustment: {', '.join(summary['adjustment']) or 'none'}"
            + (f"; no summary: {', '.join(summary['no_summary'])}" if summary["no_summary"] else "")
        )
    pdfs = result.get("pdfs")
    if pdfs:
        _say(
            f"  PDF reports: {pdfs['reports']} reports and {pdfs['receipts']} receipts written (PDF/A-3b, "
            f"{pdfs['pages']} pages, {pdfs['seconds']} s of render time); {pdfs['skipped']} unchanged, skipped"
        )
        if pdfs["revised"]:
            _say(f"    revised after publication (修订版): {', '.join(pdfs['revised'])}")
    timings = result.get("timings") or {}
    if timings:
        _say("  timings: " + ", ".join(f"{stage} {seconds:.1f} s" for stage, seconds in timings.items()))
    _say("  outputs:")
    for path in result["outputs"]:
        _say(f"    {path}")


def cmd_template(args: argparse.Namespace) -> int:
    from chanjiao.common.fileio import write_atomic
    from chanjiao.intake.template import blank_workbook
    from chanjiao.reference.catalogue import load_catalogue

    try:
        path = write_atomic(args.output, blank_workbook(load_catalogue(), args.year, args.kind))
    except OSError as exc:
        raise _path_error(exc, f"write {args.output}") from None
    _say(f"wrote {path} ({args.year} {args.kind}: {kind_full_label(args.kind)})")
    return 0


def _open_warehouse(args: argparse.Namespace):
    from chanjiao.operations.settings import Settings
    from warehouse import Warehouse

    settings = Settings().with_overrides(warehouse_dir=args.warehouse, database_url=args.database_url).resolved()
    try:
        return Warehouse.open(settings.url)
    except OSError as exc:  # a warehouse folder that cannot be created or written
        raise _path_error(exc, f"open the warehouse {mask_password(settings.url)}") from None


def cmd_withdraw(args: argparse.Namespace) -> int:
    warehouse = _open_warehouse(args)
    try:
        record = warehouse.withdraw(args.consortium, args.year, args.kind, args.version, args.reason)
    finally:
        warehouse.close()
    _say(
        f"withdrew {record.consortium_id} {record.year} {record.kind} v{record.version} ({record.source_file}): "
        f"{record.withdrawn_reason}. Re-run `chanjiao run --year {record.year}` to update timeliness."
    )
    return 0


def _check_province(code: str | None) -> None:
    """A province named to ``status`` or ``scores`` must be a known GB/T 2260 code (chanjiao/data/provinces.csv),
    so a typo is not taken for "nothing processed yet"."""
    if code is None:
        return
    from chanjiao.reference.catalogue import data_text
    from chanjiao.reference.registry import parse_provinces

    known = parse_provinces(data_text("provinces.csv"), "chanjiao/data/provinces.csv").index
    if code not in known:
        raise ConfigurationError(f"unknown province {code} (known: {', '.join(known)})")


def _nothing_yet(what: str, args: argparse.Namespace) -> int:
    where = f" in province {args.province}" if args.province else ""
    _say(f"no {what} for {args.year}{where} yet: run `chanjiao run --year {args.year}` first")
    return EXIT_NOTHING_TO_SHOW


def cmd_status(args: argparse.Namespace) -> int:
    _check_province(args.province)
    warehouse = _open_warehouse(args)
    try:
        rows = warehouse.timeliness(args.year, args.province)
    finally:
        warehouse.close()
    if not rows:
        return _nothing_yet("timeliness", args)
    _say(f"{'consortium':<14} {'kind':<8} {'due':<10}  {'status':<11} {'late':>4}  approved  version")
    for row in rows:
        late = "" if row["days_late"] is None else str(row["days_late"])
        version = "" if row["latest_version"] is None else f"v{row['latest_version']}"
        _say(
            f"{row['consortium_id']:<14} {row['kind']:<8} {row['due_date']:%Y-%m-%d}  {row['status']:<11} "
            f"{late:>4}  {'yes' if row['city_approved'] else 'no':<8}  {version}"
        )
    return 0


def cmd_override(args: argparse.Namespace) -> int:
    import pandas as pd

    from chanjiao.quality.checks import Override, override_target
    from chanjiao.quality.timeliness import latest_versions, live_versions, versions_frame

    if not args.reason.strip() or not args.by.strip():
        raise ConfigurationError("an override needs a reason (--reason) and a reviewer's name (--by)")
    warehouse = _open_warehouse(args)
    try:
        frame = live_versions(
            versions_frame(
                r for r in warehouse.versions(year=args.year, consortium_ids=[args.consortium]) if r.kind == args.kind
            )
        )
        if not len(frame):
            raise ConfigurationError(f"no accepted {args.year} {args.kind} on file", consortium=args.consortium)
        latest = latest_versions(frame).iloc[0]
        where = f"the {args.year} {args.kind} v{latest['version']}"
        if pd.isna(latest["validated_at"]):
            raise ConfigurationError(
                f"{where} has not been validated yet: run `chanjiao run --year {args.year}` first",
                consortium=args.consortium,
            )
        target = override_target(
            warehouse.findings([int(latest["id"])]), args.rule, args.field, consortium_id=args.consortium, where=where
        )
        record = warehouse.add_override(
            Override(
                consortium_id=args.consortium,
                year=args.year,
                kind=args.kind,
                field=target["field"],
                rule=target["rule"],
                value=target["value"],
                reason=args.reason.strip(),
                by=args.by.strip(),
                at=None,
            ),
            version_id=int(latest["id"]),
        )
    finally:
        warehouse.close()
    _say(
        f"accepted the {record.rule} {target['severity']} on {record.field} in {args.consortium}'s {args.year} "
        f"{args.kind} v{latest['version']} (value {record.value}), by {record.by}: {record.reason}"
    )
    _say(
        f"It applies while the value stays the same; re-run `chanjiao run --year {args.year}` to update the "
        "exports and receipts."
    )
    return 0


def cmd_rules(args: argparse.Namespace) -> int:
    from chanjiao.reference.catalogue import load_catalogue
    from expectations.rules import default_rules, rules_markdown

    if args.field is not None and args.field not in load_catalogue():
        raise ConfigurationError(f"no field {args.field!r} in the field catalogue (chanjiao/data/fields.csv)")
    rules = [
        r
        for r in default_rules()
        if (args.field is None or r.field == args.field) and (args.severity is None or r.severity == args.severity)
    ]
    if args.markdown:
        _say(rules_markdown(rules).rstrip("\n"))
        return 0
    for spec in rules:
        flags = (
            ", ".join(spec.kinds) + ("; veto" if spec.veto else "") + ("" if spec.overridable else "; not overridable")
        )
        _say(f"{spec.rule_id}  [{spec.severity}]  ({flags})")
        _say(f"    {spec.message}")
        _say(f"    修改：{spec.fix}")
        _say(f"    source: {spec.source}")
    _say(f"{len(rules)} rules")
    return 0


def cmd_scores(args: argparse.Namespace) -> int:
    from chanjiao.reference.formatting import fmt_score

    _check_province(args.province)
    warehouse = _open_warehouse(args)
    try:
        rows = warehouse.scores(args.year, args.province)
    finally:
        warehouse.close()
    if not rows:
        return _nothing_yet("scores", args)
    province = None
    for row in rows:
        if row["province_code"] != province:
            province = row["province_code"]
            _say(
                f"province {province} — {row['framework_id']} v{row['framework_version']} "
                f"(sha256 {row['framework_digest']}), as of {row['as_of']:%Y-%m-%d}"
            )
            _say(f"{'rank':>4}  {'consortium':<14} {'total':>5}  {'grade':<4} plan      adjust  shortlist")
        plan = (
            "no plan"
            if row["plan_reason"] == "no plan"
            else (f"{'done' if row['plan_completed'] else 'not'} {row['plan_targets_met']}/{row['plan_targets']}")
        )
        note = "  (no summary)" if row["note"] else ""
        _say(
            f"{row['rank']:>4}  {row['consortium_id']:<14} {fmt_score(row['total']):>5}  {row['grade']:<4} "
            f"{plan:<9} {'yes' if row['adjustment'] else 'no':<7} {'yes' if row['shortlisted'] else 'no'}{note}"
        )
    return 0


def cmd_frameworks(args: argparse.Namespace) -> int:
    from chanjiao.reference.catalogue import load_catalogue
    from chanjiao.reference.frameworks import load_frameworks, parse_framework

    if args.check:
        try:
            text = args.check.read_text(encoding="utf-8")
        except OSError as exc:
            raise _path_error(exc, f"read {args.check}") from None
        except UnicodeDecodeError:
            raise ConfigurationError("not UTF-8 text: save the framework file as UTF-8", file=str(args.check)) from None
        framework = parse_framework(text, load_catalogue(), str(args.check))
        _say(
            f"{args.check}: framework {framework.label} is valid: {len(framework.indicators)} indicators, "
            f"{len(framework.points)} points"
        )
        return 0
    from chanjiao.operations.settings import Settings

    frameworks = load_frameworks(Settings().frameworks_dir)
    if args.id and args.id not in frameworks:
        raise ConfigurationError(f"no framework {args.id!r} (known: {', '.join(frameworks)})")
    for framework in [frameworks[args.id]] if args.id else frameworks.values():
        _say(f"{framework.label} — {framework.name_zh}")
        for indicator, point in framework.points:
            params = {
                "combine": point.combine if len(point.parts) > 1 and point.method != "milestone+presence" else "",
                "target": point.target,
                "per_unit": point.per_unit,
                "max": point.cap,
                "items": ";".join(point.items),
                "scores": "/".join(map(str, point.scores)),
                "tiers": "/".join(f"{n}字:{s}" for n, s in point.tiers),
            }
            shown = ", ".join(f"{k}={v}" for k, v in params.items() if v not in ("", None))
            _say(
                f"  {indicator.code} w{indicator.weight}  {point.code:<5} {point.method:<18} {point.inputs}"
                + (f"  [{shown}]" if shown else "")
                + f"  {point.name_zh}"
            )
    return 0


def cmd_sample(args: argparse.Namespace) -> int:
    from chanjiao.generated.sample import generate_sample

    try:
        manifest = generate_sample(args.out, seed=args.seed)
    except OSError as exc:
        raise _path_error(exc, f"write the sample to {args.out}") from None
    _say(f"wrote the sample to {args.out}: {len(manifest['files'])} files (seed {args.seed})")
    return 0


def cmd_notify(args: argparse.Namespace) -> int:
    """Create or update the notifications (block + automations: failed, skipped, nightly missed) on the Prefect
    server."""
    _quiet_prefect_environment(verbose=False)
    from datetime import timedelta

    from prefect.settings import PREFECT_API_URL

    from chanjiao.operations.notifications import entry_point_installed, setup_notifications

    api_url = PREFECT_API_URL.value()
    if not api_url:
        raise ConfigurationError(
            "PREFECT_API_URL is not set: point it at the Prefect server the deployments run "
            "on (e.g. http://127.0.0.1:4200/api); a notification needs that server"
        )
    secret = args.secret
    if secret == "-":
        secret = sys.stdin.readline().strip()
    if secret is not None and args.payload != "dingtalk":
        raise ConfigurationError(
            "--secret is the signing secret (加签) of a DingTalk robot: use it with --format dingtalk"
        )
    if not 10 / 3600 <= args.nightly_window <= 24 * 14:
        raise ConfigurationError(
            f"--nightly-window: {args.nightly_window:g} hours is not between 10 seconds and 14 days"
        )
    check_prefect_api(api_url)  # one line if the server does not answer, not a client's traceback
    try:
        setup = setup_notifications(
            args.webhook_url,
            name=args.name,
            payload=args.payload,
            secret=secret,
            missed_within=timedelta(hours=args.nightly_window),
        )
    except ValueError as exc:
        raise ConfigurationError(str(exc)) from None
    kind = "signed DingTalk robot" if secret is not None else f"webhook ({args.payload} format)"
    _say(f"notifications {args.name!r} on {api_url}: {kind} block {setup.block_id}")
    if secret is not None and not entry_point_installed():
        log.warning(
            "this environment lacks chanjiao's `prefect.collections` entry point, so a Prefect server "
            "running from it cannot load the signed DingTalk block and will not send these messages: "
            "reinstall the project (make setup), then restart the server"
        )
    names, ids = setup.automation_names, setup.automation_ids
    _say(
        f"  automation {names['failed']} {ids['failed']}: a run of nightly, on-demand, after-deadline or "
        "deadline-reminder that fails, crashes or times out"
    )
    _say(
        f"  automation {names['skipped']} {ids['skipped']}: a run skipped because the previous one was still "
        "going (concurrency limit)"
    )
    _say(
        f"  automation {names['missed']} {ids['missed']}: no completed run of annual-compliance/nightly within "
        f"{args.nightly_window:g} hours"
    )
    _say("re-run this command to change them")
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    """Check the installation the unattended runs depend on; exit 2 when something is broken."""
    from chanjiao.operations.doctor import broken_combinations, installed_versions

    versions = installed_versions()
    problems = broken_combinations(versions)
    _say("versions: " + ", ".join(f"{name} {version}" for name, version in sorted(versions.items())))
    for problem in problems:
        _say(f"  BROKEN {problem}")
    from chanjiao.operations.notifications import entry_point_installed

    _say(
        "signed DingTalk notifications: "
        + (
            "the server can load their block"
            if entry_point_installed()
            else "NOT available (the project is not installed: run `make setup`, then restart the Prefect server)"
        )
    )
    if not args.server:
        from chanjiao.operations.settings import Settings
        from chanjiao.reporting.pdf import harfbuzz_subset_available, require_cjk_font

        try:
            _say(f"Chinese font: {require_cjk_font()}")
        except ChanjiaoError as exc:
            problems.append(str(exc))
            _say(f"  BROKEN {exc}")
        _say(
            "font subsetting: "
            + ("HarfBuzz" if harfbuzz_subset_available() else "fontTools (slow: install libharfbuzz-subset0)")
        )
        settings = Settings()
        _say(
            f"warehouse: the URL in the Prefect Secret block {settings.database_secret!r}"
            if settings.database_secret and not settings.database_url
            else f"warehouse: {mask_password(settings.url)}"
        )
    if problems:
        sys.stderr.write(
            f"error: {len(problems)} problem(s): the scheduled runs cannot be trusted on this "
            "installation (see BROKEN above)\n"
        )
        return 2
    _say("ok")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="chanjiao",
        description="市域产教联合体 yearly compliance reporting",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"chanjiao {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    def storage_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--warehouse", type=Path, help="warehouse folder (default: ./warehouse of the project)")
        p.add_argument("--database-url", help="SQLAlchemy URL (default: SQLite in the warehouse folder)")

    run = commands.add_parser("run", help="ingest the inbox and process one year")
    run.add_argument(
        "--year", type=_year, help="the year to process (default: the current year, and the previous one until 01-31)"
    )
    run.add_argument(
        "--province",
        action="append",
        metavar="CODE",
        help="province code (GB/T 2260), repeatable; default all provinces",
    )
    run.add_argument("--inbox", type=Path, help="inbox folder holding <year>/ subfolders")
    run.add_argument("--registry", type=Path, help="consortium registry CSV")
    run.add_argument("--extensions", type=Path, help="deadline extensions CSV")
    run.add_argument(
        "--as-of",
        metavar="DATE",
        help="judge deadlines as of this date, written as in a submission: 2025-12-16, 2025/12/16, "
        "2025.12.16 or 2025年12月16日 (default: today, Beijing)",
    )
    run.add_argument(
        "--no-pdf", dest="pdf", action="store_false", help="data only: skip the PDF reports and the receipts' PDFs"
    )
    run.add_argument(
        "--force", action="store_true", help="render every report again, even those whose inputs did not change"
    )
    run.add_argument(
        "--task-runner",
        choices=("process", "dask"),
        default="process",
        help="render PDFs in a local process pool (default) or on a Dask cluster",
    )
    run.add_argument(
        "--dask-address",
        metavar="ADDRESS",
        help="scheduler of an existing Dask cluster (tcp://host:8786); default: a local cluster",
    )
    run.add_argument(
        "--no-wait",
        action="store_true",
        help="if another run holds the province, stop at once instead of waiting for it",
    )
    run.add_argument(
        "--progress",
        dest="progress",
        action="store_const",
        const="on",
        help="show the progress display (default: when stderr is a terminal)",
    )
    run.add_argument("--no-progress", dest="progress", action="store_const", const="off")
    run.add_argument("-v", "--verbose", action="store_true", help="show Prefect's run logs")
    storage_options(run)
    run.set_defaults(handler=cmd_run)

    template = commands.add_parser("template", help="write the blank submission workbook")
    template.add_argument("--year", type=_year, required=True)
    template.add_argument("--kind", choices=("plan", "summary"), required=True, help=_labelled("kind_full"))
    template.add_argument("-o", "--output", type=Path, required=True)
    template.set_defaults(handler=cmd_template)

    withdraw = commands.add_parser("withdraw", help="mark a version filed in error as withdrawn")
    withdraw.add_argument("--consortium", required=True)
    withdraw.add_argument("--year", type=_year, required=True)
    withdraw.add_argument("--kind", choices=("plan", "summary"), required=True, help=_labelled("kind_full"))
    withdraw.add_argument("--version", type=int, required=True)
    withdraw.add_argument("--reason", required=True)
    storage_options(withdraw)
    withdraw.set_defaults(handler=cmd_withdraw)

    status = commands.add_parser("status", help="show the stored timeliness of a year")
    status.add_argument("--year", type=_year, required=True)
    status.add_argument("--province")
    storage_options(status)
    status.set_defaults(handler=cmd_status)

    override = commands.add_parser(
        "override", help="accept a warning (or info) finding on a consortium's latest version"
    )
    override.add_argument("--consortium", required=True)
    override.add_argument("--year", type=_year, required=True)
    override.add_argument("--kind", choices=("plan", "summary"), required=True, help=_labelled("kind_full"))
    override.add_argument("--rule", required=True, help="rule family (yoy) or rule id (apprentices.yoy)")
    override.add_argument("--field", help="the field, when the rule has findings on several")
    override.add_argument("--reason", required=True)
    override.add_argument("--by", required=True, help="the reviewer's name")
    storage_options(override)
    override.set_defaults(handler=cmd_override)

    rules = commands.add_parser("rules", help="print the data-quality rule catalogue")
    rules.add_argument("--field", help="only the rules of this field")
    rules.add_argument("--severity", choices=("fatal", "warning", "info"), help=_labelled("severity"))
    rules.add_argument("--markdown", action="store_true", help="as the Markdown table of expectations/RULES.md")
    rules.set_defaults(handler=cmd_rules)

    scores = commands.add_parser("scores", help="show the stored ranking of a year")
    scores.add_argument("--year", type=_year, required=True)
    scores.add_argument("--province")
    storage_options(scores)
    scores.set_defaults(handler=cmd_scores)

    frameworks = commands.add_parser("frameworks", help="list the scoring frameworks, or check a framework file")
    frameworks.add_argument("id", nargs="?", help="only this framework")
    frameworks.add_argument("--check", type=Path, metavar="FILE", help="validate a framework file and say why not")
    frameworks.set_defaults(handler=cmd_frameworks)

    sample = commands.add_parser("sample", help="regenerate the seeded sample inbox and registry")
    sample.add_argument("--out", type=Path, default=Path("sample"))
    sample.add_argument("--seed", type=int, default=20250101)
    sample.set_defaults(handler=cmd_sample)
    notify = commands.add_parser(
        "notify",
        help="send failed or skipped unattended runs, and a missed night, to a "
        "webhook (Prefect automations; re-running updates them)",
    )
    notify.add_argument(
        "--webhook-url",
        required=True,
        help="http(s) URL the notification is POSTed to (stored as a secret on the server)",
    )
    notify.add_argument(
        "--format",
        dest="payload",
        choices=("generic", "wecom", "dingtalk"),
        default="generic",
        help="generic: JSON {source, notification, subject, body}; wecom/dingtalk: the group "
        "robot's text message (企业微信/钉钉群机器人)",
    )
    notify.add_argument(
        "--secret",
        metavar="SEC…",
        help="DingTalk robot secured with 加签: its signing secret (with --format dingtalk; '-' "
        "reads it from standard input). Each message is signed when the server sends it",
    )
    notify.add_argument(
        "--nightly-window",
        type=float,
        default=26,
        metavar="HOURS",
        help="notify when no run of annual-compliance/nightly has completed for this long (default: %(default)s)",
    )
    notify.add_argument(
        "--name",
        default="chanjiao-run-failed",
        help="name of the notification block and of the failure automation; the others are "
        "named after it (default: %(default)s)",
    )
    notify.set_defaults(handler=cmd_notify)
    doctor = commands.add_parser(
        "doctor", help="check the installation: known-broken package versions, fonts (exit 2 when broken)"
    )
    doctor.add_argument(
        "--server",
        action="store_true",
        help="only what the Prefect server needs (its systemd unit runs this before starting)",
    )
    doctor.set_defaults(handler=cmd_doctor)
    for command in commands.choices.values():  # `chanjiao <command> -h` lists the exit codes too
        command.epilog = EXIT_CODES
        command.formatter_class = argparse.RawDescriptionHelpFormatter
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    verbose = getattr(args, "verbose", False)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    ours = logging.getLogger("chanjiao")
    ours.addHandler(handler)
    ours.setLevel(logging.INFO if verbose else logging.WARNING)
    ours.propagate = False
    try:
        return args.handler(args)
    except ChanjiaoError as exc:  # the user's error (a mistake, a path, a server): one line
        sys.stderr.write(user_message(exc) + "\n")
        return EXIT_USER_ERROR
    except BrokenPipeError:  # `chanjiao scores … | head`: the reader has all it wanted
        sys.stderr = open(os.devnull, "w")
        return EXIT_OK
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return EXIT_INTERRUPTED
    except Exception as exc:  # anything else is a bug
        if verbose:
            raise
        sys.stderr.write(user_message(exc) + " (run with -v for the full traceback)\n")
        return EXIT_BUG


if __name__ == "__main__":
    raise SystemExit(main())
