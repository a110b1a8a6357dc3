"""`colorize edit` in a real browser (headless Chromium driven by Selenium), and its safety.

The editor runs as the user starts it: `colorize edit ... --no-browser` in its own process,
stopped with Ctrl-C (SIGINT). The browser tests skip where Chromium or its driver is missing,
except under COLORIZE_REQUIRE_BROWSER=1 (set by .ci/run, which installs them): there they fail.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from conftest import default_signals, run_cli

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
DRIVER = shutil.which("chromedriver")


class Editor:
    """`colorize edit ARGS --no-browser` in a child process; its address from its first line."""

    def __init__(self, *args):
        self.proc = subprocess.Popen([sys.executable, "-m", "colorize_cli", "edit", *map(str, args), "--no-browser",
                                      "--engine", "cpu"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, preexec_fn=default_signals)
        line = self.proc.stdout.readline().strip()
        if not line.startswith("http://127.0.0.1:"):
            self.proc.kill()
            raise AssertionError(f"no address from colorize edit: {line!r} {self.proc.stderr.read()}")
        self.url = line
        self.port = int(re.match(r"http://127\.0\.0\.1:(\d+)/", line).group(1))
        self.token = line.split("token=")[1]
        self.base = f"http://127.0.0.1:{self.port}"

    def stop(self) -> tuple[int, str]:
        """Ctrl-C, as a user stops it: (exit code, stderr)."""
        self.proc.send_signal(signal.SIGINT)
        try:
            _, err = self.proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise
        return self.proc.returncode, err

    def request(self, path: str, body=None, token: bool = True, host: str | None = None):
        """(status, parsed JSON or bytes) of one request, the way a page or another site would send it."""
        req = urllib.request.Request(self.base + path, data=None if body is None else json.dumps(body).encode(),
                                     method="GET" if body is None else "POST")
        if token:
            req.add_header("X-Colorize-Token", self.token)
        if host is not None:
            req.add_header("Host", host)
        try:
            with urllib.request.urlopen(req, timeout=120) as r:
                data, code, ctype = r.read(), r.status, r.headers.get("Content-Type", "")
        except urllib.error.HTTPError as e:
            data, code, ctype = e.read(), e.code, e.headers.get("Content-Type", "")
        return code, json.loads(data) if ctype.startswith("application/json") else data


@pytest.fixture
def browser():
    if not (CHROMIUM and DRIVER):
        if os.environ.get("COLORIZE_REQUIRE_BROWSER") == "1":
            pytest.fail("Chromium and chromedriver are required here (apt-get install chromium chromium-driver)")
        pytest.skip("Chromium or chromedriver not installed (apt-get install chromium chromium-driver)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for a in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1500,1000",
              "--disable-gpu"):
        opts.add_argument(a)
    drv = webdriver.Chrome(service=Service(DRIVER), options=opts)
    drv.set_script_timeout(120)
    yield drv
    drv.quit()


def _wait(drv, what, timeout=120):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(drv, timeout, poll_frequency=0.1).until(lambda d: what(d))


def _renders(drv) -> int:
    return int(drv.find_element("id", "result").get_attribute("data-renders") or 0)


def _idle(drv, after: int):
    """Wait until the page has rendered more than `after` times and nothing is in flight."""
    _wait(drv, lambda d: _renders(d) > after and "busy" not in d.find_element("id", "result").get_attribute("class"))


def _place(drv, fx: float, fy: float, colour: str):
    """Click the gray picture at (fx, fy) of its size, then give the new point `colour`."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    gray = drv.find_element("id", "gray")
    w, h = gray.size["width"], gray.size["height"]
    n = _renders(drv)
    ActionChains(drv).move_to_element_with_offset(gray, int((fx - 0.5) * w), int((fy - 0.5) * h)).click().perform()
    _wait(drv, lambda d: d.find_element("id", "pointform").is_displayed())
    _idle(drv, n)
    hexbox = drv.find_element("id", "hex")
    hexbox.clear()
    n = _renders(drv)
    hexbox.send_keys(colour, Keys.TAB)
    _idle(drv, n)


