#!/usr/bin/env python3
"""Film hints measured: 10 true-colour points on one frame of a shot, against the automatic film.

  python scripts/hint_film_eval.py ../shared/data/video/*.mp4 --frames 96 --width 480

Each colour clip is made gray (its first FRAMES frames at WIDTH, Cb = Cr = 128, lossless), then
colorized twice by the CLI's own path (`Colorizer.run`): automatically, and with a hint file of
K points on the shot's middle frame (seeded positions, the original's 7x7 mean colour). Printed
per clip: the mean PSNR (8-bit RGB against the original) over the shot's other frames, automatic
and hinted, and the gain; and, where the clip has a later shot, the largest mean |Δab| between the
two films after the cut (0 = no hint colour carried across it).
"""
import argparse
import json
import tempfile
from pathlib import Path

import av
import numpy as np
import torch

from colorize_cli.api import Colorizer, RunOptions
from colorize_cli.colorspace import rgb_to_lab
from colorize_cli.io.video import encode_frames
from colorize_cli.pipeline.film_hints import _frames, is_cut


def gray_copy(src: Path, dst: Path, frames: int, width: int) -> list[np.ndarray]:
    """The gray film (FFV1, exact) and the original's RGB frames at that size."""
    truth = []
    with av.open(str(src)) as inp, av.open(str(dst), "w") as out:
        vin = inp.streams.video[0]
        h = round(vin.height * width / vin.width / 2) * 2
        v = out.add_stream("ffv1", rate=vin.average_rate or 25)
        v.width, v.height, v.pix_fmt = width, h, "yuv420p"
        def gray(frame):
            f = frame.reformat(width=width, height=h, format="yuv420p")
            truth.append(f.to_ndarray(format="rgb24"))
            a = f.to_ndarray()
            a[h:] = 128
            return av.VideoFrame.from_ndarray(a, format="yuv420p")
        encode_frames(out, v, (gray(f) for f, _ in zip(inp.decode(vin), range(frames))))
    return truth


def rgb_frames(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as c:
        return [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(((a.astype(np.float64) - b) ** 2).mean())
    return 10 * np.log10(255 ** 2 / max(mse, 1e-10))


def ab(rgb: np.ndarray) -> np.ndarray:
    return rgb_to_lab(torch.from_numpy(rgb).permute(2, 0, 1)[None].float() / 255)[0, 1:].numpy()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("clips", nargs="+")
    ap.add_argument("--frames", type=int, default=96)
    ap.add_argument("--width", type=int, default=480)
    ap.add_argument("--points", type=int, default=10)
    ap.add_argument("--model")
    args = ap.parse_args()
    cz = Colorizer(args.model, engine="cpu")
    rows = []
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        for clip in map(Path, args.clips):
            gray = d / f"{clip.stem}_gray.mkv"
            truth = gray_copy(clip, gray, args.frames, args.width)
            shots, prev = [], None
            for n, (_, _, small, _, _) in enumerate(_frames(gray)):
                if is_cut(prev, small):
                    shots.append([])
                shots[-1].append(n)
                prev = small
            shot = max(shots, key=len)
            k = shot[len(shot) // 2]
            rng = np.random.default_rng(0)
            h, w = truth[k].shape[:2]
            pts = []
            for _ in range(args.points):
                y, x = int(rng.integers(3, h - 3)), int(rng.integers(3, w - 3))
                c = truth[k][y - 3:y + 4, x - 3:x + 4].reshape(-1, 3).mean(0)
                pts.append([x, y, "#%02x%02x%02x" % tuple(int(round(v)) for v in c)])
            hints = d / f"{clip.stem}.json"
            hints.write_text(json.dumps({"frames": {str(k): pts}}))
            outs = {}
            for name, opts in (("auto", RunOptions(crf=0, preset="ultrafast")),
                               ("hinted", RunOptions(crf=0, preset="ultrafast", hints=str(hints)))):
                out = d / f"{clip.stem}_{name}.mkv"
                (res,) = list(cz.run([gray], out, opts))
                assert res.status == "done", res.error
                outs[name] = rgb_frames(out)
            others = [i for i in shot if i != k]
            p_auto = float(np.mean([psnr(outs["auto"][i], truth[i]) for i in others]))
            p_hint = float(np.mean([psnr(outs["hinted"][i], truth[i]) for i in others]))
            later = [i for s in shots if s[0] > shot[-1] for i in s]
            leak = max((float(np.abs(ab(outs["hinted"][i]) - ab(outs["auto"][i])).mean()) for i in later),
                       default=None)
            rows.append((clip.name, len(truth), len(shots), len(shot), k, p_auto, p_hint, leak))
            print(f"{clip.name}: {len(truth)} frames, {len(shots)} shot(s), hinted frame {k} of a {len(shot)}-frame "
                  f"shot: PSNR of the shot's other frames {p_auto:.2f} -> {p_hint:.2f} dB "
                  f"({p_hint - p_auto:+.2f}); after the cut: "
                  f"{'no later shot' if leak is None else f'max mean |Δab| {leak:.2f}'}", flush=True)
    gains = [r[6] - r[5] for r in rows]
    print(f"mean gain over {len(rows)} clips: {np.mean(gains):+.2f} dB")


if __name__ == "__main__":
    main()
