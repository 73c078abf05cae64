"""Flow tests run against Prefect's temporary test server (started once per session) and a generated sample."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from prefect.testing.utilities import prefect_test_harness

from chanjiao.generated.sample import generate_sample


@pytest.fixture(scope="session", autouse=True)
def prefect_server():
    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture(scope="session")
def sample_dir(tmp_path_factory) -> Path:
    """A fresh seeded sample (the same generator as the bundled one), shared read-only by the flow tests."""
    out = tmp_path_factory.mktemp("sample")
    generate_sample(out)
    return out


@pytest.fixture(scope="session")
def manifest(sample_dir) -> dict:
    return json.loads((sample_dir / "manifest.json").read_text(encoding="utf-8"))
