"""Film hints measured (issue #24): k true-colour points on one frame of a shot, against the
automatic film, both made by the CLI's own path (`Colorizer.run`).

A colour clip is made gray (its first `frames` frames at `width`, Cb = Cr = 128, FFV1, exact) and
colorized twice: automatically, and with a hint file of k points on the middle frame of its longest
shot (seeded positions, the original's 7x7 mean colour). Reported: the mean PSNR (8-bit RGB
against the original) over the shot's other frames, automatic and hinted; and, where the clip has
a later shot, the largest mean |Δab| between the two films after the cut (0 = no hint colour
carried across it). Used by `colorize eval --video CLIP --hints K` and scripts/hint_film_eval.py.
"""
from __future__ import annotations

import json
import tempfile
from pathlib import Path

import av
import numpy as np
import torch

from colorize_cli.colorspace import rgb_to_lab
from colorize_cli.io.video import encode_frames
from colorize_cli.pipeline.film_hints import is_cut, small_frames
from colorize_cli.tools.evaluate import hint_points


def gray_copy(src: Path, dst: Path, frames: int | None, width: int) -> list[np.ndarray]:
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

        decoded = inp.decode(vin)
        encode_frames(out, v, (gray(f) for n, f in enumerate(decoded) if frames is None or n < frames))
    return truth


def rgb_frames(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as c:
        return [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(((a.astype(np.float64) - b) ** 2).mean())
    return 10 * np.log10(255 ** 2 / max(mse, 1e-10))


def ab(rgb: np.ndarray) -> np.ndarray:
    return rgb_to_lab(torch.from_numpy(rgb).permute(2, 0, 1)[None].float() / 255)[0, 1:].numpy()


def shots_of(film: Path) -> list[list[int]]:
    """Frame indices of each shot, by the film-hint code's own cut rule."""
    shots, prev = [], None
    for n, (_, _, small, _, _) in enumerate(small_frames(film)):
        if is_cut(prev, small):
            shots.append([])
        shots[-1].append(n)
        prev = small
    return shots


def true_points(rgb: np.ndarray, k: int, seed: int = 0) -> list:
    """The photo protocol's k points (tools.evaluate.hint_points) as hint-file entries."""
    return [[x, y, "#%02x%02x%02x" % c] for x, y, c, _ in hint_points(rgb, k, seed)]


def hinted_shot(clip: str | Path, colorizer, points: int = 10, frames: int | None = 96,
                width: int = 480) -> dict:
    """One clip's row: frames, shots, the hinted frame, PSNR automatic and hinted, the gain and
    the leak after the cut (None when the clip has one shot)."""
    from colorize_cli.api import RunOptions

    clip = Path(clip)
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        gray = d / "gray.mkv"
        truth = gray_copy(clip, gray, frames, width)
        shots = shots_of(gray)
        shot = max(shots, key=len)
        k = shot[len(shot) // 2]
        hints = d / "hints.json"
        hints.write_text(json.dumps({"frames": {str(k): true_points(truth[k], points)}}))
        outs = {}
        for name, opts in (("auto", RunOptions(crf=0, preset="ultrafast")),
                           ("hinted", RunOptions(crf=0, preset="ultrafast", hints=str(hints)))):
            out = d / f"{name}.mkv"
            (res,) = list(colorizer.run([gray], out, opts))
            if res.status != "done":
                raise RuntimeError(f"{clip}: {res.error}")
            outs[name] = rgb_frames(out)
    others = [i for i in shot if i != k] or [k]
    p_auto = float(np.mean([psnr(outs["auto"][i], truth[i]) for i in others]))
    p_hint = float(np.mean([psnr(outs["hinted"][i], truth[i]) for i in others]))
    later = [i for s in shots if s[0] > shot[-1] for i in s]
    leak = max((float(np.abs(ab(outs["hinted"][i]) - ab(outs["auto"][i])).mean()) for i in later), default=None)
    return {"clip": clip.name, "frames": len(truth), "shots": len(shots), "shot_frames": len(shot),
            "hinted_frame": k, "points": points, "psnr_auto": p_auto, "psnr_hinted": p_hint,
            "gain_db": p_hint - p_auto, "leak_after_cut": leak}


def markdown(rows: list[dict]) -> str:
    out = ["| clip | shot frames | hinted frame | points | automatic dB | hinted dB | gain | after the cut, max mean abs Δab |",
           "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        leak = "no later shot" if r["leak_after_cut"] is None else f"{r['leak_after_cut']:.2f}"
        out.append(f"| {r['clip']} | {r['shot_frames']} | {r['hinted_frame']} | {r['points']} | "
                   f"{r['psnr_auto']:.2f} | {r['psnr_hinted']:.2f} | {r['gain_db']:+.2f} | {leak} |")
    if len(rows) > 1:
        out.append(f"| **mean** | | | | | | **{np.mean([r['gain_db'] for r in rows]):+.2f}** | |")
    return "\n".join(out)
