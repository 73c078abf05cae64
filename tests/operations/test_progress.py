"""Progress of a run (chanjiao.operations.progress): silent unless someone listens, safe from any thread, shown by rich."""

from __future__ import annotations

import io
import random
import threading

import pytest
from rich.console import Console

from chanjiao.operations import progress
from chanjiao.operations.progress import STAGES, Recorder, TerminalDisplay, listening


def test_a_recorder_hears_only_while_listening():
    recorder = Recorder()
    progress.start("render", 5)  # nobody listens: nothing happens, nothing fails
    with listening(recorder) as installed:
        assert installed is recorder
        progress.start("render", 3)
        progress.advance("render")
        progress.advance("render", 2)
        progress.start("render", 2)  # a second batch of the same stage adds to its total
        progress.start("ingest", 0)
        progress.finish("render")
    progress.advance("render", 100)
    progress.finish("ingest")
    assert recorder.totals == {"render": 5, "ingest": 0}
    assert recorder.done == {"render": 3, "ingest": 0}
    assert recorder.finished == ["render"]


def test_every_listener_hears_and_leaving_one_keeps_the_others():
    outer, inner = Recorder(), Recorder()
    with listening(outer):
        with listening(inner):
            progress.advance("validate", 2)
        progress.advance("validate", 5)
    assert outer.done == {"validate": 7}
    assert inner.done == {"validate": 2}


def test_a_failing_block_still_removes_its_listener():
    recorder = Recorder()
    with pytest.raises(RuntimeError):
        with listening(recorder):
            progress.advance("score")
            raise RuntimeError("boom")
    progress.advance("score")
    assert recorder.done == {"score": 1}


def test_advance_from_several_threads_sums_correctly():
    rng = random.Random(6)
    amounts = [[rng.randint(1, 3) for _ in range(400)] for _ in range(8)]
    recorder = Recorder()
    barrier = threading.Barrier(len(amounts))

    def work(mine):
        barrier.wait()
        for amount in mine:
            progress.advance("render", amount)
            progress.advance("build")

    with listening(recorder):
        progress.start("render", sum(map(sum, amounts)))
        threads = [threading.Thread(target=work, args=(mine,)) for mine in amounts]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert recorder.done["render"] == recorder.totals["render"] == sum(map(sum, amounts))
    assert recorder.done["build"] == 8 * 400


def _display() -> tuple[TerminalDisplay, io.StringIO]:
    out = io.StringIO()
    return TerminalDisplay(Console(file=out, force_terminal=False, width=100)), out


def test_the_terminal_display_shows_each_stage_with_its_counts():
    display, out = _display()
    with display, listening(display):
        progress.start("ingest", 4)
        progress.advance("ingest", 3)
        progress.start("render", 10)
        progress.advance("render", 2)
        progress.advance("render")
        progress.finish("ingest")
    text = out.getvalue()
    assert STAGES["ingest"] in text and STAGES["render"] in text
    assert "4/4" in text  # finish fills the bar
    assert "3/10" in text
    ingest = next(line for line in reversed(text.splitlines()) if STAGES["ingest"] in line)
    assert "4/4" in ingest and "3/10" not in ingest


def test_the_terminal_display_adds_batches_and_ignores_unknown_stages():
    display, out = _display()
    with display, listening(display):
        progress.advance("score", 5)  # never started: not shown, no error
        progress.finish("score")
        progress.start("build", 2)
        progress.start("build", 3)
        progress.advance("build", 4)
        progress.start("custom", 1)  # a stage without a wording shows its name
    text = out.getvalue()
    assert "4/5" in text
    assert "custom" in text and "0/1" in text
    assert STAGES["score"] not in text
