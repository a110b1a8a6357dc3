"""The smaller commands and the remaining bad-input cases."""
import json
import subprocess
import sys

import av
import numpy as np
from PIL import Image

from media import make_clip
from conftest import default_signals


def _unknown_codec_avi(path):
    """An AVI whose video fourcc no decoder knows (an MJPEG file with its tag renamed)."""
    with av.open(str(path.with_suffix(".tmp.avi")), "w") as out:
        s = out.add_stream("mjpeg", rate=25)
        s.width, s.height, s.pix_fmt = 64, 48, "yuvj420p"
        for i in range(3):
            f = av.VideoFrame.from_ndarray(np.zeros((48, 64, 3), np.uint8), format="rgb24")
            f.pts = i
            for p in s.encode(f):
                out.mux(p)
        for p in s.encode():
            out.mux(p)
    data = path.with_suffix(".tmp.avi").read_bytes()
    path.write_bytes(data.replace(b"MJPG", b"QZX9"))
    return path


def test_unsupported_codec(tmp_path, cli, random_weights):
    src = _unknown_codec_avi(tmp_path / "odd.avi")
    r = cli("run", src, "--weights", random_weights)
    assert r.returncode == 1 and "odd.avi: unsupported video codec" in r.stderr


def test_broken_symlink_is_reported(tmp_path, cli, random_weights):
    link = tmp_path / "gone.mp4"
    link.symlink_to(tmp_path / "missing.mp4")
    r = cli("run", link, "--weights", random_weights)
    assert r.returncode == 1 and "gone.mp4" in r.stderr and "Traceback" not in r.stderr


def test_preview_film_and_folder(tmp_path, cli, random_weights):
    film = make_clip(tmp_path / "film.mp4", frames=48, size=(160, 120))
    r = cli("preview", film, "-o", tmp_path / "sheet.png", "--frames", "4", "--width", "100",
            "--weights", random_weights)
    assert r.returncode == 0, r.stderr
    sheet = Image.open(tmp_path / "sheet.png")
    assert sheet.width == 212 and sheet.height == 4 * (75 + 6) + 6
    photos = tmp_path / "photos"
    photos.mkdir()
    for i in range(3):
        Image.new("L", (80, 40), 40 * i).save(photos / f"{i}.png")
    r = cli("preview", photos, "-o", tmp_path / "p.png", "--width", "80", "--weights", random_weights)
    assert r.returncode == 0 and Image.open(tmp_path / "p.png").height == 3 * (40 + 6) + 6


def test_models_and_doctor_json(cli):
    r = cli("models", "--json")
    rows = [json.loads(x) for x in r.stdout.splitlines()]
    by = {x["name"]: x for x in rows}
    from colorize_cli.models import list_models

    assert len(rows) == len(list_models()) == 13 and [x["name"] for x in rows if x["default"]] == ["lite-unet"]
    assert by["baseline-cnn"]["parameters"] == 231_682 and by["lite-unet"]["weights"]
    assert by["baseline-cnn"]["weights"] and by["eccv16"]["output"] == "bins"
    d = json.loads(cli("doctor", "--json").stdout)
    assert d["engines"]["cpu"]["available"] and d["encoders"]["libx264"] and d["pyav"] == av.__version__
    assert d["cpu_threads"]["used"] >= 1 and d["cpu_threads"]["onnxruntime_spin_wait"] is False


def test_ray_missing_exit_3(tmp_path, random_weights):
    Image.new("L", (20, 20)).save(tmp_path / "a.png")
    code = ("import sys; sys.modules['ray'] = None; from colorize_cli.cli import main; "
            f"sys.exit(main(['run', {str(tmp_path)!r}, '--ray', '--weights', {str(random_weights)!r}]))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 3 and "pip install colorize-archive[ray]" in r.stderr


def test_ctrl_c_during_start_up_exits_130_without_traceback(tmp_path):
    """SIGINT while the command is still importing (torch takes seconds): exit 130, one line."""
    import signal
    import time

    Image.fromarray(np.zeros((8, 8), np.uint8)).save(tmp_path / "a.png")
    p = subprocess.Popen([sys.executable, "-m", "colorize_cli", "run", str(tmp_path / "a.png")],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=default_signals)
    time.sleep(0.4)
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=120)
    assert p.returncode == 130, (p.returncode, err[-500:])
    assert "Traceback" not in err and "interrupted" in err
    assert not list(tmp_path.glob("*_color*"))
