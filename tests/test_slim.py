"""The plain install: a photo and a film colorized where `import torch` fails; the shipped ONNX
graphs against the torch models; the torch-free shrink against torch's."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

NO_TORCH = """
import sys
sys.modules["torch"] = None          # every `import torch` now raises ImportError
from colorize_cli.cli import main
code = main(sys.argv[1:])
assert "torch" not in sys.modules or sys.modules["torch"] is None
sys.exit(code)
"""


def run_without_torch(*args, cwd):
    return subprocess.run([sys.executable, "-c", NO_TORCH, *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=600)


def test_a_photo_and_a_film_colorize_where_torch_cannot_be_imported(tmp_path):
    from PIL import Image

    from media import make_clip, video_frames, y_plane

    g = (np.random.default_rng(0).random((90, 120)) * 255).astype(np.uint8)
    Image.fromarray(g, "L").save(tmp_path / "g.png")
    clip = make_clip(tmp_path / "clip.mp4", frames=16, size=(128, 96))
    r = run_without_torch("run", "g.png", "clip.mp4", "-o", "out/", "--json", "--crf", "0", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    assert [row["status"] for row in rows[:2]] == ["done", "done"], rows
    out = np.asarray(Image.open(tmp_path / "out" / "g.png"))
    assert out.shape == (90, 120, 3) and np.ptp(out.astype(int)[..., 0] - out[..., 2]) > 0   # colour
    frames = video_frames(tmp_path / "out" / "clip.mp4")
    assert len(frames) == 16
    assert all(np.array_equal(y_plane(a), y_plane(b)) for a, b in zip(frames, video_frames(clip)))


def test_without_torch_the_torch_commands_exit_3_with_the_install_line_and_the_rest_work(tmp_path):
    from PIL import Image

    Image.fromarray(np.zeros((16, 16), np.uint8)).save(tmp_path / "g.png")
    r = run_without_torch("run", "g.png", "-o", "o.png", "--engine", "cuda", cwd=tmp_path)
    assert r.returncode == 3 and "pip install 'colorize-archive[gpu]'" in r.stderr
    e = run_without_torch("eval", str(tmp_path), cwd=tmp_path)
    assert e.returncode == 3 and "pip install 'colorize-archive[gpu]'" in e.stderr and "Traceback" not in e.stderr
    for args in (("engines", "list"), ("engines", "build")):
        t = run_without_torch(*args, cwd=tmp_path)
        assert t.returncode == 3 and "colorize-archive[tensorrt]" in t.stderr and "Traceback" not in t.stderr
    m = run_without_torch("models", cwd=tmp_path)
    assert m.returncode == 0 and "lite-unet (default)" in m.stdout and "eccv16" in m.stdout, m.stderr
    d = run_without_torch("doctor", "--json", cwd=tmp_path)
    assert d.returncode == 0, d.stderr
    info = json.loads(d.stdout)
    assert info["torch"] is None and info["onnxruntime"] and "[gpu]" in info["extras"]


@pytest.mark.parametrize("name", ["baseline-cnn", "lite-unet", "pix2pix-densenet", "resnet18-unet"])
def test_shipped_onnx_graphs_match_the_torch_models(name):
    """The ONNX file the plain install runs (int8 weights behind DequantizeLinear) against the
    torch model built from the same file (models/registry.onnx_state), on smooth L:
    within 1.5 Lab units everywhere, 0.1 on average; its sha256 is the card's."""
    import onnxruntime as ort

    from colorize_cli.files import file_sha256
    from colorize_cli.models import create_model, get_spec

    spec = get_spec(name)
    assert spec.onnx_path.is_file(), f"{spec.onnx_path}: run scripts/export_onnx.py {name}"
    assert spec.card_info()["sha256"] == file_sha256(spec.onnx_path)
    torch.manual_seed(0)
    L = torch.nn.functional.interpolate(torch.rand(2, 1, 12, 16) * 100, size=(192, 256), mode="bilinear")
    with torch.no_grad():
        ref = create_model(name).eval()(L).numpy()
    got = ort.InferenceSession(str(spec.onnx_path), providers=["CPUExecutionProvider"]).run(["ab"], {"L": L.numpy()})[0]
    diff = np.abs(got - ref)
    assert diff.max() <= 1.5 and diff.mean() <= 0.1, (float(diff.max()), float(diff.mean()))


@pytest.mark.parametrize("jit", [False, True], ids=["numpy", "compiled"])
def test_the_torch_free_shrink_is_torchs_antialiased_bilinear(jit):
    from colorize_cli.colour.jit import available as jit_available
    from colorize_cli.colour.resize import shrink

    if jit and not jit_available():
        pytest.skip("numba not installed")
    rng = np.random.default_rng(4)
    for (H, W), (h, w) in [((540, 960), (224, 398)), ((33, 47), (16, 20)), ((100, 300), (128, 384)), ((64, 64), (64, 32))]:
        L = (rng.random((2, H, W)) * 100).astype(np.float32)
        ref = torch.nn.functional.interpolate(torch.from_numpy(L)[:, None], size=(h, w), mode="bilinear",
                                              align_corners=False, antialias=True)[:, 0].numpy()
        assert np.abs(shrink(L, (h, w), jit=jit) - ref).max() < 2e-3


