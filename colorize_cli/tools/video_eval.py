"""Temporal quality of colorized video, against the colour original (no downloaded networks).

A colour clip is decoded, scaled to a short side of `height` (default 360), made gray (Lab L kept),
colorized by the predictor once, and then smoothed by each temporal mode from the same raw
predictions, so the modes differ only in smoothing. Per clip and mode:

- PSNR (8-bit RGB vs the original) and ΔCF (|colourfulness(original) - colourfulness(output)|),
  averaged over frames;
- warp error: mean Euclidean ab distance (Lab units) between frame t and frame t-1 warped to t,
  over the pixels where the optical flow of the original's luma (OpenCV DIS, the same flow for
  every mode) passes the forward-backward check of Sundaram et al. 2010;
- CDC: Jensen-Shannon divergence (natural log) of the R, G, B histograms (256 bins) between frames
  t and t+1, t+2, t+4, averaged over channels, frames and the three gaps (as the reference code
  of Liu et al. computes it). The luma is the same for every mode, so this moves little;
- CDC-ab: the same on the Lab a and b histograms (1-unit bins), the part smoothing can change.
"""
from __future__ import annotations

import math
from pathlib import Path

import av
import numpy as np
import torch

from colorize_cli.colour import rgb_to_L
from colorize_cli.pipeline.temporal import make_smoother

GAPS = (1, 2, 4)


def read_clip(path: str | Path, height: int = 360, limit: int | None = None) -> np.ndarray:
    """RGB frames (N, h, w, 3) uint8, short side scaled to `height` (area filter)."""
    import cv2

    frames = []
    with av.open(str(path)) as c:
        for frame in c.decode(video=0):
            rgb = frame.to_ndarray(format="rgb24")
            h, w = rgb.shape[:2]
            s = height / min(h, w)
            size = (max(2, round(w * s / 2) * 2), max(2, round(h * s / 2) * 2))
            frames.append(cv2.resize(rgb, size, interpolation=cv2.INTER_AREA))
            if limit and len(frames) >= limit:
                break
    return np.stack(frames)


@torch.inference_mode()
def colorize_clip(frames: np.ndarray, predictor, modes: dict, batch: int = 8) -> dict[str, np.ndarray]:
    """mode name -> colorized RGB frames; modes: name -> (temporal mode, strength or None)."""
    import cv2

    smoothers = {name: make_smoother(*spec) for name, spec in modes.items()}
    outs = {name: [] for name in modes}
    h, w = frames.shape[1:3]
    for i in range(0, len(frames), batch):
        L = np.stack([rgb_to_L(f) for f in frames[i:i + batch]])
        L_small, ab = predictor.predict(L[:, None])
        for name, sm in smoothers.items():
            ab_m = ab if sm is None else sm(L_small, ab)
            for Lf, abf in zip(L, ab_m):
                up = cv2.resize(np.ascontiguousarray(abf.transpose(1, 2, 0)), (w, h), interpolation=cv2.INTER_LINEAR)
                rgb = cv2.cvtColor(cv2.merge([Lf, up]), cv2.COLOR_Lab2RGB)
                outs[name].append(cv2.convertScaleAbs(rgb, alpha=255.0))
    return {name: np.stack(v) for name, v in outs.items()}


