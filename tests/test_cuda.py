"""CUDA engine: FP16 against the float32 reference (GPU only); OOM halving (runs anywhere)."""
import copy

import numpy as np
import pytest
import torch

from colorize_cli.engines.cuda import CUDAEngine
from colorize_cli.errors import ColorizeError
from colorize_cli.models import create_model


def test_oom_halves_batch_once_then_fails_clearly():
    eng = CUDAEngine(create_model("baseline-cnn", weights=None), max_batch=8, device="cpu")
    calls = []

    def flaky(x):
        calls.append(len(x))
        if len(calls) == 1:
            raise torch.cuda.OutOfMemoryError("simulated")
        return torch.zeros(len(x), 2, *x.shape[-2:])

    eng._run = flaky
    out = eng.infer(torch.rand(8, 1, 16, 16) * 100)
    assert out.shape == (8, 2, 16, 16) and eng.max_batch == 4
    assert calls == [8, 4, 4] and "halved to 4" in eng.notes[0]

    def always_oom(x):
        raise torch.cuda.OutOfMemoryError("simulated")

    eng._run = always_oom
    with pytest.raises(ColorizeError, match="out of memory"):
        eng.infer(torch.rand(4, 1, 16, 16))


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
@pytest.mark.parametrize("name", ["baseline-cnn", "pix2pix-densenet", "eccv16"])
def test_fp16_matches_fp32_reference(name):
    torch.manual_seed(0)
    ref = create_model(name, weights=None).eval()
    eng = CUDAEngine(copy.deepcopy(ref), max_batch=4)
    L = torch.rand(4, 1, 256, 256) * 100
    with torch.no_grad():
        expected = ref(L).numpy()
    for _ in range(3):  # the third call replays a CUDA graph
        got = eng.infer(L.numpy())
        assert np.linalg.norm(got - expected) / np.linalg.norm(expected) <= 1e-2
    assert eng.graphs
