"""Benchmarks that print ratios measured side by side in one run (never timed unit tests)."""
from __future__ import annotations

import copy
import sys
import tempfile
import time
from pathlib import Path

import av
import numpy as np


def _timeit(fn, warmup: int = 2, min_seconds: float = 1.0, min_runs: int = 3) -> float:
    """Median seconds per call."""
    for _ in range(warmup):
        fn()
    times = []
    start = time.perf_counter()
    while len(times) < min_runs or time.perf_counter() - start < min_seconds:
        t = time.perf_counter()
        fn()
        torch = sys.modules.get("torch")    # only where a torch engine imported it
        if torch is not None and torch.cuda.is_available():
            torch.cuda.synchronize()
        times.append(time.perf_counter() - t)
    return float(np.median(times))


def inference(model_name: str, engine_name: str, batches=(1, 4, 8, 16, 32, 64), size: int | None = None) -> dict:
    """Throughput of the engine at batch 1 and the best batch, beside naive PyTorch eager (the
    [gpu] extra: it needs torch)."""
    import torch

    from colorize_cli.engines import select_engine
    from colorize_cli.models import create_model, get_spec

    spec = get_spec(model_name)
    s = size or spec.input_size
    cls, _ = select_engine(engine_name)
    model = create_model(model_name, weights="default")
    engine = cls(copy.deepcopy(model), max_batch=max(batches))
    dev = torch.device(str(engine.device))
    naive = copy.deepcopy(model).to(dev).eval()
    naive_dtype = torch.float16 if dev.type == "cuda" else torch.float32
    if dev.type == "cuda":
        naive.half()
    out = {"model": model_name, "engine": engine.describe(), "size": s, "batches": {}}
    for b in batches:
        L = np.random.default_rng(b).random((b, 1, s, s), np.float32) * 100     # host in, host out
        try:
            t = _timeit(lambda: engine.infer(L))
        except torch.cuda.OutOfMemoryError:
            break
        out["batches"][b] = round(b / t, 1)
    x1 = torch.rand(1, 1, s, s, device=dev, dtype=naive_dtype) * 100

    def naive_call():
        with torch.no_grad():
            naive(x1)
    t_naive = _timeit(naive_call)
    x1_host = x1.float().cpu().numpy()
    t_engine = _timeit(lambda: engine.infer(x1_host))
    out["batch1_ms"] = round(1000 * t_engine, 2)
    out["naive_eager_batch1_ms"] = round(1000 * t_naive, 2)
    out["speedup_vs_naive_batch1"] = round(t_naive / t_engine, 2)
    best = max(out["batches"].items(), key=lambda kv: kv[1])
    out["best_batch"], out["best_img_per_s"] = best
    if dev.type == "cuda":
        out["peak_gpu_mb"] = round(torch.cuda.max_memory_allocated() / 2 ** 20)
    return out