def consistent_flows(frames: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """For t >= 1: (backward flow t -> t-1, mask of pixels that pass the forward-backward check)."""
    import cv2

    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    gray = [cv2.cvtColor(f, cv2.COLOR_RGB2GRAY) for f in frames]
    h, w = gray[0].shape
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    out = []
    for t in range(1, len(gray)):
        back = dis.calc(gray[t], gray[t - 1], None)
        fwd = dis.calc(gray[t - 1], gray[t], None)
        mx, my = gx + back[..., 0], gy + back[..., 1]
        fwd_w = cv2.remap(fwd, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        err = ((back + fwd_w) ** 2).sum(-1)
        ok = err < 0.01 * ((back ** 2).sum(-1) + (fwd_w ** 2).sum(-1)) + 0.5
        ok &= (mx >= 0) & (mx <= w - 1) & (my >= 0) & (my <= h - 1)
        out.append((np.stack([mx, my]), ok))
    return out


def ab_of(out: np.ndarray) -> np.ndarray:
    """Lab a, b of 8-bit RGB frames (N, h, w, 2), with OpenCV's float conversion (for metrics)."""
    import cv2

    return np.stack([cv2.cvtColor(f.astype(np.float32) / 255, cv2.COLOR_RGB2Lab)[..., 1:] for f in out])


def warp_error(ab: np.ndarray, flows) -> float:
    """ab: (N, h, w, 2) of the output."""
    import cv2

    errs = []
    for t, ((mx, my), ok) in enumerate(flows, start=1):
        prev = cv2.remap(np.ascontiguousarray(ab[t - 1]), mx, my, cv2.INTER_LINEAR,
                         borderMode=cv2.BORDER_REPLICATE)
        d = np.linalg.norm(ab[t] - prev, axis=-1)
        if ok.any():
            errs.append(float(d[ok].mean()))
    return float(np.mean(errs)) if errs else math.nan


def _hists(vals: np.ndarray, bins: int) -> np.ndarray:
    """vals (N, h, w, C) integer bin indices -> (N, C, bins) normalised histograms."""
    n, c = len(vals), vals.shape[-1]
    h = np.zeros((n, c, bins))
    for k in range(c):
        flat = vals[..., k].reshape(n, -1)
        for i in range(n):
            h[i, k] = np.bincount(flat[i], minlength=bins)[:bins]
    return h / h.sum(-1, keepdims=True)


def _js(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    m = (p + q) / 2

    def kl(a, b):
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(a > 0, a * np.log(a / b), 0.0).sum(-1)
    return 0.5 * kl(p, m) + 0.5 * kl(q, m)


def cdc(out: np.ndarray, ab: np.ndarray | None = None) -> float:
    """On the RGB frames, or on `ab` (N, h, w, 2) when given."""
    if ab is None:
        h = _hists(out, 256)
    else:
        h = _hists(np.clip(np.round(ab) + 110, 0, 220).astype(np.int64), 221)
    per_gap = [float(_js(h[:-g], h[g:]).mean()) for g in GAPS if len(h) > g]
    return float(np.mean(per_gap)) if per_gap else math.nan


def _cf(rgb8: np.ndarray) -> np.ndarray:
    x = rgb8.astype(np.float32)
    r, g, b = x[..., 0], x[..., 1], x[..., 2]
    rg, yb = (r - g).reshape(len(x), -1), (0.5 * (r + g) - b).reshape(len(x), -1)
    return np.sqrt(rg.std(1, ddof=1) ** 2 + yb.std(1, ddof=1) ** 2) + 0.3 * np.sqrt(rg.mean(1) ** 2 + yb.mean(1) ** 2)


def clip_metrics(truth: np.ndarray, out: np.ndarray, flows) -> dict:
    mse = ((out.astype(np.float32) - truth) ** 2).reshape(len(out), -1).mean(1)
    psnr = 10 * np.log10(255 ** 2 / np.maximum(mse, 1e-10))
    ab = ab_of(out)
    return {"psnr": float(psnr.mean()), "dcf": float(np.abs(_cf(truth) - _cf(out)).mean()),
            "cf": float(_cf(out).mean()), "warp_error": warp_error(ab, flows), "cdc": cdc(out),
            "cdc_ab": cdc(out, ab)}


DEFAULT_MODES = {"per-frame (off)": ("off", None), "ema": ("ema", None), "flow": ("flow", None)}


def evaluate_clips(clips: list[str | Path], predictor, modes: dict | None = None, height: int = 360,
                   limit: int | None = None) -> dict:
    """clip name -> mode -> metrics, plus 'mean' over clips."""
    modes = modes or DEFAULT_MODES
    table: dict = {}
    for clip in clips:
        truth = read_clip(clip, height, limit)
        flows = consistent_flows(truth)
        outs = colorize_clip(truth, predictor, modes)
        table[Path(clip).name] = {m: clip_metrics(truth, o, flows) for m, o in outs.items()}
    keys = ("psnr", "dcf", "cf", "warp_error", "cdc", "cdc_ab")
    table["mean"] = {m: {k: float(np.mean([table[c][m][k] for c in table])) for k in keys} for m in modes}
    return table


def markdown(table: dict) -> str:
    lines = ["| clip | mode | PSNR dB | ΔCF | CF | warp error | CDC (RGB) | CDC (ab) |",
             "|---|---|---|---|---|---|---|---|"]
    for clip, rows in table.items():
        for mode, r in rows.items():
            lines.append(f"| {clip} | {mode} | {r['psnr']:.2f} | {r['dcf']:.2f} | {r['cf']:.1f} | "
                         f"{r['warp_error']:.3f} | {r['cdc']:.5f} | {r['cdc_ab']:.5f} |")
    return "\n".join(lines)
