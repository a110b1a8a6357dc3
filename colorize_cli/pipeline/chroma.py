"""The CPU chroma path: predicted ab + the source's luma -> the output's own chroma planes.

On a CPU the colour math, not the network, used to dominate (about 110 ms per 1080p frame in
torch: a full-resolution L, then Lab -> sRGB -> Y'CbCr on the chroma planes). Here it is done with
OpenCV's vectorised, multithreaded kernels, on the chroma planes' resolution only:

  Y' codes --table--> L (full resolution, needed by the network anyway)
  L --area mean--> L at the chroma sites   ab --bilinear--> ab at the chroma sites
  (L, a, b) --cvtColor Lab2RGB (float, clipped)--> R'G'B' --3x2 matrix + offset--> Cb, Cr

This is the same math as `pipeline.color` (tested: within 1 code value of the torch path).
"""
from __future__ import annotations

import numpy as np
import torch

from colorize_cli.colorspace import KR_KB, gray_to_L, luma_to_gray

_L_TABLES: dict = {}


def L_table(bits: int, full_range: bool) -> np.ndarray:
    """Lab L of every Y' code value, float32, (1 << bits) entries."""
    key = (bits, full_range)
    if key not in _L_TABLES:
        codes = torch.arange(1 << bits)
        _L_TABLES[key] = gray_to_L(luma_to_gray(codes, bits, full_range)).numpy().astype(np.float32)
    return _L_TABLES[key]


def luma_to_L_np(y: np.ndarray, bits: int, full_range: bool) -> np.ndarray:
    """(H, W) Y' codes (uint8 or uint16) -> float32 L."""
    import cv2

    table = L_table(bits, full_range)
    if y.dtype == np.uint8 and bits == 8:
        return cv2.LUT(y, table)
    return table[np.minimum(y, len(table) - 1)]


def cbcr_matrix(matrix: str, bits: int, full_range: bool) -> np.ndarray:
    """2x4 affine matrix: R'G'B' in [0, 1] -> (Cb, Cr) code values, as `color.rgb_to_cbcr`."""
    kr, kb = KR_KB[matrix]
    kg = 1 - kr - kb
    m = np.array([[-kr, -kg, 1 - kb], [1 - kr, -kg, -kb]], np.float64)
    m /= np.array([[2 * (1 - kb)], [2 * (1 - kr)]])
    top, s = (1 << bits) - 1, 1 << (bits - 8)
    scale, mid = (top, 1 << (bits - 1)) if full_range else (224 * s, 128 * s)
    return np.concatenate([m * scale, np.full((2, 1), mid)], 1).astype(np.float32)


def chroma_planes(L: np.ndarray, ab: np.ndarray, chroma_hw: tuple[int, int], matrix: str, bits: int,
                  full_range: bool) -> np.ndarray:
    """Full-resolution L (H, W) and network-size ab (2, h, w) -> Cb/Cr (2, ch, cw) as integer codes."""
    import cv2

    ch, cw = chroma_hw
    L_c = L if L.shape == (ch, cw) else cv2.resize(L, (cw, ch), interpolation=cv2.INTER_AREA)
    a = cv2.resize(np.ascontiguousarray(ab[0], dtype=np.float32), (cw, ch), interpolation=cv2.INTER_LINEAR)
    b = cv2.resize(np.ascontiguousarray(ab[1], dtype=np.float32), (cw, ch), interpolation=cv2.INTER_LINEAR)
    rgb = cv2.cvtColor(cv2.merge([L_c, a, b]), cv2.COLOR_Lab2RGB)
    cbcr = cv2.transform(rgb, cbcr_matrix(matrix, bits, full_range))
    s = 1 << (bits - 8)
    lo, hi = (0, (1 << bits) - 1) if full_range else (16 * s, 240 * s)
    if bits == 8:   # round and saturate in one pass (values are >= 0, so abs() is a no-op)
        planes = [cv2.convertScaleAbs(c) for c in cv2.split(cbcr)]
        if not full_range:
            planes = [np.clip(c, lo, hi, out=c) for c in planes]
        return np.stack(planes)
    out = np.clip(np.rint(cbcr), lo, hi).astype(np.uint16)
    return np.ascontiguousarray(out.transpose(2, 0, 1))


# --- photos: gamut mapping by a chroma-limit table instead of a search over the full image -------

