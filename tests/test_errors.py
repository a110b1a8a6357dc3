"""Bad input: one clear line naming the file, the batch goes on, the right exit code."""
import os

import pytest
from PIL import Image

from media import make_clip


@pytest.fixture
def good(tmp_path):
    p = tmp_path / "good.png"
    Image.new("L", (40, 30), 120).save(p)
    return p


def _errors(stderr):
    return [line for line in stderr.splitlines() if line.startswith("error:")]


@pytest.mark.parametrize("name,content,reason", [
    ("empty.mp4", b"", "empty file"),
    ("text.mp4", b"this is not a film\n" * 50, "not a readable media file"),
    ("empty.jpg", b"", "empty file"),
    ("broken.jpg", b"\xff\xd8\xff\xe0garbage", "not a readable image"),
])
def test_bad_file_reported_batch_continues(tmp_path, cli, random_weights, good, name, content, reason):
    bad = tmp_path / name
    bad.write_bytes(content)
    r = cli("run", bad, good, "-o", tmp_path / "out", "--weights", random_weights)
    assert r.returncode == 1
    errs = _errors(r.stderr)
    assert len(errs) == 1 and name in errs[0] and reason in errs[0], r.stderr
    assert "Traceback" not in r.stderr
    assert (tmp_path / "out" / "good.png").is_file()
    assert not (tmp_path / "out" / name).exists()


def test_truncated_film(tmp_path, cli, random_weights):
    src = make_clip(tmp_path / "film.mkv", frames=120, audio=False)
    data = src.read_bytes()
    cut = tmp_path / "cut.mkv"
    cut.write_bytes(data[: len(data) // 2])
    r = cli("run", cut, "--weights", random_weights)
    assert r.returncode == 1
    assert "cut.mkv" in r.stderr and "truncated" in r.stderr, r.stderr
    assert not (tmp_path / "cut_color.mkv").exists()
    assert not list(tmp_path.glob(".*partial*"))


def test_truncated_mp4(tmp_path, cli, random_weights):
    src = make_clip(tmp_path / "film.mp4", frames=24)
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(src.read_bytes()[:3000])
    r = cli("run", cut, "--weights", random_weights)
    assert r.returncode == 1 and "cut.mp4" in r.stderr and "Traceback" not in r.stderr


def test_no_video_stream(tmp_path, cli, random_weights):
    import av
    import numpy as np

    p = tmp_path / "sound.mkv"
    with av.open(str(p), "w") as o:
        a = o.add_stream("flac", rate=8000)
        f = av.AudioFrame.from_ndarray(np.zeros((1, 800), np.int16), format="s16", layout="mono")
        f.sample_rate, f.pts = 8000, 0
        for pk in [*a.encode(f), *a.encode()]:
            o.mux(pk)
    r = cli("run", p, "--weights", random_weights)
    assert r.returncode == 1 and "sound.mkv: no video stream" in r.stderr


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_unreadable(tmp_path, cli, random_weights, good):
    good.chmod(0)
    r = cli("run", good, "--weights", random_weights)
    assert r.returncode == 1 and "good.png" in r.stderr


def test_nothing_found_and_missing_path(tmp_path, cli, random_weights):
    (tmp_path / "empty").mkdir()
    r = cli("run", tmp_path / "empty", "--weights", random_weights)
    assert r.returncode == 2 and "no photos or videos found" in r.stderr
    r = cli("run", tmp_path / "nope.mp4", "--weights", random_weights)
    assert r.returncode == 2 and "nope.mp4: no such file" in r.stderr


def test_existing_output_refused_then_overwrite_or_skip(tmp_path, cli, random_weights, good):
    out = tmp_path / "good_color.png"
    out.write_bytes(b"keep me")
    r = cli("run", good, "--weights", random_weights)
    assert r.returncode == 2 and "good_color.png" in r.stderr and "exists" in r.stderr
    assert out.read_bytes() == b"keep me"
    r = cli("run", good, "--weights", random_weights, "--skip-existing", "--json")
    assert r.returncode == 0 and '"skipped"' in r.stdout and out.read_bytes() == b"keep me"
    r = cli("run", good, "--weights", random_weights, "--overwrite")
    assert r.returncode == 0 and out.read_bytes() != b"keep me"


def test_input_never_overwritten(tmp_path, cli, random_weights, good):
    before = good.read_bytes()
    r = cli("run", good, "-o", good, "--weights", random_weights, "--overwrite")
    assert r.returncode == 2 and "overwrite the input" in r.stderr
    assert good.read_bytes() == before


def test_missing_engine_exit_3(tmp_path, cli, random_weights, good):
    import torch

    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    r = cli("run", good, "--engine", "cuda", "--weights", random_weights)
    assert r.returncode == 3 and "cuda" in r.stderr


def test_usage_errors_exit_2(tmp_path, cli, good):
    assert cli("run", good, "--model", "pix2pix-densnet").returncode == 2
    r = cli("run", good, "--model", "baseline-cnnn")
    assert r.returncode == 2 and "did you mean 'baseline-cnn'" in r.stderr
    assert cli("run", good, "--batch-size", "0").returncode == 2
