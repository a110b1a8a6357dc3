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
