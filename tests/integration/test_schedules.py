"""The unattended side as it really runs: a Prefect server WITH its scheduler service on, `prefect deploy
--all`, and the scheduled runs it creates by itself.

1. The server creates SCHEDULED runs for `nightly` (02:00), `after-deadline` (01:30) and
   `deadline-reminder` (08:00), at the UTC instants of those Beijing (Asia/Shanghai, UTC+8, no daylight
   saving) times — 18:00, 17:30 and 00:00 UTC — and none for `on-demand`.
2. A process worker picks up one of those scheduler-made runs (moved to now) and completes it.

With SQLAlchemy 2.1 Prefect 3.8.8's scheduler fails every loop ("Can't evaluate bulk DML statement") and no
run is ever created: this test then fails in (1), showing the server log. The other integration tests run
their server with the scheduler off, so that a worker finds only the runs they make.
"""

from __future__ import annotations

import shutil
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from integration_support import PROJECT, start_prefect_server, stop_prefect_server, tail

pytestmark = pytest.mark.integration

BEIJING = ZoneInfo("Asia/Shanghai")
POOL = "chanjiao"
SCHEDULED = {  # deployment → (hour, minute) Beijing, (hour, minute) UTC
    "annual-compliance/nightly": ((2, 0), (18, 0)),
    "after-deadline/after-deadline": ((1, 30), (17, 30)),
    "deadline-reminder/deadline-reminder": ((8, 0), (0, 0)),
}
MIN_RUNS = 3  # the scheduler's default PREFECT_SERVER_SERVICES_SCHEDULER_MIN_RUNS
SCHEDULE_TIMEOUT_S = 120


def daily_instants(after: datetime, hour: int, minute: int, count: int) -> list[datetime]:
    """The next ``count`` instants (UTC) of HH:MM Beijing time after ``after``: computed by hand here, not
    by Prefect's cron code."""
    day = after.astimezone(BEIJING).date()
    instants = []
    while len(instants) < count:
        moment = datetime(day.year, day.month, day.day, hour, minute, tzinfo=BEIJING).astimezone(UTC)
        if moment > after:
            instants.append(moment)
        day += timedelta(days=1)
    return instants


@pytest.fixture(scope="module")
def scheduling_server(tmp_path_factory):
    """A server whose scheduler loops every 5 s (60 s by default) and a client pointed at it."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    server = start_prefect_server(
        tmp_path_factory.mktemp("prefect-scheduling"),
        scheduler=True,
        PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS="5",
    )
    try:
        with temporary_settings({PREFECT_API_URL: server.api_url}):
            yield server
    finally:
        stop_prefect_server(server)


@pytest.fixture(scope="module")
def deployed_at(scheduling_server, tmp_path_factory) -> datetime:
    logs = tmp_path_factory.mktemp("schedule-logs")
    assert (
        scheduling_server.prefect("work-pool", "create", POOL, "--type", "process", log=logs / "pool.log", timeout=120)
        == 0
    ), tail(logs / "pool.log")
    started = datetime.now(UTC)
    assert scheduling_server.prefect("deploy", "--all", "--no-prompt", log=logs / "deploy.log", timeout=300) == 0, tail(
        logs / "deploy.log"
    )
    return started


def scheduled_runs(deployment_name: str) -> list:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        DeploymentFilter,
        DeploymentFilterId,
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType
    from prefect.client.schemas.sorting import FlowRunSort

    with get_client(sync_client=True) as client:
        deployment = client.read_deployment_by_name(deployment_name)
        return client.read_flow_runs(
            deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment.id])),
            flow_run_filter=FlowRunFilter(
                state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.SCHEDULED]))
            ),
            sort=FlowRunSort.EXPECTED_START_TIME_ASC,
            limit=200,
        )


def wait_for_scheduled_runs(server, names, timeout: float = SCHEDULE_TIMEOUT_S) -> dict[str, list]:
    deadline = time.monotonic() + timeout
    while True:
        runs = {name: scheduled_runs(name) for name in names}
        if all(len(found) >= MIN_RUNS for found in runs.values()):
            return runs
        if time.monotonic() > deadline:
            counts = ", ".join(f"{name}: {len(found)}" for name, found in runs.items())
            raise AssertionError(
                f"the server's scheduler made no (or too few) scheduled runs in {timeout:.0f} s "
                f"({counts}); server log:\n{tail(server.log, 40)}"
            )
        time.sleep(2)


def test_the_scheduler_creates_runs_at_the_beijing_times(scheduling_server, deployed_at):
    runs = wait_for_scheduled_runs(scheduling_server, SCHEDULED)
    for name, ((hour, minute), utc) in SCHEDULED.items():
        found = runs[name]
        times = [run.expected_start_time.astimezone(UTC) for run in found]
        assert all(run.auto_scheduled for run in found), f"{name}: runs not made by the scheduler"
        assert times == sorted(set(times)), f"{name}: duplicate scheduled runs {times}"
        # Each at HH:MM Beijing, i.e. 8 hours earlier in UTC, on consecutive days from the deployment on.
        assert {(t.hour, t.minute) for t in times} == {utc}, f"{name}: {times}"
        assert times[:MIN_RUNS] == daily_instants(deployed_at - timedelta(minutes=1), hour, minute, MIN_RUNS), (
            f"{name}: {times[:MIN_RUNS]}"
        )
        assert all(run.parameters == {} for run in found), f"{name}: scheduled runs carry no parameters"
    assert scheduled_runs("annual-compliance/on-demand") == [], "on-demand has no schedule"
    assert "Can't evaluate bulk DML" not in scheduling_server.log.read_text(encoding="utf-8", errors="replace")


def test_a_worker_runs_a_scheduled_run_to_completion(scheduling_server, deployed_at, tmp_path):
    """The first scheduled deadline-reminder, moved to now, is picked up by `prefect worker start --run-once`
    (with the pipeline's settings pointing at a copy of the sample) and completes."""
    from prefect.client.orchestration import get_client
    from prefect.states import Scheduled

    [first, *_] = wait_for_scheduled_runs(scheduling_server, ["deadline-reminder/deadline-reminder"])[
        "deadline-reminder/deadline-reminder"
    ]
    with get_client(sync_client=True) as client:
        client.set_flow_run_state(first.id, Scheduled(scheduled_time=datetime.now(UTC)), force=True)

    shutil.copytree(PROJECT / "sample" / "inbox", tmp_path / "inbox")
    for name in ("registry.csv", "extensions.csv"):
        shutil.copy2(PROJECT / "sample" / name, tmp_path / name)
    env = scheduling_server.client_env(
        CHANJIAO_INBOX_DIR=str(tmp_path / "inbox"),
        CHANJIAO_REGISTRY_FILE=str(tmp_path / "registry.csv"),
        CHANJIAO_WAREHOUSE_DIR=str(tmp_path / "warehouse"),
    )
    log = tmp_path / "worker.log"
    assert (
        scheduling_server.prefect("worker", "start", "--pool", POOL, "--run-once", log=log, env=env, timeout=300) == 0
    ), tail(log)
    with get_client(sync_client=True) as client:
        run = client.read_flow_run(first.id)
    assert run.state is not None and run.state.is_completed(), f"{run.state!r}\n{tail(log)}"
    assert run.auto_scheduled and run.name.startswith("deadline-reminder-")
    # It did its work: the inbox was ingested into the worker's warehouse.
    assert (tmp_path / "warehouse" / "warehouse.db").exists()