EDITOR_NO_TORCH = """
import json, sys, threading, urllib.request
sys.modules["torch"] = None
from colorize_cli.editor.app import open_editor
from colorize_cli.options import ModelOptions
server = open_editor([sys.argv[1]], hints=sys.argv[2], options=ModelOptions(engine="cpu"))
threading.Thread(target=server.serve_forever, daemon=True).start()
req = urllib.request.Request(f"http://127.0.0.1:{server.port}/api/items/0/render",
                             json.dumps({"points": [[10, 10, "#c03020"]]}).encode(), {"X-Colorize-Token": server.token})
body = json.loads(urllib.request.urlopen(req).read())
server.shutdown(); server.close()
assert body["image"].startswith("data:image/jpeg;base64,")
assert "torch" not in sys.modules or sys.modules["torch"] is None
print("ok")
"""


def test_the_hint_editor_renders_where_torch_cannot_be_imported(tmp_path):
    from PIL import Image

    Image.fromarray((np.random.default_rng(1).random((60, 80)) * 255).astype(np.uint8), "L").save(tmp_path / "g.png")
    r = subprocess.run([sys.executable, "-c", EDITOR_NO_TORCH, str(tmp_path / "g.png"), str(tmp_path / "h")],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr


def test_the_cpu_engine_batches_one_frame_unless_told(tmp_path):
    """The CPU engine's default batch is 1 (a batch gains ONNX Runtime little and costs ~50 MB a
    frame); a GPU engine's stays 8; --batch-size still decides when given."""
    from colorize_cli.api import Colorizer
    from colorize_cli.engines import BACKENDS, engine_class

    with Colorizer(engine="cpu") as cz:
        assert cz.batch_size == 1 and cz.engine.max_batch == 1
    with Colorizer(engine="cpu", batch_size=4) as cz:
        assert cz.batch_size == 4
    assert all(engine_class(name).default_batch == 8 for name in BACKENDS if name != "cpu")


@pytest.mark.parametrize("size,look", [((1920, 1080), "14"), ((1280, 720), "32"), ((960, 540), "40")])
def test_the_encoder_look_ahead_is_capped_by_frame_size(tmp_path, size, look):
    """x264's look-ahead frames are most of a 1080p film's memory: capped by frame size (14 frames
    at 1080p, 32 at 720p), not at 960x540 (medium's own 40). Read back from the options x264
    writes into the film itself."""
    import re

    import av

    from conftest import run_cli_here
    from media import make_clip

    src = make_clip(tmp_path / "in.mp4", frames=3, size=size, audio=False)
    r = run_cli_here("run", src, "-o", tmp_path / "out.mp4", "--engine", "cpu")
    assert r.returncode == 0, r.stderr
    with av.open(str(tmp_path / "out.mp4")) as c:
        first = bytes(next(c.demux(video=0)))
    assert re.search(rb"rc_lookahead=(\d+)", first).group(1).decode() == look


NUMBA_PROBE = """
import sys
from colorize_cli.cli import main
code = main(sys.argv[1:])
print("numba" in sys.modules)
sys.exit(code)
"""


def test_a_one_photo_run_never_imports_numba_and_a_film_job_does(tmp_path):
    """numba's import and cache load (~0.4 s) is paid only by a job big enough to win it back:
    a film, or JOB_PHOTOS photos; a one-photo run takes the OpenCV/numpy path (within 1 code)."""
    from PIL import Image

    from colorize_cli.colour import jit
    from media import make_clip

    if not jit.available():
        pytest.skip("numba not installed")
    Image.fromarray((np.random.default_rng(2).random((48, 64)) * 255).astype(np.uint8), "L").save(tmp_path / "p.png")
    make_clip(tmp_path / "f.mp4", frames=4, size=(64, 48), audio=False)

    def probe(*args):
        r = subprocess.run([sys.executable, "-c", NUMBA_PROBE, *map(str, args), "--engine", "cpu"], cwd=tmp_path,
                           capture_output=True, text=True, timeout=600)
        assert r.returncode == 0, r.stderr
        return r.stdout.strip().splitlines()[-1] == "True"
    assert not probe("run", "p.png", "-o", "p_out.png")
    assert probe("run", "f.mp4", "-o", "f_out.mp4")
    before = jit.choose_for(photos=jit.JOB_PHOTOS, films=0)
    try:
        assert jit.use()
        jit.choose_for(photos=jit.JOB_PHOTOS - 1, films=0)
        assert not jit.use() and jit.use(True)      # a caller's own choice still wins
    finally:
        jit.restore(before)
    assert jit.use()                                # no job running: where numba is there
