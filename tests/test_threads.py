"""The CPU thread budget: affinity mask and OMP_NUM_THREADS honoured, one number everywhere."""
import json
import os

import numpy as np
import pytest
from PIL import Image

from colorize_cli import threads


def test_budget_honours_affinity_and_omp(monkeypatch):
    cores = len(os.sched_getaffinity(0))
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    assert threads.available_cores() == cores
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert threads.available_cores() == 1
    monkeypatch.setenv("OMP_NUM_THREADS", str(cores + 7))   # never more than the mask allows
    assert threads.available_cores() == cores
    monkeypatch.setenv("OMP_NUM_THREADS", "junk")
    assert threads.available_cores() == cores


def test_apply_sets_torch_and_opencv():
    import cv2
    import torch

    before = torch.get_num_threads()
    try:
        assert threads.apply(1) == 1
        assert torch.get_num_threads() == 1 and cv2.getNumThreads() == 1
    finally:
        threads.apply(before)


def test_onnxruntime_does_not_spin():
    pytest.importorskip("onnxruntime")
    opts = threads.ort_options(2)
    assert opts.intra_op_num_threads == 2 and opts.inter_op_num_threads == 1
    assert opts.get_session_config_entry("session.intra_op.allow_spinning") == "0"


def test_threads_option_reaches_engine_and_results(tmp_path, cli, random_weights):
    Image.fromarray(np.full((32, 48), 120, np.uint8)).save(tmp_path / "a.png")
    r = cli("run", tmp_path / "a.png", "-o", tmp_path / "out.png", "--weights", random_weights,
            "--engine", "cpu", "--threads", "1", "--json")
    assert r.returncode == 0, r.stderr
    item = json.loads(r.stdout.splitlines()[0])
    assert item["threads"] == 1 and item["status"] == "done"
    assert cli("run", tmp_path / "a.png", "--threads", "0").returncode == 2


def test_film_lanes_keep_frame_order_and_match_one_lane(tmp_path):
    """A CPU engine with two lanes runs two batches of a film at once; the film must come out in
    order, every frame there, equal to the same film run on one lane (lossless output, so the
    comparison sees the planes colorize made)."""
    pytest.importorskip("onnxruntime")
    import av

    from media import make_clip

    from colorize_cli.api import Colorizer, RunOptions

    clip = make_clip(tmp_path / "c.mp4", frames=30, size=(96, 64), audio=False, gray=True)
    planes = {}
    for n in (2, 1):
        cz = Colorizer("baseline-cnn", "cpu", batch_size=4, threads=n)   # trained: colour follows content
        assert len(cz.engine.lanes()) == n
        res = cz.process(cz.plan([clip], tmp_path / f"lanes{n}.mp4")[0], RunOptions(temporal="flow", crf=0))
        assert res.status == "done" and res.frames == 30, res.error
        with av.open(str(tmp_path / f"lanes{n}.mp4")) as c:
            frames = list(c.decode(video=0))
        planes[n] = np.stack([f.to_ndarray(format="yuv420p") for f in frames]).astype(int)
        assert [f.pts for f in frames] == sorted(f.pts for f in frames)
    h = 64
    assert np.array_equal(planes[2][:, :h], planes[1][:, :h])               # Y' untouched in both
    assert np.abs(planes[2][:, h:] - planes[1][:, h:]).max() <= 1            # Cb, Cr: same batches, in order
    assert np.abs(np.diff(planes[1][:, h:], axis=0)).max() > 4               # frames differ: order shows


def test_a_lane_that_fails_fails_the_film_and_leaves_no_file(tmp_path, random_weights, monkeypatch):
    pytest.importorskip("onnxruntime")
    from media import make_clip

    from colorize_cli.api import Colorizer, RunOptions
    from colorize_cli.engines.cpu import CPUEngine

    clip = make_clip(tmp_path / "c.mp4", frames=30, size=(96, 64), audio=False)
    cz = Colorizer("baseline-cnn", "cpu", batch_size=4, weights=random_weights, threads=2)
    calls, run = [], CPUEngine._run

    def flaky(self, session, L):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("lane broke")
        return run(self, session, L)

    monkeypatch.setattr(CPUEngine, "_run", flaky)
    res = cz.process(cz.plan([clip], tmp_path / "out" / "c.mp4")[0], RunOptions())
    assert res.status == "failed" and "lane broke" in res.error
    assert not any(p.is_file() for p in (tmp_path / "out").rglob("*.mp4"))


class _LatePool:
    """An executor whose workers pick up nothing before shutdown() is called: legal (a busy
    machine may not schedule a new worker thread for a while), and the worst case for a pipeline
    that shuts its pool down with work still queued."""

    def __init__(self, workers, thread_name_prefix=""):
        self.queued = []

    def submit(self, fn, *args):
        from concurrent.futures import Future
        future = Future()
        self.queued.append((future, fn, args))
        return future

    def shutdown(self, wait=True, cancel_futures=False):
        import threading

        def work():
            for future, fn, args in self.queued:
                if future.set_running_or_notify_cancel():
                    future.set_result(fn(*args))
        if cancel_futures:
            for future, _, _ in self.queued:
                future.cancel()
        worker = threading.Thread(target=work, daemon=True)
        worker.start()
        if wait:
            worker.join()


def test_a_film_ends_whole_when_the_lanes_start_late(tmp_path, monkeypatch):
    """CI caught 'f.mp4: unexpected error (CancelledError)': the infer stage, at the film's end,
    cancelled lane batches the encoder was still waiting for. Every frame must come out."""
    pytest.importorskip("onnxruntime")
    from media import make_clip

    from colorize_cli.api import Colorizer, RunOptions
    from colorize_cli.pipeline import video

    monkeypatch.setattr(video, "ThreadPoolExecutor", _LatePool)
    clip = make_clip(tmp_path / "c.mp4", frames=8, size=(96, 64), audio=False)
    cz = Colorizer("baseline-cnn", "cpu", batch_size=4, threads=2)
    assert len(cz.engine.lanes()) == 2
    res = cz.process(cz.plan([clip], tmp_path / "out.mp4")[0], RunOptions())
    assert res.status == "done" and res.frames == 8, res.error
