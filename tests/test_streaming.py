"""Streaming: kill -9 leaves no final file; memory does not grow with the film's length."""
import os
import signal
import subprocess
import sys
import time

import pytest

from media import make_clip
from conftest import default_signals

MEASURE = r"""
import resource, sys
from colorize_cli.api import Colorizer, RunOptions
cz = Colorizer(weights=sys.argv[3])
res = cz.process(cz.plan([sys.argv[1]], sys.argv[2])[0], RunOptions(preset="ultrafast"))
assert res.status == "done", res.error
print(res.frames, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def _peak_rss(src, out, weights):
    r = subprocess.run([sys.executable, "-c", MEASURE, str(src), str(out), str(weights)],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    frames, kb = map(int, r.stdout.split())
    return frames, kb


def test_peak_memory_flat_in_film_length(tmp_path, random_weights):
    short = make_clip(tmp_path / "short.mp4", frames=40, size=(320, 240))
    long = make_clip(tmp_path / "long.mp4", frames=400, size=(320, 240))
    f1, rss_short = _peak_rss(short, tmp_path / "o1.mp4", random_weights)
    f2, rss_long = _peak_rss(long, tmp_path / "o2.mp4", random_weights)
    assert (f1, f2) == (40, 400)
    assert rss_long <= 1.10 * rss_short, (rss_short, rss_long)


def test_kill_mid_film_leaves_nothing_then_rerun_succeeds(tmp_path, random_weights):
    src = make_clip(tmp_path / "film.mp4", frames=1500, size=(320, 240))
    out = tmp_path / "film_out.mp4"
    cmd = [sys.executable, "-m", "colorize_cli", "run", str(src), "-o", str(out), "--weights", str(random_weights)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    partial = tmp_path / ".film_out.partial.mp4"
    deadline = time.time() + 120
    while time.time() < deadline and not (partial.exists() and partial.stat().st_size > 20000):
        time.sleep(0.05)
    assert proc.poll() is None, "finished before it could be killed; make the clip longer"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not out.exists()
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    import av
    with av.open(str(out)) as c:
        assert c.streams.video[0].frames == 1500
    assert not partial.exists()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_interrupt_exits_130_and_cleans_up(tmp_path, random_weights, sig):
    src = make_clip(tmp_path / "film.mp4", frames=1500, size=(320, 240))
    out = tmp_path / "film_out.mp4"
    proc = subprocess.Popen([sys.executable, "-m", "colorize_cli", "run", str(src), "-o", str(out),
                             "--weights", str(random_weights)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=default_signals)
    partial = tmp_path / ".film_out.partial.mp4"
    deadline = time.time() + 120
    while time.time() < deadline and not partial.exists():
        time.sleep(0.05)
    time.sleep(0.5)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert not out.exists() and not partial.exists()