def smoothing(model_name: str, heights=(480, 1080), frames: int = 24, render_size: int | None = None) -> list:
    """Per-frame cost of each temporal smoother at the render shape the model uses for that clip."""
    from colorize_cli.models import get_spec
    from colorize_cli.pipeline.temporal import make_smoother

    spec = get_spec(model_name)
    size = spec.render_size(render_size)
    rng = np.random.default_rng(0)
    rows = []
    for height in heights:
        h, w = spec.render_shape(height, height * 16 // 9, size)
        tex = rng.uniform(20, 80, (h + frames, w + 2 * frames)).astype(np.float32)
        L = np.stack([tex[i:i + h, 2 * i:2 * i + w] for i in range(frames)])[:, None]   # panning texture
        ab = rng.standard_normal((frames, 2, h, w)).astype(np.float32) * 10
        row = {"clip_height": height, "render_shape": f"{w}x{h}"}
        for mode in ("ema", "flow"):
            sm = make_smoother(mode)
            sm(L[:1], ab[:1])
            t = time.perf_counter()
            for i in range(1, frames):
                sm(L[i:i + 1], ab[i:i + 1])
            row[f"{mode}_ms"] = round(1000 * (time.perf_counter() - t) / (frames - 1), 2)
        rows.append(row)
    return rows


def network_only(cz, height: int, width: int, batch: int) -> float:
    """fps of the engine alone at the render shape a (height x width) frame gets, run the way a
    film runs it: on a CPU engine with several lanes, that many batches at once (three per lane
    per timed call, so that the lanes rarely wait for each other at the end of a call)."""
    from concurrent.futures import ThreadPoolExecutor

    h, w = cz.spec.render_shape(height, width, cz.predictor.render_size)
    L = np.random.default_rng(0).random((batch, 1, h, w), np.float32) * 100
    lanes = cz.engine.lanes()
    if len(lanes) == 1:
        return batch / _timeit(lambda: cz.engine.infer(L), min_seconds=2.0)
    with ThreadPoolExecutor(len(lanes)) as pool:
        calls = lanes * 3
        return batch * len(calls) / _timeit(lambda: list(pool.map(lambda lane: lane(L), calls)), min_seconds=2.0)


def synthetic_photos(folder: Path, n: int, width: int = 1280, height: int = 960) -> Path:
    """n textured gray JPEGs (quality 92)."""
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for i in range(n):
        base = rng.integers(0, 255, (height // 16 + 1, width // 16 + 1), dtype=np.uint8)
        img = np.kron(base, np.ones((16, 16), np.uint8))[:height, :width]
        Image.fromarray(img).resize((width, height), Image.BILINEAR).save(folder / f"p{i:03d}.jpg", quality=92)
    return folder


def photos(model_name: str, engine_name: str, n: int = 20, threads: int | None = None) -> dict:
    """Photos per second as `colorize run` does them (the next photos computed ahead while one is
    written), idle and beside a busy process; and one photo at a time (`--photos-ahead 0`), whose
    stage times (decode, network, chroma, encode) are the floor the ratio is taken against: stage
    times measured while photos overlap are inflated by the sharing, so they make no floor."""
    import subprocess
    import sys

    from colorize_cli.api import Colorizer, RunOptions

    cz = Colorizer(model_name, engine_name, 1, threads=threads)
    with tempfile.TemporaryDirectory() as tmp:
        src = synthetic_photos(Path(tmp) / "in", n)

        def run(tag: str, options=RunOptions()) -> tuple[float, list]:
            t = time.perf_counter()
            results = list(cz.run([src], Path(tmp) / tag, options))
            bad = [r.error for r in results if r.status != "done"]
            if bad:
                raise RuntimeError(bad[0])
            return n / (time.perf_counter() - t), results

        run("warm")
        idle_rate, _ = run("idle")
        serial_rate, results = run("serial", RunOptions(photos_ahead=0))
        hog = subprocess.Popen([sys.executable, "-c", "while True: pass"])
        try:
            busy_rate, _ = run("busy")
        finally:
            hog.kill()
            hog.wait()
    stages = {k: round(float(np.mean([r.stage_ms.get(k, 0.0) for r in results])), 1)
              for k in ("decode", "network", "chroma", "encode")}
    per_photo = 1000 / idle_rate
    floor = stages["decode"] + stages["network"] + stages["encode"]
    return {"photos": n, "size": "1280x960 jpg", "threads": cz.threads, "photos_per_s": round(idle_rate, 2),
            "per_photo_ms": round(per_photo, 1), "serial_photos_per_s": round(serial_rate, 2),
            "serial_per_photo_ms": round(1000 / serial_rate, 1), "stage_ms": stages,
            "per_photo_vs_decode_network_encode": round(per_photo / floor, 2),
            "serial_vs_decode_network_encode": round(1000 / serial_rate / floor, 2),
            "busy_photos_per_s": round(busy_rate, 2), "busy_vs_idle": round(busy_rate / idle_rate, 2)}


def hints_cost(model_name: str, engine_name: str, counts=(0, 2, 20), size=(1152, 864)) -> dict:
    """ms per photo (a 1-megapixel synthetic photo, whole photo path) with k colour hints, each k
    timed in the same run; ratio = time with k hints / automatic time."""
    from colorize_cli.api import Colorizer
    from colorize_cli.hints import from_points

    w, h = size
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:h, 0:w]
    gray = (128 + 60 * np.sin(x / 37.0) * np.cos(y / 53.0) + rng.normal(0, 6, (h, w))).clip(0, 255).astype(np.uint8)
    cz = Colorizer(model_name, engine_name, batch_size=1)
    out = {"photo": f"{w}x{h}", "ms": {}}
    for k in counts:
        pts = [(int(rng.integers(0, w)), int(rng.integers(0, h)), tuple(int(c) for c in rng.integers(0, 255, 3)))
               for _ in range(k)]
        hints = from_points(pts) if k else None
        out["ms"][k] = round(1000 * _timeit(lambda: cz.colorize_array(gray, hints=hints), warmup=1, min_runs=3), 1)
    base = out["ms"][counts[0]]
    out["ratio"] = {k: round(v / base, 2) for k, v in out["ms"].items()}
    return out


def editor_change(model_name: str, engine_name: str, points: int = 10, size=(1152, 864), changes: int = 12) -> dict:
    """The hint editor's time per change, as the page sees it: an HTTP render request (JSON in,
    JPEG data URL out) to a `colorize edit` server on a thread, for a 1-megapixel photo with
    `points` hints, one point moved per change; beside it the automatic colorize_array of the
    same preview, timed in the same run."""
    import json
    import threading
    import urllib.request

    from PIL import Image

    from colorize_cli.editor.app import open_editor
    from colorize_cli.options import ModelOptions

    w, h = size
    rng = np.random.default_rng(1)
    with tempfile.TemporaryDirectory() as tmp:
        synthetic_photos(Path(tmp) / "in", 1, w, h)
        server = open_editor([Path(tmp) / "in" / "p000.jpg"], hints=Path(tmp) / "hints",
                             options=ModelOptions(model=model_name, engine=engine_name, batch_size=1))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            pts = [[int(rng.integers(0, w)), int(rng.integers(0, h)), "#%06x" % int(rng.integers(0, 1 << 24)), 6]
                   for _ in range(points)]
            url = f"http://127.0.0.1:{server.port}/api/items/0/render"

            def change():
                pts[0][0] = int(rng.integers(0, w))          # a point dragged somewhere else
                req = urllib.request.Request(url, json.dumps({"points": pts}).encode(),
                                             {"X-Colorize-Token": server.token})
                with urllib.request.urlopen(req) as r:
                    r.read()
            per_change = _timeit(change, warmup=2, min_runs=changes)
            view = server.views.photo(0)
            auto = _timeit(lambda: server.views.colour(view.gray, None), warmup=1, min_runs=changes)
        finally:
            server.shutdown()
            server.close()
    return {"photo": f"{w}x{h}", "preview": f"{view.gray.shape[1]}x{view.gray.shape[0]}", "points": points,
            "ms_per_change": round(1000 * per_change, 1), "automatic_preview_ms": round(1000 * auto, 1),
            "change_vs_automatic": round(per_change / auto, 2), "change_vs_target_0_5s": round(per_change / 0.5, 2)}


def synthetic_clip(path: Path, width: int, height: int, frames: int, rate: int = 25) -> Path:
    """A gray clip with moving texture (enough detail that the encoder does real work)."""
    from colorize_cli.io.video import encode_frames

    rng = np.random.default_rng(0)
    base = rng.integers(0, 255, (height // 8 + 1, width // 8 + 1), dtype=np.uint8)
    base = np.kron(base, np.ones((8, 8), np.uint8))
    with av.open(str(path), "w") as out:
        v = out.add_stream("libx264", rate=rate)
        v.width, v.height, v.pix_fmt = width, height, "yuv420p"
        v.options = {"preset": "veryfast", "crf": "18"}
        ramp = (np.arange(width)[None, :] * 200 // width).astype(np.uint8)

        def frame(i):
            y = np.roll(base, (i * 3, i * 5), (0, 1))[:height, :width]
            y = ((y.astype(np.uint16) + ramp) // 2).astype(np.uint8)
            return av.VideoFrame.from_ndarray(np.concatenate([y, np.full((height // 2, width), 128, np.uint8)]),
                                              format="yuv420p")
        encode_frames(out, v, (frame(i) for i in range(frames)))
    return path


def transcode_only(src: Path, dst: Path, crf: int, preset: str, source_types: bool = False) -> float:
    """Decode + encode with the same sink settings and no model; returns fps. The encoder chooses
    the frame types, as it does for colorize's frames (new frames, no picture type): a decoded frame
    keeps its source picture type, which libavcodec forces on libx264, and x264 then skips its own
    frame-type decisions (a cheaper job; `source_types=True` measures it, for comparison)."""
    from colorize_cli.io.video import FrameTags, Passthrough, VideoSink, VideoSource
    from colorize_cli.options import RunOptions

    t = time.perf_counter()
    with VideoSource(src) as source:
        sink = VideoSink(dst, source, RunOptions(crf=crf, preset=preset), overwrite=True)
        n = 0
        for event in source:
            if isinstance(event, Passthrough):
                sink.mux_packet(event.packet)
                continue
            item = event.frame
            if not source_types:
                item.pict_type = av.video.frame.PictureType.NONE
            if sink.container is None:
                sink.open(FrameTags.of(item), item.width, item.height)
            sink.write_frame(item)
            n += 1
        sink.finish()
    return n / (time.perf_counter() - t)


def end_to_end(model_name: str, engine_name: str, width: int, height: int, frames: int,
               crf: int = 18, preset: str = "veryfast", batch: int | None = None, video: Path | None = None,
               temporals=("flow",), rounds: int = 3) -> list[dict]:
    """`colorize run` fps next to network-only and transcode-only fps on the same clip and encoder
    settings, one row per temporal mode. Each round measures all of them one after the other; each
    column is the median over `rounds` (a passing load on a shared machine moves one round, not the
    figure), the fractions are taken from those medians, and the spread of the per-round fractions
    is given beside them."""
    from colorize_cli.api import Colorizer, RunOptions

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        src = Path(video) if video else synthetic_clip(tmp / f"bench_{height}p.mp4", width, height, frames)
        cz = Colorizer(model_name, engine_name, batch)
        with av.open(str(src)) as c:
            s = c.streams.video[0]
            w, h = s.width, s.height
        runs: dict = {"network": [], "transcode": [], "source_types": [], **{t: [] for t in temporals}}
        for r in range(rounds):
            runs["network"].append(network_only(cz, h, w, cz.batch_size))
            runs["transcode"].append(transcode_only(src, tmp / "transcode.mp4", crf, preset))
            runs["source_types"].append(transcode_only(src, tmp / "transcode.mp4", crf, preset, source_types=True))
            for temporal in temporals:
                opts = RunOptions(crf=crf, preset=preset, temporal=temporal)
                res = cz.process(cz.plan([src], tmp / f"colorized_{temporal}_{r}.mp4")[0], opts)
                if res.status != "done":
                    raise RuntimeError(res.error)
                runs[temporal].append(res)
    return [_e2e_row(runs, temporal, f"{w}x{h}", crf, preset, cz.engine.describe(), rounds) for temporal in temporals]


def _e2e_row(runs: dict, temporal: str, clip: str, crf: int, preset: str, engine: str, rounds: int) -> dict:
    """One temporal mode's row of end_to_end: medians over the rounds, fractions of the bounds."""
    med = lambda xs: float(np.median(xs))  # noqa: E731
    net_fps, base_fps, typed_fps = med(runs["network"]), med(runs["transcode"]), med(runs["source_types"])
    results = runs[temporal]
    fps = med([r.fps for r in results])
    bound = 1 / (1 / net_fps + 1 / base_fps)   # the network and the transcode one after the other
    per_round = [r.fps / (1 / (1 / n + 1 / t)) for r, n, t in zip(results, runs["network"], runs["transcode"])]
    per_frame = {k: round(med([r.stage_ms.get(k, 0.0) / max(r.frames, 1) for r in results]), 2)
                 for k in results[0].stage_ms}
    return {"clip": clip, "frames": results[0].frames, "encoder": f"libx264 crf {crf} {preset}",
            "engine": engine, "temporal": temporal, "rounds": rounds,
            "colorize_fps": round(fps, 2), "transcode_fps": round(base_fps, 2),
            "network_fps": round(net_fps, 2), "serial_bound_fps": round(bound, 2),
            "fraction_of_bound": round(fps / bound, 3),
            "fraction_of_bound_rounds": [round(min(per_round), 3), round(max(per_round), 3)],
            # the reference with the source's frame types forced on the encoder (a cheaper
            # encode than the film's; shown so the two references can be compared)
            "transcode_source_types_fps": round(typed_fps, 2),
            "fraction_of_bound_source_types": round(fps * (1 / net_fps + 1 / typed_fps), 3),
            "ratio": round(fps / base_fps, 3),
            "stage_ms_per_frame": per_frame}


def chroma_path(heights=(480, 1080), frames: int = 16, model_name: str = "baseline-cnn") -> list:
    """Milliseconds per frame of the CPU chroma path alone, the pipeline's own code: Y' -> L, L at
    the chroma sites, the network's input (pipeline.frames.network_input) and the 4:2:0 Cb/Cr planes
    from a network-size ab (ChromaPlanes); on one thread (as a film's encode thread runs it beside
    the network) and on every core this process may use."""
    import cv2

    from colorize_cli import threads as thread_budget
    from colorize_cli.api import Colorizer
    from colorize_cli.colour import ChromaPlanes
    from colorize_cli.pipeline.frames import network_input

    predictor = Colorizer(model_name, "cpu", 1).predictor
    rng = np.random.default_rng(0)
    rows = []
    before = cv2.getNumThreads()
    try:
        for height in heights:
            width = (height * 16 // 9) // 2 * 2
            hs, ws = predictor.render_shape(height, width)
            ys = rng.integers(16, 236, (frames, height, width), dtype=np.uint8)
            ab = (rng.standard_normal((frames, 2, hs, ws)) * 30).astype(np.float32)
            planes = ChromaPlanes("bt709", 8, False)

            def frame(i):
                L_c, _ = network_input([ys[i]], 8, False, (height // 2, width // 2), predictor)
                planes(L_c[0], ab[i])
            row = {"clip_height": height}
            for n in sorted({1, thread_budget.available_cores()}):
                cv2.setNumThreads(n)
                t = _timeit(lambda: [frame(i) for i in range(frames)], warmup=1)
                row["chroma_ms" if n == 1 else "chroma_ms_all_cores"] = round(1000 * t / frames, 2)
                row["cores"] = n
            rows.append(row)
    finally:
        cv2.setNumThreads(before)
    return rows


def startup(runs: int = 3) -> dict:
    """Seconds from launch to exit of commands that should not wait for torch (median of
    `runs`), beside `python -c pass` (the interpreter alone) measured the same way."""
    import statistics
    import subprocess
    import sys

    def wall(args) -> float:
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            subprocess.run([sys.executable, *args], capture_output=True, check=False)
            times.append(time.perf_counter() - t)
        return round(statistics.median(times), 3)

    out = {"python": wall(["-c", "pass"])}
    with tempfile.TemporaryDirectory() as tmp:
        for name, args in (("--help", ["--help"]), ("--version", ["--version"]), ("status", ["status", tmp]),
                           ("run --help", ["run", "--help"]), ("models", ["models"])):
            out[name] = wall(["-m", "colorize_cli", *args])
    return out


PEAK = """
import resource, runpy, sys
sys.argv = ["colorize", *sys.argv[1:]]
try:
    runpy.run_module("colorize_cli", run_name="__main__")
except SystemExit:
    pass
print("peak_kb", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)
"""


def run_costs(model: str | None = None) -> dict:
    """Wall seconds and peak RSS (MB) of whole `colorize run` processes, the way a user meets
    them: a 640x480 photo (twice: the second run finds numba's cache warm), a 12-megapixel photo,
    and a 2-second 1080p film."""
    import subprocess
    import sys

    from PIL import Image

    def measure(args) -> dict:
        t = time.perf_counter()
        r = subprocess.run([sys.executable, "-c", PEAK, *args], capture_output=True, text=True)
        wall = time.perf_counter() - t
        peak = [ln.split()[1] for ln in r.stderr.splitlines() if ln.startswith("peak_kb ")]
        return {"wall_s": round(wall, 2), "peak_mb": round(int(peak[-1]) / 1024) if peak else None,
                "ok": r.returncode == 0}

    extra = ["--model", model] if model else []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        rng = np.random.default_rng(0)
        for name, (w, h) in (("small.jpg", (640, 480)), ("12mp.jpg", (4000, 3000))):
            g = np.kron(rng.integers(0, 255, (h // 8, w // 8), dtype=np.uint8), np.ones((8, 8), np.uint8))
            Image.fromarray(g).save(tmp / name, quality=90)
        film = synthetic_clip(tmp / "film.mp4", 1920, 1080, 48)
        out = {}
        for key, src in (("photo_640x480_first", "small.jpg"), ("photo_640x480", "small.jpg"),
                         ("photo_12mp", "12mp.jpg"), ("film_1080p_2s", film)):
            dst = tmp / f"out_{key}{Path(src).suffix}"
            out[key] = measure(["run", str(tmp / src), "-o", str(dst), *extra])
    return out