_CMAX: np.ndarray | None = None
L_STEPS, HUE_STEP = 2, 1.0   # table rows per L unit, degrees per column


def chroma_limit_table() -> np.ndarray:
    """Largest in-sRGB chroma for (L, hue): rows L = 0, 0.5, ... 100, columns hue = 0 .. 360 deg."""
    global _CMAX
    if _CMAX is None:
        from colorize_cli.colorspace import _in_gamut

        Ls = torch.arange(0, 100 * L_STEPS + 1) / L_STEPS
        hues = torch.deg2rad(torch.arange(0, 360 + HUE_STEP, HUE_STEP))
        L, h = torch.meshgrid(Ls, hues, indexing="ij")
        lo, hi = torch.zeros_like(L), torch.full_like(L, 200.0)
        for _ in range(30):   # bisection on chroma along each hue ray (the in-gamut set is an interval)
            mid = (lo + hi) / 2
            lab = torch.stack([L, mid * torch.cos(h), mid * torch.sin(h)])[None].double()
            ok = _in_gamut(lab)[0, 0]        # the tolerance of color.lab_to_rgb_in_gamut
            lo, hi = torch.where(ok, mid, lo), torch.where(ok, hi, mid)
        _CMAX = lo.numpy().astype(np.float32)
    return _CMAX


def lab_to_rgb_gamut(L: np.ndarray, ab: np.ndarray) -> np.ndarray:
    """L (H, W) and ab (H, W, 2) float32 -> sRGB float32 (H, W, 3) in [0, 1], L kept.

    Chroma above the sRGB limit for the pixel's (L, hue) is scaled down to the limit (hue kept);
    the limit comes from a table, bilinear in L and hue.
    """
    import cv2

    a, b = np.ascontiguousarray(ab[..., 0]), np.ascontiguousarray(ab[..., 1])
    chroma, hue = cv2.cartToPolar(a, b, angleInDegrees=True)
    table = chroma_limit_table()
    limit = cv2.remap(table, hue / HUE_STEP, np.ascontiguousarray(L * L_STEPS), cv2.INTER_LINEAR,
                      borderMode=cv2.BORDER_REPLICATE)
    scale = np.minimum(1.0, limit / np.maximum(chroma, 1e-6))
    return cv2.cvtColor(cv2.merge([L, a * scale, b * scale]), cv2.COLOR_Lab2RGB)


_LINEAR: dict = {}


def rgb_to_L(rgb: np.ndarray) -> np.ndarray:
    """sRGB uint8/uint16 (H, W, 3) -> Lab L (H, W) float32, exactly as color.rgb_to_lab's L.

    L depends only on the luminance Y: each code is linearised through a table, Y is a 3-tap sum,
    L = 116 f(Y) - 16.
    """
    import cv2

    top = 65535 if rgb.dtype == np.uint16 else 255
    if top not in _LINEAR:
        from colorize_cli.colorspace import srgb_to_linear
        _LINEAR[top] = srgb_to_linear(torch.arange(top + 1, dtype=torch.float64) / top).float().numpy()
    table = _LINEAR[top]
    lin = cv2.LUT(rgb, table) if top == 255 else table[rgb]
    Y = cv2.transform(lin, np.array([[0.212671, 0.715160, 0.072169]], np.float32))
    eps = (6 / 29) ** 3
    f = cv2.pow(np.maximum(Y, 0, out=Y), 1 / 3)
    dark = Y <= eps
    if dark.any():
        f[dark] = Y[dark] / (3 * (6 / 29) ** 2) + 4 / 29
    return f * np.float32(116) - np.float32(16)


def upsample_rows_np(ab: np.ndarray, height: int, width: int, y0: int, y1: int) -> np.ndarray:
    """Rows y0:y1 of ab (h, w, 2) bilinearly upsampled to (height, width), half-pixel centres."""
    import cv2

    h, w = ab.shape[:2]
    if y0 == 0 and y1 == height:
        return cv2.resize(ab, (width, height), interpolation=cv2.INTER_LINEAR)
    mx = ((np.arange(width, dtype=np.float32) + 0.5) * (w / width) - 0.5)[None, :].repeat(y1 - y0, 0)
    my = ((np.arange(y0, y1, dtype=np.float32) + 0.5) * (h / height) - 0.5)[:, None].repeat(width, 1)
    return cv2.remap(ab, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
