"""A hung run ends TimedOut (which the failure automation reports) instead of holding the night's slot and
its province locks forever; every deployed flow has a limit."""

from __future__ import annotations

import time

import yaml

from chanjiao.operations.settings import PROJECT_ROOT


def deployed_flows():
    """The flow objects behind prefect.yaml's entrypoints."""
    import importlib

    document = yaml.safe_load((PROJECT_ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    for deployment in document["deployments"]:
        path, name = deployment["entrypoint"].split(":")
        module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
        yield deployment["name"], getattr(module, name)


def test_every_deployed_flow_has_a_timeout_above_the_national_benchmark():
    # The national benchmark's worst full year: 1,485 s (benchmarks/national.py); a run must be allowed that.
    for name, flow in deployed_flows():
        assert flow.timeout_seconds is not None, f"{name}: no timeout_seconds"
        if flow.name != "deadline-reminder":
            assert flow.timeout_seconds >= 2 * 1_485, f"{name}: {flow.timeout_seconds} s is below two national years"


def test_a_hung_run_ends_timed_out(monkeypatch, sample_dir, tmp_path):
    import flows.annual_compliance as module

    def stuck(*args, **kwargs):  # a registry on a network share that stopped answering
        time.sleep(60)

    monkeypatch.setattr(module, "load_reference_data", stuck)
    monkeypatch.setenv("CHANJIAO_DATABASE_URL", f"sqlite:///{tmp_path / 'warehouse.db'}")
    started = time.monotonic()
    state = module.annual_compliance.with_options(timeout_seconds=2)(
        year=2025,
        inbox_dir=str(sample_dir / "inbox"),
        registry_file=str(sample_dir / "registry.csv"),
        warehouse_dir=str(tmp_path / "warehouse"),
        return_state=True,
    )
    assert state.name == "TimedOut" and state.is_failed(), state
    assert time.monotonic() - started < 30


def test_the_rendering_subflow_has_a_timeout_too():
    from flows.render import render_pdfs_dask

    assert render_pdfs_dask.timeout_seconds is not None and render_pdfs_dask.timeout_seconds >= 1_244
