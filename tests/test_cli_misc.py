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
    assert sheet.width == 212 and sheet.height == 4 * (75 + 6 + 16) + 6    # a 16-px caption a row
    photos = tmp_path / "photos"
    photos.mkdir()
    for i in range(3):
        Image.new("L", (80, 40), 40 * i).save(photos / f"{i}.png")
    r = cli("preview", photos, "-o", tmp_path / "p.png", "--width", "80", "--weights", random_weights)
    assert r.returncode == 0 and Image.open(tmp_path / "p.png").height == 3 * (40 + 6 + 16) + 6


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
    from colorize_cli.colour.jit import available as jit_available
    assert d["cpu_chroma_kernels"].startswith("compiled" if jit_available() else "OpenCV")


INTERRUPTED_IMPORT = r"""
import builtins, os, signal, sys, time
real = builtins.__import__
def importing(name, *a, **k):      # Ctrl-C lands while onnxruntime loads, and it fails the import
    if name == "onnxruntime":
        try:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(5)
        except KeyboardInterrupt:
            raise ImportError("initialization failed") from None
    return real(name, *a, **k)
builtins.__import__ = importing
from colorize_cli.cli import main
sys.exit(main(["run", sys.argv[1], "--engine", "cpu"]))
"""


def test_ctrl_c_that_a_library_turns_into_its_own_error_still_exits_130(tmp_path):
    """A KeyboardInterrupt raised inside an extension module's import can come out as that
    library's ImportError (seen once in CI-like load: 'onnxruntime not installed', exit 3)."""
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(tmp_path / "a.png")
    r = subprocess.run([sys.executable, "-c", INTERRUPTED_IMPORT, str(tmp_path / "a.png")], capture_output=True,
                       text=True, preexec_fn=default_signals, timeout=120)
    assert r.returncode == 130 and r.stderr.strip().splitlines()[-1] == "interrupted", r.stderr[-500:]
    assert not list(tmp_path.glob("*_color*"))


