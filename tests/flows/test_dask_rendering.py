"""``task_runner="dask"``: the PDFs are rendered in batches on a Dask cluster (local, or at an address) by the
``render-pdfs-dask`` subflow. Workers render to bytes and send them back; the flow's side writes each batch
under the warehouse and checks it on disk, so a worker needs no shared disk. The PDFs come out the same as
from the process pool. (Separate scheduler and worker processes with their own disk:
tests/integration/test_dask_cluster.py.)"""

from __future__ import annotations

import os
from pathlib import Path

import pikepdf
import pytest
from prefect import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterName, TaskRunFilter, TaskRunFilterName
from pypdf import PdfReader
from test_annual_compliance import run

from chanjiao.common.errors import ConfigurationError
from chanjiao.reporting import pdf as render
from chanjiao.reporting.pdf import PdfJob, RenderResult, ReportError, not_on_disk, render_pdf_bytes, write_rendered
from flows.render import render_on_dask, render_pdfs_dask
from tasks.reporting import RenderedBatch, write_pdf_batch

HTML = (
    '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>t</title></head><body>'
    + "".join(f'<h1 style="break-before: page">第{i}页 市域产教联合体</h1>' for i in (1, 2))
    + "</body></html>"
)


def job(folder: Path, name: str, **extra) -> PdfJob:
    return PdfJob(html=HTML, target=folder / f"{name}.pdf", title=f"报告 {name}", author="某省教育厅", **extra)


def task_runs(prefix: str, flow_run_id) -> list:
    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(task_run_filter=TaskRunFilter(name=TaskRunFilterName(like_=prefix)))
    return [run for run in runs if run.flow_run_id == flow_run_id]


