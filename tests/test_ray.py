"""Scale-out on a local Ray instance (2 CPUs): a corrupt file and a worker killed mid-job."""
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from media import make_clip, scene_film

pytest.importorskip("ray")
psutil = pytest.importorskip("psutil")
pytestmark = pytest.mark.ray


def _workers():
    return [p for p in psutil.process_iter(["cmdline"])
            if any("ColorizeWorker" in part for part in (p.info["cmdline"] or []))]


def test_ray_folder_with_corrupt_file_and_killed_worker(tmp_path, random_weights):
    src = tmp_path / "films"
    src.mkdir()
    for i in range(6):
        make_clip(src / f"reel{i}.mkv", frames=300, size=(320, 240), audio=False)   # long enough to be seen busy on a loaded machine
    (src / "corrupt.mp4").write_bytes(os.urandom(4000))
    out = tmp_path / "out"
    env = dict(os.environ, RAY_num_cpus="2")
    proc = subprocess.Popen([sys.executable, "-m", "colorize_cli", "run", str(src), "-o", str(out), "--ray",
                             "--weights", str(random_weights), "--json", "--preset", "ultrafast"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    killed = False
    deadline = time.time() + 240
    while time.time() < deadline and proc.poll() is None and not killed:
        busy = list(out.glob(".*partial*")) if out.exists() else []
        workers = _workers()
        if busy and workers:
            workers[0].send_signal(signal.SIGKILL)
            killed = True
        time.sleep(0.05)
    stdout, stderr = proc.communicate(timeout=400)
    assert killed, "no worker was seen busy"
    assert proc.returncode == 1, stderr
    results = [json.loads(x) for x in stdout.splitlines()]
    summary = results[-1]["summary"]
    assert (summary["done"], summary["failed"]) == (6, 1), stderr
    assert "corrupt.mp4" in stderr
    assert sorted(p.name for p in out.glob("*.mkv")) == [f"reel{i}.mkv" for i in range(6)]
    assert not list(out.glob(".*partial*"))
    status = json.loads(subprocess.run([sys.executable, "-m", "colorize_cli", "status", str(out), "--json"],
                                       capture_output=True, text=True).stdout)
    assert (status["done"], status["failed"]) == (6, 1)


def test_ray_missing_says_how_to_install(tmp_path, random_weights, monkeypatch):
    from colorize_cli.errors import MissingExtraError
    from colorize_cli.jobs import ray_runner

    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(MissingExtraError, match=r"pip install colorize-archive\[ray\]"):
        ray_runner._ray()


def test_ray_film_segments(tmp_path, random_weights):
    import av

    src = tmp_path / "long"
    src.mkdir()
    film = src / "film.mkv"
    with av.open(str(film), "w") as o:
        v = o.add_stream("libx264", rate=24, options={"g": "24", "preset": "ultrafast"})
        v.width, v.height, v.pix_fmt = 128, 96, "yuv420p"
        for i in range(120):
            f = av.VideoFrame.from_ndarray(np.full((96, 128, 3), (i * 2) % 255, np.uint8), format="rgb24")
            f.pts = i
            for q in v.encode(f):
                o.mux(q)
        for q in v.encode():
            o.mux(q)
    out = tmp_path / "out"
    r = subprocess.run([sys.executable, "-m", "colorize_cli", "run", str(src), "-o", str(out), "--ray",
                        "--segment-seconds", "1", "--weights", str(random_weights), "--json"],
                       capture_output=True, text=True, timeout=400, env=dict(os.environ, RAY_num_cpus="2"))
    assert r.returncode == 0, r.stderr
    with av.open(str(out / "film.mkv")) as c:
        times = [float(f.time) for f in c.decode(video=0)]
    with av.open(str(film)) as c:
        assert times == [float(f.time) for f in c.decode(video=0)] and len(times) == 120
    import sqlite3
    with sqlite3.connect(out / "colorize-manifest.sqlite") as db:
        segs = db.execute("SELECT COUNT(*) FROM items WHERE segment >= 0 AND status='done'").fetchone()[0]
    assert segs == 5


def test_a_driver_that_dies_right_after_a_worker_finishes_leaves_files_the_job_knows(tmp_path, random_weights,
                                                                                     monkeypatch):
    """The driver is killed between a worker's finished file and the manifest's record of it: the
    file's identity was recorded before it took its final name, so a rerun recognises it as the
    job's own and finishes (no "not written by this job" conflict, nothing to --overwrite)."""
    from PIL import Image

    from colorize_cli import api
    from colorize_cli.api import ModelOptions, RunOptions
    from colorize_cli.jobs.ray_runner import RayJob

    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    rng = np.random.default_rng(0)
    for name in ("a.png", "b.png"):
        Image.fromarray(rng.integers(0, 255, (48, 64), dtype=np.uint8)).save(src / name)

    seen = []

    def die(self, item, res):
        seen.append((res.status, res.error))
        raise KeyboardInterrupt   # the driver process dies here (Ctrl-C, kill): nothing recorded

    monkeypatch.setattr(RayJob, "_record", die)
    model = ModelOptions(weights=str(random_weights))
    with pytest.raises(KeyboardInterrupt):
        list(api.run([src], out, RunOptions(), model, runner="ray"))
    monkeypatch.undo()
    published = sorted(p.name for p in out.glob("*.png"))
    assert seen and seen[0][0] == "done" and published, seen
    results = list(api.run([src], out, RunOptions(), model))
    assert [r.status for r in results] == ["done", "done"], [r.error for r in results]
    assert sorted(p.name for p in out.glob("*.png")) == ["a.png", "b.png"]
    assert not list(out.glob(".*partial*"))


def test_hints_travel_with_ray_tasks(tmp_path, random_weights):
    """`--ray --hints DIR`: a hinted photo, an automatic one and a hinted film in segments come out
    as the local run makes them, and the manifest's configuration includes the hints."""
    from PIL import Image

    src, hints = tmp_path / "in", tmp_path / "hints"
    src.mkdir(), hints.mkdir()
    gray = np.full((96, 160), 70, np.uint8)
    gray[:, 80:] = 190
    Image.fromarray(gray).save(src / "scene.png")
    Image.fromarray(gray[:, ::-1]).save(src / "plain.png")
    scene_film(src / "film.mkv", n=60, cut=60, gop=12)
    (hints / "scene.json").write_text(json.dumps({"points": [[40, 48, "#c02020", 4]]}))
    (hints / "film.json").write_text(json.dumps({"frames": {"30": [[100, 64, "#d03020", 6]]}}))
    common = ["--weights", str(random_weights), "--codec", "ffv1", "--segment-seconds", "1", "--hints", str(hints),
              "--json"]
    outs = {}

    def run(name, *extra):
        outs[name] = tmp_path / name
        r = subprocess.run([sys.executable, "-m", "colorize_cli", "run", str(src), "-o", str(outs[name]), *extra,
                            *common], capture_output=True, text=True, timeout=400, env=dict(os.environ, RAY_num_cpus="2"))
        assert r.returncode == 0, r.stderr
        items = [json.loads(line) for line in r.stdout.splitlines()]
        return {i["source"].split("/")[-1]: i for i in items if "source" in i}

    for name, extra in (("local", []), ("ray", ["--ray"])):
        notes = run(name, *extra)
        assert any("1 hint from" in w for w in notes["scene.png"]["warnings"]), notes
        assert not any("hint" in w for w in notes["plain.png"]["warnings"]), notes
    for photo in ("scene.png", "plain.png"):
        assert np.array_equal(np.asarray(Image.open(outs["local"] / photo)), np.asarray(Image.open(outs["ray"] / photo)))
    import av

    frames = {}
    for name in outs:
        with av.open(str(outs[name] / "film.mkv")) as c:
            frames[name] = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
    assert len(frames["local"]) == len(frames["ray"]) == 60
    assert all(np.array_equal(a, b) for a, b in zip(frames["local"], frames["ray"]))
    import torch

    from colorize_cli.colorspace import rgb_to_lab

    def ab(rgb):
        return rgb_to_lab(torch.from_numpy(rgb).permute(2, 0, 1)[None].float() / 255)[0, 1:].numpy()

    want = ab(np.array([[[0xd0, 0x30, 0x20]]], np.uint8))[:, 0, 0]     # frame 30's square: x 80-120, y 44-84
    assert np.abs(ab(frames["ray"][30])[:, 54:74, 90:110].reshape(2, -1).mean(1) - want).max() < 15
    (hints / "scene.json").write_text(json.dumps({"points": [[40, 48, "#20c020", 4]]}))   # changed: redone alone
    again = run("ray", "--ray")
    assert {k: v["status"] for k, v in again.items()} == {"scene.png": "done", "plain.png": "skipped",
                                                          "film.mkv": "skipped"}, again


def test_a_hinted_photo_job_on_ray_equals_the_local_one(tmp_path, random_weights):
    """A photos-only job (no film: the local run keeps the numpy kernels, colour.jit.choose_for):
    Ray's workers make the same choice, so the hinted photo is the same to the code value."""
    from PIL import Image

    src, hints = tmp_path / "in", tmp_path / "hints"
    src.mkdir(), hints.mkdir()
    rng = np.random.default_rng(1)
    gray = (np.kron(rng.integers(40, 220, (12, 20)), np.ones((8, 8))) + rng.normal(0, 4, (96, 160))).clip(0, 255)
    Image.fromarray(gray.astype(np.uint8)).save(src / "scene.png")
    (hints / "scene.json").write_text(json.dumps({"points": [[40, 48, "#c02020", 4], [120, 20, "#2040c0", 3]]}))
    outs = {}
    for name, extra in (("local", []), ("ray", ["--ray"])):
        outs[name] = tmp_path / name
        r = subprocess.run([sys.executable, "-m", "colorize_cli", "run", str(src), "-o", str(outs[name]), *extra,
                            "--weights", str(random_weights), "--hints", str(hints)],
                           capture_output=True, text=True, timeout=400, env=dict(os.environ, RAY_num_cpus="2"))
        assert r.returncode == 0, r.stderr
    assert np.array_equal(np.asarray(Image.open(outs["local"] / "scene.png")),
                          np.asarray(Image.open(outs["ray"] / "scene.png")))
