"""Photo colorization: predict ab small, recombine with the original L at full resolution."""
from __future__ import annotations

import time

import cv2
import numpy as np
import torch

from colorize_cli.pipeline.chroma import (is_gray, lab_to_codes_compiled, lab_to_rgb_gamut, rgb_to_L,
                                          upsample_rows_np)
from colorize_cli.colorspace import lab_to_rgb_in_gamut, rgb_to_lab
from colorize_cli.pipeline.predict import ChromaPredictor, upsample_rows

ROWS = 1024  # full-resolution work is done in strips to bound memory on huge scans


HINT_SIZE = 256   # hints are applied with the chroma at this short side (or the network's, if larger)


def hinted_ab(L: np.ndarray, a: np.ndarray, b: np.ndarray, hints) -> tuple[np.ndarray, np.ndarray]:
    """The predicted a, b (h, w) with `hints` (colorize_cli.hints.Hints) applied, at the hint size:
    L is the full-resolution lightness (H, W). Without hints, a and b are returned as they are."""
    from colorize_cli.hints import draw, hint_ab
    from colorize_cli.pipeline.hints import apply_hints

    if hints is None or hints.count == 0:
        return a, b
    H, W = L.shape
    scale = min(1.0, max(HINT_SIZE / min(H, W), a.shape[0] / H))
    hh, ww = max(1, round(H * scale)), max(1, round(W * scale))
    Lw = cv2.resize(L, (ww, hh), interpolation=cv2.INTER_AREA) if (hh, ww) != (H, W) else L
    ab = np.stack([cv2.resize(np.ascontiguousarray(c, dtype=np.float32), (ww, hh), interpolation=cv2.INTER_LINEAR)
                   for c in (a, b)])
    rgb, weight = draw(hints, W, H, ww, hh)
    out = apply_hints(Lw.astype(np.float32), ab, hint_ab(rgb, weight, rgb_to_lab), weight)
    return np.ascontiguousarray(out[0]), np.ascontiguousarray(out[1])


@torch.inference_mode()
def colorize_rgb(rgb: np.ndarray, predictor: ChromaPredictor, saturation: float = 1.0,
                 times: dict | None = None, gray: bool | None = None, hints=None) -> np.ndarray:
    """(H, W, 3) uint8/uint16 -> colorized array of the same dtype; Lab L is kept.

    times (optional, CPU path): seconds are added under "network" and "chroma". gray: the caller
    knows R = G = B (a grey file); None: looked at. hints: colorize_cli.hints.Hints (or None).
    """
    if predictor.device.type == "cpu":
        return colorize_rgb_cpu(rgb, predictor, saturation, times, gray, hints=hints)
    top = 65535.0 if rgb.dtype == np.uint16 else 255.0
    dev = predictor.device
    H, W = rgb.shape[:2]
    L = _lightness(rgb, top, dev)
    _, ab = predictor.predict(L)
    ab = ab * saturation
    if hints is not None and hints.count:
        a, b = hinted_ab(L[0, 0].float().cpu().numpy(), *(c.cpu().numpy() for c in ab[0]), hints)
        ab = torch.from_numpy(np.stack([a, b]))[None].to(dev)
    out = np.empty_like(rgb)
    for y0 in range(0, H, ROWS):
        y1 = min(H, y0 + ROWS)
        ab_rows = upsample_rows(ab, H, W, y0, y1)
        res = lab_to_rgb_in_gamut(L[:, :, y0:y1], ab_rows)
        out[y0:y1] = (res[0].permute(1, 2, 0) * top).round().clamp(0, top).to("cpu").numpy().astype(rgb.dtype)
    return out


def colorize_rgb_cpu(rgb: np.ndarray, predictor: ChromaPredictor, saturation: float = 1.0,
                     times: dict | None = None, gray: bool | None = None, jit: bool | None = None,
                     hints=None) -> np.ndarray:
    """colorize_rgb with a chroma-limit table for the gamut (pipeline.chroma): the compiled kernel
    (jit; None: when numba is there), else OpenCV's kernels in strips of ROWS rows."""
    t0 = time.perf_counter()
    top = 65535.0 if rgb.dtype == np.uint16 else 255.0
    H, W = rgb.shape[:2]
    L = np.empty((H, W), np.float32)
    gray = is_gray(rgb) if gray is None else gray
    for y0 in range(0, H, ROWS):
        L[y0:y0 + ROWS] = rgb_to_L(np.ascontiguousarray(rgb[y0:y0 + ROWS]), gray)
    small = predictor.shrink(torch.from_numpy(L)[None, None])
    t1 = time.perf_counter()
    ab = predictor.engine.infer(small).float()
    t2 = time.perf_counter()
    a, b = (np.ascontiguousarray(c.numpy()) for c in (ab[0] * saturation).float())
    a, b = hinted_ab(L, a, b, hints)
    out = np.empty_like(rgb)
    if jit is None:
        from colorize_cli.pipeline import kernels
        jit = kernels.available()
    if jit:       # one compiled pass per row (pipeline.kernels.photo), the same table for the gamut
        lab_to_codes_compiled(L, a, b, out)
    else:
        for y0 in range(0, H, ROWS):
            y1 = min(H, y0 + ROWS)
            res = lab_to_rgb_gamut(L[y0:y1], upsample_rows_np(a, H, W, y0, y1), upsample_rows_np(b, H, W, y0, y1))
            if rgb.dtype == np.uint8:
                out[y0:y1] = cv2.convertScaleAbs(res, alpha=255.0)      # round + saturate in one pass
            else:
                out[y0:y1] = np.clip(np.rint(res * top), 0, top).astype(rgb.dtype)
    if times is not None:
        times["network"] = times.get("network", 0.0) + t2 - t1
        times["chroma"] = times.get("chroma", 0.0) + (t1 - t0) + (time.perf_counter() - t2)
    return out


def _lightness(rgb: np.ndarray, top: float, dev) -> torch.Tensor:
    H, W = rgb.shape[:2]
    L = torch.empty((1, 1, H, W), device=dev)
    for y0 in range(0, H, ROWS):
        part = rgb[y0:y0 + ROWS].astype(np.float32) / top
        t = torch.from_numpy(part).to(dev).permute(2, 0, 1)[None]
        L[:, :, y0:y0 + ROWS] = rgb_to_lab(t)[:, :1]
    return L
