"""Engines: auto selection, CPU engine vs the float32 reference, ONNX export parity (onnxruntime)."""
import numpy as np
import pytest
import torch

from colorize_cli.engines import availability, select_engine
from colorize_cli.models import create_model


def _rel_l2(a, b):
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-12))


def test_auto_picks_an_available_engine_and_says_why():
    cls, why = select_engine("auto")
    assert availability()[cls.name][0] and why.startswith("auto:")


@pytest.mark.parametrize("backend", ["torch", "onnxruntime"])
def test_cpu_engine_matches_reference(backend, tmp_path, monkeypatch):
    import copy

    from colorize_cli.engines.cpu import CPUEngine

    monkeypatch.setenv("COLORIZE_CACHE", str(tmp_path))
    torch.manual_seed(0)
    ref = create_model("conv11", weights=None).eval()
    L = torch.rand(3, 1, 64, 96) * 100
    with torch.no_grad():
        expected = ref(L).numpy()
    engine = CPUEngine(copy.deepcopy(ref), max_batch=2, backend=backend)
    assert engine.backend == backend
    assert _rel_l2(engine.infer(L.numpy()), expected) <= 1e-4


@pytest.mark.parametrize("name", ["baseline-cnn", "conv11", "pix2pix-mobilenet", "eccv16", "lite-unet"])
def test_onnx_export_matches_pytorch(tmp_path, name):
    ort = pytest.importorskip("onnxruntime")
    from colorize_cli.engines.onnx_export import export_onnx

    torch.manual_seed(0)
    model = create_model(name, weights=None).eval()
    path = export_onnx(model, tmp_path / f"{name}.onnx", 64, 64)
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    stride = model.spec.stride
    for shape in [(1, 1, 64, 64), (2, 1, 64 + 2 * stride, 64 + 4 * stride)]:
        L = torch.rand(*shape) * 100
        with torch.no_grad():
            expected = model(L).numpy()
        got = sess.run(["ab"], {"L": L.numpy()})[0]
        assert got.shape == expected.shape
        assert _rel_l2(got, expected) <= 1e-4


def test_tensorrt_reports_missing_extra():
    from colorize_cli.engines.tensorrt import TensorRTEngine

    ok, why = TensorRTEngine.available()
    try:
        import tensorrt  # noqa: F401
    except ImportError:
        assert not ok and "pip install" in why


def test_engine_cache_header_and_key(tmp_path):
    from colorize_cli.engines.tensorrt import cache_key, read_plan, write_plan

    prof = {"min": [1, 1, 64, 64], "opt": [8, 1, 256, 448], "max": [8, 1, 512, 1024]}
    k = cache_key("abc", "10.3", "9.0", "fp16", prof)
    assert k != cache_key("abc", "10.3", "8.9", "fp16", prof) != cache_key("abd", "10.3", "9.0", "fp16", prof)
    header = {"model": "x", "capability": "9.0"}
    write_plan(tmp_path / "a.plan", header, b"\x00plan\nbytes")
    assert read_plan(tmp_path / "a.plan") == (header, b"\x00plan\nbytes")
    (tmp_path / "b.plan").write_bytes(b"garbage")
    with pytest.raises(ValueError):
        read_plan(tmp_path / "b.plan")


@pytest.mark.tensorrt
def test_tensorrt_engine_matches_reference(tmp_path, monkeypatch):
    pytest.importorskip("tensorrt")
    from colorize_cli.engines.tensorrt import TensorRTEngine, list_plans

    ok, why = TensorRTEngine.available()
    if not ok:
        pytest.skip(why)
    monkeypatch.setenv("COLORIZE_CACHE", str(tmp_path))
    import copy

    ref = create_model("baseline-cnn").eval()
    eng = TensorRTEngine(copy.deepcopy(ref), max_batch=4)
    L = torch.rand(4, 1, 128, 128) * 100
    with torch.no_grad():
        expected = ref(L).numpy()
    assert _rel_l2(eng.infer(L.numpy()), expected) <= 1e-2
    assert len(list_plans()) == 1
    again = TensorRTEngine(copy.deepcopy(ref), max_batch=4)  # loads the cached plan
    assert not again.notes