def test_dask_task_runner_renders_every_pdf_in_batches(sample_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("CHANJIAO_REPORT_WORKERS", "2")
    monkeypatch.setenv("CHANJIAO_DASK_BATCH_SIZE", "10")
    url = f"sqlite:///{tmp_path / 'warehouse.db'}"
    result = run(
        sample_dir,
        sample_dir / "inbox",
        tmp_path / "warehouse",
        url,
        year=2025,
        pdf=True,
        provinces=["14"],
        task_runner="dask",
    )
    pdfs = result["pdfs"]
    assert pdfs["reports"] == 11 and pdfs["receipts"] > 0  # 10 Shanxi consortia and the province
    assert pdfs["rendered"] == len(pdfs["paths"]) == pdfs["reports"] + pdfs["receipts"]
    for path in pdfs["paths"]:
        with pikepdf.open(path) as document:
            assert len(document.pages) >= 1
        assert Path(path).with_suffix(".html").is_file()  # written by the flow, from its own job
    with get_client(sync_client=True) as client:
        subflows = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(name=FlowRunFilterName(any_=["render-pdfs-dask-2025"]))
        )
    [subflow] = [run for run in subflows if run.parameters.get("cluster") == "local"]
    assert subflow.state.is_completed()
    # What the subflow recorded of its parameters is small: no report's HTML in the flow run.
    assert subflow.parameters == {
        "handover": subflow.parameters["handover"],
        "year": 2025,
        "pdfs": pdfs["rendered"],
        "batch_size": 10,
        "cluster": "local",
    }
    expected = -(-pdfs["rendered"] // 10)
    rendered, written = (task_runs(name, subflow.id) for name in ("render-pdf-batch-2025-", "write-pdf-batch-2025-"))
    assert len({r.name for r in rendered}) == len({r.name for r in written}) == expected
    assert all(r.state.is_completed() for r in rendered + written)


@pytest.mark.filterwarnings("ignore:Logger .prefect.task_runs. attempted to send logs")
def test_the_flows_side_writes_what_a_worker_sent_at_its_own_paths_and_checks_it_on_disk(tmp_path):
    folder = tmp_path / "reports"
    sent = job(folder, "sent", copies=(folder / "versions" / "sent-v1.pdf",))
    failed, lost = job(folder, "failed"), job(folder, "lost")
    stranger = render_pdf_bytes(job(tmp_path / "elsewhere", "stranger"))
    batch = RenderedBatch(
        batch=1,
        pdfs=[render_pdf_bytes(sent), stranger],
        failures=[ReportError("PDF not written (boom)", file=str(failed.target))],
        worker="tcp://10.0.0.9:40000 (render-host, pid 1)",
    )
    assert not folder.exists()  # rendering to bytes writes nothing

    summary = write_pdf_batch(batch, [sent, failed, lost], year=2025, batch=1)

    [result] = summary.results
    assert result.target == sent.target and result.rendered_by == batch.worker and result.pages == 2
    assert result.size == len(batch.pdfs[0].pdf) == sent.target.stat().st_size
    assert (folder / "versions" / "sent-v1.pdf").read_bytes() == sent.target.read_bytes()
    assert sent.html_target.read_text(encoding="utf-8") == sent.html
    assert len(PdfReader(sent.target).pages) == 2
    assert summary.workers == {batch.worker: 1}
    assert [f.split(": ", 1)[0] for f in summary.failures] == [str(failed.target), str(lost.target)]
    assert "boom" in summary.failures[0] and "returned nothing" in summary.failures[1]
    assert not (tmp_path / "elsewhere").exists()  # bytes for a path not in the batch are not written
    assert sorted(p.name for p in folder.iterdir()) == ["sent.html", "sent.pdf", "versions"]  # no temporaries


def test_a_pdf_is_on_disk_only_whole(tmp_path):
    rendered = render_pdf_bytes(job(tmp_path, "a"))
    result = write_rendered(job(tmp_path, "a"), rendered)
    assert not_on_disk(result) is None
    with open(result.target, "ab") as handle:
        handle.write(b"x")
    assert "bytes" in not_on_disk(result)
    result.target.unlink()
    assert "missing" in not_on_disk(result)
    assert "missing" in not_on_disk(RenderResult(tmp_path / "b.pdf", 1, 0.1))
    with pytest.raises(ReportError, match="not this job"):
        write_rendered(job(tmp_path, "other"), rendered)


def test_a_batch_that_fails_on_the_cluster_fails_its_pdfs_and_the_others_are_written(tmp_path, monkeypatch):
    """A worker without the Chinese font fails its whole batch (no retry: not transient); the other batches are
    written and the failed PDFs are listed, each by its target."""
    from distributed import LocalCluster

    real = render.render_pdf_bytes

    def no_font_for_bad(pdf_job: PdfJob):
        if pdf_job.target.stem.startswith("bad"):
            raise ConfigurationError("no Chinese (CJK) font found")
        return real(pdf_job)

    monkeypatch.setattr(render, "render_pdf_bytes", no_font_for_bad)  # the cluster runs in this process
    jobs = [job(tmp_path, name) for name in ("a", "b", "bad", "c", "d")]
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        summary = render_on_dask(jobs, 2025, cluster.scheduler_address, batch_size=2, workers=None)
    # Batches: (a, b), (bad, c), (d).
    assert sorted(r.target.name for r in summary.results) == ["a.pdf", "b.pdf", "d.pdf"]
    assert sorted(f.split(": ", 1)[0] for f in summary.failures) == [str(tmp_path / "bad.pdf"), str(tmp_path / "c.pdf")]
    assert all("failed on the Dask cluster" in f and "CJK" in f for f in summary.failures)
    assert sorted(p.name for p in tmp_path.glob("*.pdf")) == ["a.pdf", "b.pdf", "d.pdf"]


def test_the_subflow_renders_only_jobs_handed_over_in_its_process():
    with pytest.raises(RuntimeError, match="cannot be run"):
        render_pdfs_dask(handover="nothing", year=2025, pdfs=0, batch_size=8)


def test_a_dask_worker_elsewhere_imports_the_tasks_and_the_subflow(tmp_path):
    """What a worker started from another folder, without PYTHONPATH, must import to run a batch."""
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run(
        [sys.executable, "-c", "import tasks.reporting, flows.render, chanjiao.reporting.pdf"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
