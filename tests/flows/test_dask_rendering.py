"""``task_runner="dask"``: the PDFs are rendered in batches on a (local) Dask cluster, in-process on each
worker, and come out the same as from the process pool."""

from __future__ import annotations

import pikepdf
from prefect import get_client
from prefect.client.schemas.filters import TaskRunFilter, TaskRunFilterName

from test_annual_compliance import run


def test_dask_task_runner_renders_every_pdf_in_batches(sample_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("CHANJIAO_REPORT_WORKERS", "2")
    monkeypatch.setenv("CHANJIAO_DASK_BATCH_SIZE", "10")
    url = f"sqlite:///{tmp_path / 'warehouse.db'}"
    result = run(sample_dir, sample_dir / "inbox", tmp_path / "warehouse", url, year=2025, pdf=True,
                 provinces=["14"], task_runner="dask")
    pdfs = result["pdfs"]
    assert pdfs["reports"] == 11 and pdfs["receipts"] > 0            # 10 Shanxi consortia and the province
    assert pdfs["rendered"] == len(pdfs["paths"]) == pdfs["reports"] + pdfs["receipts"]
    for path in pdfs["paths"]:
        with pikepdf.open(path) as document:
            assert len(document.pages) >= 1
    with get_client(sync_client=True) as client:
        batches = client.read_task_runs(task_run_filter=TaskRunFilter(
            name=TaskRunFilterName(like_="render-pdf-batch-2025-")))
    expected = -(-pdfs["rendered"] // 10)
    assert len({run.name for run in batches}) == expected
    assert all(run.state.is_completed() for run in batches)
