"""Photo colorization: predict ab small, recombine with the original L at full resolution.

Every engine takes the same path: L from the codes (colour.luma), the network's input shrunk from
it, the network on the engine's device, the small ab back on the host, hints, then the colour
module's photo codes (one gamut rule for every engine).
"""
from __future__ import annotations

import numpy as np

from colorize_cli.clock import stage_clock
from colorize_cli.colour import photo_codes, plane_to_L, rgb_to_L
from colorize_cli.colour.photos import ROWS
from colorize_cli.pipeline.predict import ChromaPredictor

HINT_SIZE = 256   # hints are applied with the chroma at this short side (or the network's, if larger)


def hinted_ab(L: np.ndarray, a: np.ndarray, b: np.ndarray, hints) -> tuple[np.ndarray, np.ndarray]:
    """The predicted a, b (h, w) with `hints` (colorize_cli.hints.Hints) applied, at the hint size:
    L is the full-resolution lightness (H, W). Without hints, a and b are returned as they are."""
    import cv2

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
    out = apply_hints(Lw.astype(np.float32), ab, hint_ab(rgb, weight), weight)
    return np.ascontiguousarray(out[0]), np.ascontiguousarray(out[1])


def lightness(pixels: np.ndarray, gray: bool | None = None) -> np.ndarray:
    """Lab L (H, W) float32 of a photo: one grey plane (H, W) or sRGB (H, W, 3), uint8/uint16,
    in strips of ROWS rows."""
    H = pixels.shape[0]
    L = np.empty(pixels.shape[:2], np.float32)
    for y0 in range(0, H, ROWS):
        strip = np.ascontiguousarray(pixels[y0:y0 + ROWS])
        L[y0:y0 + ROWS] = plane_to_L(strip) if pixels.ndim == 2 else rgb_to_L(strip, gray)
    return L


def colorize_rgb(pixels: np.ndarray, predictor: ChromaPredictor, saturation: float = 1.0,
                 times: dict | None = None, gray: bool | None = None, hints=None,
                 jit: bool | None = None) -> np.ndarray:
    """A photo (H, W, 3) sRGB or (H, W) grey, uint8/uint16 -> colorized (H, W, 3) of that dtype;
    Lab L is kept.

    times (optional): seconds are added under "network" and "chroma". gray: the caller knows
    R = G = B (None: looked at). hints: colorize_cli.hints.Hints (or None). jit: the colour
    module's compiled kernel (None: where numba is there).
    """
    with stage_clock(times, "chroma"):
        L = lightness(pixels, gray)
        small = predictor.shrink(L[None, None])
    with stage_clock(times, "network"):
        ab = predictor.engine.infer(small)
    with stage_clock(times, "chroma"):
        a, b = (np.ascontiguousarray(c * np.float32(saturation)) for c in ab[0])
        a, b = hinted_ab(L, a, b, hints)
        out = np.empty((*L.shape, 3), pixels.dtype)
        return photo_codes(L, a, b, out, jit)