def test_ray_missing_exit_3(tmp_path, random_weights):
    Image.new("L", (20, 20)).save(tmp_path / "a.png")
    code = ("import sys; sys.modules['ray'] = None; from colorize_cli.cli import main; "
            f"sys.exit(main(['run', {str(tmp_path)!r}, '--ray', '--weights', {str(random_weights)!r}]))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 3 and "pip install colorize-archive[ray]" in r.stderr


def _catches(pid: int, sig: int) -> bool:
    """Whether process pid has a handler installed for sig (Linux: SigCgt in /proc/PID/status)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            caught = next(int(ln.split()[1], 16) for ln in f if ln.startswith("SigCgt:"))
    except (OSError, StopIteration):
        return False
    return bool(caught >> (sig - 1) & 1)


def test_ctrl_c_during_start_up_exits_130_without_traceback(tmp_path):
    """SIGINT while the command is still importing (torch takes seconds): exit 130, one line."""
    import signal
    import time

    Image.fromarray(np.zeros((8, 8), np.uint8)).save(tmp_path / "a.png")
    p = subprocess.Popen([sys.executable, "-m", "colorize_cli", "run", str(tmp_path / "a.png")],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=default_signals)
    # the moment colorize's main() has begun (it installs the SIGTERM handler first; a fixed sleep
    # is too early on a busy machine, inside Python's own start-up), then at once: the imports of
    # the commands and torch take seconds after it
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and p.poll() is None and not _catches(p.pid, signal.SIGTERM):
        time.sleep(0.01)
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=120)
    assert p.returncode == 130, (p.returncode, err[-500:])
    assert "Traceback" not in err and "interrupted" in err
    assert not list(tmp_path.glob("*_color*"))


def test_bench_reports_every_column_side_by_side(cli):
    """`colorize bench` on a tiny clip: one row per temporal mode with the network-only,
    transcode-only and serial-bound columns, per-stage times (smoothing its own stage), the chroma
    path alone, and the photo ratios. (Speed itself is never asserted: that is the bench's job.)"""
    r = cli("bench", "-m", "baseline-cnn", "--engine", "cpu", "--batches", "1", "--frames", "12",
            "--clips", "64", "--temporal", "flow,off", "--rounds", "1", "--photos", "2", "--no-startup", "--json")
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    rows = {e["temporal"]: e for e in report["end_to_end"]}
    assert set(rows) == {"flow", "off"}
    for e in rows.values():
        assert e["frames"] == 12 and e["clip"] == "112x64"
        bound = 1 / (1 / e["network_fps"] + 1 / e["transcode_fps"])
        assert abs(e["serial_bound_fps"] - bound) <= 0.02 * bound
        strict = e["colorize_fps"] * (1 / e["network_fps"] + 1 / e["transcode_source_types_fps"])
        assert e["transcode_source_types_fps"] > 0 and abs(e["fraction_of_bound_source_types"] - strict) < 0.01
        assert e["fraction_of_bound"] > 0
        assert {"decode", "network", "chroma", "smooth", "encode"} <= set(e["stage_ms_per_frame"])
    assert rows["off"]["stage_ms_per_frame"]["smooth"] == 0 < rows["flow"]["stage_ms_per_frame"]["smooth"]
    assert report["chroma_path"][0]["clip_height"] == 64 and report["chroma_path"][0]["chroma_ms"] > 0
    s = report["smoothing"][0]
    assert s["flow_fps_cost"] == round(1 - rows["flow"]["colorize_fps"] / rows["off"]["colorize_fps"], 3)
    p = report["photos"]
    assert p["photos"] == 2 and p["per_photo_vs_decode_network_encode"] > 0 and p["busy_vs_idle"] > 0
    assert p["serial_vs_decode_network_encode"] > 0 and p["serial_photos_per_s"] > 0
    ed = report["editor"]     # the editor's change, timed through its own HTTP server
    assert ed["photo"] == "1152x864" and ed["preview"] == "1024x768" and ed["ms_per_change"] > 0
    assert abs(ed["change_vs_target_0_5s"] - ed["ms_per_change"] / 500) <= 0.006


def test_bench_transcode_only_gives_the_encoder_the_job_a_film_gives_it(tmp_path, random_weights):
    """The bench's transcode-only reference must make libx264 choose the frame types, as it does for
    colorize's own frames: handed the decoder's frames as they are, libavcodec forces the source's
    picture types on x264 (a source keyframe every 5 frames here) and x264 skips its own frame-type
    decisions, a cheaper job than the film's (~4 ms of CPU a 1080p frame measured), which would
    make the serial bound too high. The film and the reference must end up with the same types."""
    import av
    import numpy as np

    from colorize_cli.tools import bench
    from colorize_cli.api import Colorizer, RunOptions

    src = tmp_path / "gop5.mp4"
    rng = np.random.default_rng(0)
    base = rng.integers(0, 255, (80, 96), dtype=np.uint8)
    with av.open(str(src), "w") as out:
        v = out.add_stream("libx264", rate=25)
        v.width, v.height, v.pix_fmt = 96, 64, "yuv420p"
        v.options = {"preset": "veryfast", "crf": "18", "g": "5", "keyint_min": "5", "sc_threshold": "0"}
        for i in range(30):
            y = np.roll(base, (i, 2 * i), (0, 1))[:64, :96]
            f = av.VideoFrame.from_ndarray(np.concatenate([y, np.full((32, 96), 128, np.uint8)]), format="yuv420p")
            f.pts = i
            for p in v.encode(f):
                out.mux(p)
        for p in v.encode():
            out.mux(p)

    def types(path):
        with av.open(str(path)) as c:
            return [(f.pts, int(f.pict_type)) for f in c.decode(video=0)]     # 1: I

    assert [t for _, t in types(src)][::5] == [1] * 6                 # the source: an I frame every 5
    bench.transcode_only(src, tmp_path / "reference.mp4", 18, "veryfast")
    cz = Colorizer("baseline-cnn", "cpu", 8, weights=random_weights)
    res = cz.process(cz.plan([src], tmp_path / "film.mp4")[0], RunOptions(crf=18, preset="veryfast"))
    assert res.status == "done", res.error
    assert types(tmp_path / "reference.mp4") == types(tmp_path / "film.mp4")
    assert [t for _, t in types(tmp_path / "film.mp4")].count(1) == 1     # x264 chose: one keyframe


def test_model_parameter_counts_are_counted_once_then_read_from_the_cache(tmp_path, monkeypatch):
    import colorize_cli.models as models_pkg
    from colorize_cli import inventory

    monkeypatch.setenv("COLORIZE_CACHE", str(tmp_path))
    names = ["baseline-cnn", "conv11"]
    first = inventory.parameter_counts(names)
    net = models_pkg.create_model("baseline-cnn", weights=None).net
    assert first["baseline-cnn"] == sum(p.numel() for p in net.parameters())
    assert (tmp_path / "model-parameters.json").is_file()

    def no_build(name):
        raise AssertionError(f"{name} was built again")

    monkeypatch.setattr(models_pkg, "get_spec", no_build)
    assert inventory.parameter_counts(names) == first          # read back, nothing built
    monkeypatch.undo()
    monkeypatch.setenv("COLORIZE_CACHE", str(tmp_path))
    (tmp_path / "model-parameters.json").write_text("{not json")
    assert inventory.parameter_counts(names) == first          # a damaged cache is counted again


def test_bench_refuses_bad_numbers_in_one_line(cli):
    for args in (["--batches", "0"], ["--batches", "4,x"], ["--frames", "-5"], ["--clips", "7"], ["--rounds", "0"]):
        r = cli("bench", *args, "--no-startup")
        assert r.returncode == 2, (args, r.stderr)
        assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1, (args, r.stderr)