def _save(drv):
    drv.find_element("id", "save").click()
    _wait(drv, lambda d: d.find_element("id", "status").text.startswith("saved "))


def _lab_ab(rgb):
    from colorize_cli.colour.lab import rgb_to_lab

    return rgb_to_lab(np.asarray(rgb, np.float64) / 255.0)[..., 1:]


def _opened(browser, tmp_path: Path, name: str, make) -> tuple[Editor, Path, Path]:
    """make(tmp_path/in/NAME), then `colorize edit tmp_path/in --hints tmp_path/hints` with its
    page open and first rendered: (editor, input folder, hints folder)."""
    folder, hints = tmp_path / "in", tmp_path / "hints"
    folder.mkdir()
    make(folder / name)
    ed = Editor(folder, "--hints", hints)
    try:
        browser.get(ed.url)
        _wait(browser, lambda d: (d.find_element("id", "result").get_attribute("src") or "").startswith("data:"))
    except BaseException:
        ed.stop()
        raise
    return ed, folder, hints


def _two_tone(path: Path, w=300, h=200):
    """Dark left half, light right half: two objects with a strong edge between them."""
    img = np.where(np.arange(w)[None, :] < w // 2, 80, 170).astype(np.uint8) * np.ones((h, 1), np.uint8)
    Image.fromarray(img).save(path)


def test_place_two_points_save_and_the_run_applies_them(tmp_path, browser):
    ed, gray, hints = _opened(browser, tmp_path, "two.png", _two_tone)
    try:
        assert "two.png" in browser.find_element("id", "status").text
        assert "--hints" in browser.find_element("id", "command").text
        _place(browser, 0.25, 0.5, "#c81e1e")       # left object red
        _place(browser, 0.75, 0.5, "#1e3cc8")       # right object blue
        assert len(browser.find_elements("css selector", ".marker")) == 2
        _save(browser)
        doc = json.loads((hints / "two.json").read_text())
        (x1, y1, c1, _), (x2, y2, c2, _) = doc["points"]
        assert (c1, c2) == ("#c81e1e", "#1e3cc8")
        assert abs(x1 - 75) <= 3 and abs(y1 - 100) <= 3 and abs(x2 - 225) <= 3 and abs(y2 - 100) <= 3
        # the editor's own preview already shows them
        src = browser.find_element("id", "result").get_attribute("src")
        import base64
        import io

        prev = np.asarray(Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1]))).convert("RGB"))
        ph, pw = prev.shape[:2]
        assert _lab_ab(prev[ph // 2, pw // 4])[0] > 20 and _lab_ab(prev[ph // 2, 3 * pw // 4])[1] < -20
        # undo removes the last change on the page only (the file stays as saved)
        browser.find_element("id", "undo").click()
        _wait(browser, lambda d: d.find_element("id", "save").get_attribute("class") == "dirty")
    finally:
        code, err = ed.stop()
    assert code == 0, err
    assert not list(hints.rglob("*partial*"))
    r = run_cli("run", gray, "-o", tmp_path / "out/", "--hints", hints, "--engine", "cpu")
    assert r.returncode == 0, r.stderr
    out = np.asarray(Image.open(tmp_path / "out" / "two.png").convert("RGB"))
    a_left, b_left = _lab_ab(out[100, 75])
    a_right, b_right = _lab_ab(out[100, 225])
    assert a_left > 20, (a_left, b_left)                       # red where the first click was
    assert b_right < -20, (a_right, b_right)                   # blue where the second was
    # and the colours stay on their own side of the edge
    assert _lab_ab(out[100, 160])[0] < a_left - 10


def _panning_texture(path: Path, frames=24, w=320, h=240, step=2):
    """A gray film of a smooth random texture panning left `step` pixels a frame: one shot,
    trackable everywhere."""
    import cv2

    from colorize_cli.io.video import encode_frames

    rng = np.random.default_rng(3)
    big = cv2.GaussianBlur(rng.integers(0, 255, (h, w + step * frames)).astype(np.float32), (0, 0), 4)
    big = cv2.normalize(big, None, 30, 220, cv2.NORM_MINMAX).astype(np.uint8)
    with av.open(str(path), "w") as out:
        v = out.add_stream("libx264", rate=24)
        v.width, v.height, v.pix_fmt = w, h, "yuv420p"
        v.options = {"preset": "ultrafast", "crf": "16"}
        encode_frames(out, v, (av.VideoFrame.from_ndarray(np.repeat(big[:, i * step:i * step + w, None], 3, 2),
                                                          format="rgb24") for i in range(frames)))


def test_a_film_hint_on_one_frame_follows_its_shot(tmp_path, browser):
    ed, films, hints = _opened(browser, tmp_path, "clip.mp4", _panning_texture)
    try:
        assert browser.find_element("id", "filmbar").is_displayed()
        n = _renders(browser)
        browser.execute_script("const s = document.getElementById('scrubber'); s.value = 10;"
                               "s.dispatchEvent(new Event('input'));")
        _wait(browser, lambda d: d.find_element("id", "frame-label").text.startswith("frame 10 "))
        _idle(browser, n)
        _place(browser, 0.5, 0.5, "#d22828")
        _save(browser)
        doc = json.loads((hints / "clip.json").read_text())
        assert list(doc["frames"]) == ["10"]
        (x, y, colour, _), = doc["frames"]["10"]
        assert colour == "#d22828" and abs(x - 160) <= 3 and abs(y - 120) <= 3
        # on another frame of the shot the hint is there, carried by the motion (a dashed ring)
        n = _renders(browser)
        browser.execute_script("const s = document.getElementById('scrubber'); s.value = 4;"
                               "s.dispatchEvent(new Event('input'));")
        _wait(browser, lambda d: d.find_element("id", "frame-label").text.startswith("frame 4 "))
        _idle(browser, n)
        ring, = browser.find_elements("css selector", ".marker.tracked")
        assert len(browser.find_elements("css selector", ".marker:not(.tracked)")) == 0
        gray = browser.find_element("id", "gray")
        # six frames earlier the texture stood 12 pixels further right: so does the hint
        left = float(ring.value_of_css_property("left")[:-2]) / gray.size["width"] * 320
        assert abs(left - (160 + 12.5)) <= 3, left
    finally:
        code, err = ed.stop()
    assert code == 0, err
    r = run_cli("run", films, "-o", tmp_path / "out/", "--hints", hints, "--engine", "cpu", "--temporal", "off")
    assert r.returncode == 0, r.stderr
    with av.open(str(tmp_path / "out" / "clip.mp4")) as c:
        frames = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
    assert len(frames) == 24
    assert _lab_ab(frames[10][116:125, 156:165].reshape(-1, 3).mean(0))[0] > 15


def test_the_editor_answers_only_its_own_page(tmp_path):
    gray, hints, outside = tmp_path / "gray", tmp_path / "hints", tmp_path / "outside"
    gray.mkdir()
    outside.mkdir()
    _two_tone(gray / "two.png")
    (gray / "b.png").write_bytes((gray / "two.png").read_bytes())
    hints.mkdir()
    (hints / "b.json").symlink_to(outside / "b.json")       # a link out of the hints folder
    ed = Editor(gray, "--hints", hints)
    try:
        assert ed.request("/api/items", token=False)[0] == 403
        assert ed.request("/?token=wrong", token=False)[0] == 403
        assert ed.request("/", token=False)[0] == 403
        assert ed.request("/api/items", host=f"evil.example:{ed.port}")[0] == 403    # DNS rebinding
        assert ed.request("/api/items", host="127.0.0.1:1")[0] == 403
        for path in ("/../../etc/passwd", "/api/items/0/../../../etc/passwd", "//etc/passwd",
                     "/api/items/%2e%2e/x", "/api/items/99", "/static/page.html", "/api/items/0/file"):
            assert ed.request(path)[0] == 404, path
        code, body = ed.request(f"/?token={ed.token}", token=False)
        assert code == 200 and b"colorize edit" in body
        code, listing = ed.request("/api/items")
        assert code == 200 and [i["name"] for i in listing["items"]] == ["b.png", "two.png"]
        code, body = ed.request("/api/items/1/hints", {"points": [[400, 10, "#ff0000"]]})   # outside 300x200
        assert code == 400 and "outside" in body["error"]
        code, body = ed.request("/api/items/1/hints", {"points": [[10, 10, "red"]]})
        assert code == 400 and "#rrggbb" in body["error"]
        assert not (hints / "two.json").exists()
        code, body = ed.request("/api/items/0/hints", {"points": [[10, 10, "#ff0000"]]})
        assert code == 400 and not (outside / "b.json").exists()
        code, body = ed.request("/api/items/1/hints", {"points": [[10, 10, "#ff0000"]]})
        assert code == 200 and json.loads((hints / "two.json").read_text())["points"] == [[10, 10, "#ff0000"]]
    finally:
        code, err = ed.stop()
    assert code == 0, err
    assert sorted(p.name for p in hints.iterdir()) == ["b.json", "two.json"]      # nothing partial left
    (gray / "sub").mkdir()                        # a photo in a subfolder: named by its path in the job
    (gray / "sub" / "two.png").write_bytes((gray / "two.png").read_bytes())
    again = Editor(gray, "--hints", hints)        # reopened: the saved hints are there again
    try:
        listing = again.request("/api/items")[1]["items"]
        assert [(i["name"], i["hinted"]) for i in listing] == [("b.png", False), ("sub/two.png", False),
                                                               ("two.png", True)]
        assert again.request("/api/items/2")[1]["hints"] == {"points": [[10, 10, "#ff0000"]]}
    finally:
        again.stop()


def test_a_film_s_scene_cuts_are_given_and_its_hints_stop_at_them(tmp_path):
    """Two shots: the editor reports the cut where the run's smoother finds it, and a hint placed
    in the first shot reaches no frame of the second."""
    import cv2

    from colorize_cli.io.video import encode_frames

    films = tmp_path / "films"
    films.mkdir()
    rng = np.random.default_rng(4)
    a, b = (cv2.GaussianBlur(rng.integers(0, 255, (120, 160)).astype(np.float32), (0, 0), 3) for _ in range(2))
    a = cv2.normalize(a, None, 20, 120, cv2.NORM_MINMAX).astype(np.uint8)     # a dark shot, then a light one
    b = cv2.normalize(b, None, 130, 240, cv2.NORM_MINMAX).astype(np.uint8)
    with av.open(str(films / "two_shots.mp4"), "w") as out:
        v = out.add_stream("libx264", rate=24)
        v.width, v.height, v.pix_fmt = 160, 120, "yuv420p"
        encode_frames(out, v, (av.VideoFrame.from_ndarray(np.repeat((a if i < 8 else b)[..., None], 3, 2),
                                                          format="rgb24") for i in range(16)))
    ed = Editor(films, "--hints", tmp_path / "hints")
    try:
        info = ed.request("/api/items/0")[1]
        assert info["kind"] == "film" and info["frames"] == 16 and info["cuts"] == [8]
        hint = {"frames": {"3": [[80, 60, "#d02020"]]}}
        assert ed.request("/api/items/0/render?frame=6", hint)[1]["tracked"] != []      # same shot
        assert ed.request("/api/items/0/render?frame=9", hint)[1]["tracked"] == []      # after the cut
        code, body = ed.request("/api/items/0/render?frame=99", hint)
        assert code == 400 and "frame 99" in body["error"]
    finally:
        ed.stop()
