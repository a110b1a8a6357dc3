"""Lightness from what the decoder gives: Y' codes (films) or sRGB codes (photos) -> Lab L.

One Y'->L table per (bits, range), shared by films, photos and the tests (`L_table`); photos get
L from a linearising table and a 3-tap sum, a grey photo from one table lookup of its one plane.
"""
from __future__ import annotations

import threading

import numpy as np

import colorize_cli.colour.jit as compiled
from colorize_cli.colour.lab import RGB2XYZ, gray_to_L, luma_to_gray, srgb_to_linear

_TABLES: dict = {}
_LOCK = threading.RLock()   # a table may be built from another (grey L from the linear table)


def _cached(key, build):
    with _LOCK:
        if key not in _TABLES:
            _TABLES[key] = build()
        return _TABLES[key]


def L_table(bits: int, full_range: bool) -> np.ndarray:
    """Lab L of every Y' code value, float32, (1 << bits) entries: the one Y'->L table."""
    return _cached(("luma", bits, full_range),
                   lambda: gray_to_L(luma_to_gray(np.arange(1 << bits), bits, full_range)).astype(np.float32))


def luma_to_L(y: np.ndarray, bits: int, full_range: bool) -> np.ndarray:
    """(H, W) Y' codes (uint8 or uint16) -> float32 L."""
    import cv2

    table = L_table(bits, full_range)
    if y.dtype == np.uint8 and bits == 8:
        return cv2.LUT(y, table)
    return table[np.minimum(y, len(table) - 1)]


def gray_L_table(top: int) -> np.ndarray:
    """L of every grey code (R = G = B = code, 0..top), float32, as rgb_to_L computes it."""
    def build():
        codes = np.arange(top + 1, dtype=np.uint16 if top > 255 else np.uint8)
        return rgb_to_L(np.repeat(codes[None, :, None], 3, -1), gray=False)[0]
    return _cached(("gray", top), build)


def plane_to_L(g: np.ndarray) -> np.ndarray:
    """A grey photo's one plane (H, W), uint8 or uint16 -> float32 L."""
    import cv2

    table = gray_L_table(65535 if g.dtype == np.uint16 else 255)
    return cv2.LUT(g, table) if g.dtype == np.uint8 else table[g]


def rgb_to_L(rgb: np.ndarray, gray: bool | None = None) -> np.ndarray:
    """sRGB uint8/uint16 (H, W, 3) -> Lab L (H, W) float32, as colorspace.rgb_to_lab's L.

    L depends only on the luminance Y: each code is linearised through a table, Y is a 3-tap sum,
    L = 116 f(Y) - 16. A grey image (R = G = B; `gray` None: looked at) is one table lookup.
    """
    import cv2

    if gray is None:
        gray = is_gray(rgb)
    if gray:
        return plane_to_L(np.ascontiguousarray(rgb[..., 0]))
    top = 65535 if rgb.dtype == np.uint16 else 255
    table = _cached(("linear", top), lambda: srgb_to_linear(np.arange(top + 1) / top).astype(np.float32))
    lin = cv2.LUT(rgb, table) if top == 255 else table[rgb]
    Y = cv2.transform(lin, RGB2XYZ[1:2].astype(np.float32))
    eps = (6 / 29) ** 3
    f = cv2.pow(np.maximum(Y, 0, out=Y), 1 / 3)
    dark = Y <= eps
    if dark.any():
        f[dark] = Y[dark] / (3 * (6 / 29) ** 2) + 4 / 29
    return f * np.float32(116) - np.float32(16)


def is_gray(rgb: np.ndarray) -> bool:
    """R = G = B everywhere (a sparse look first, so a colour image costs almost nothing)."""
    if rgb.ndim == 2:
        return True
    probe = rgb[::17, ::13]
    if not (np.array_equal(probe[..., 0], probe[..., 1]) and np.array_equal(probe[..., 0], probe[..., 2])):
        return False
    return bool(np.array_equal(rgb[..., 0], rgb[..., 1]) and np.array_equal(rgb[..., 0], rgb[..., 2]))


def L_at(L: np.ndarray, chroma_hw: tuple[int, int]) -> np.ndarray:
    """L at the chroma sites: the area mean of the luma sites each one covers."""
    import cv2

    ch, cw = chroma_hw
    return L if L.shape == (ch, cw) else cv2.resize(L, (cw, ch), interpolation=cv2.INTER_AREA)


def sites_from_codes(H: int, W: int, chroma_hw: tuple[int, int], jit: bool | None = None):
    """The compiled Y' codes -> L at the chroma sites kernel, where it applies (numba there, even
    4:2:0 or 4:2:2); else None (luma_to_L, then L_at)."""
    ch, cw = chroma_hw
    if not compiled.use(jit) or W != 2 * cw or H not in (ch, 2 * ch):
        return None
    return compiled.kernels().sites
