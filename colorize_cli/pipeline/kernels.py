"""Compiled kernels (numba) for the CPU chroma path: one pass from (L, ab) to the Cb/Cr codes.

The OpenCV path (`chroma.ChromaPlanes` without these) makes six full-size float passes per frame:
resize a, resize b, merge, cvtColor Lab -> RGB, split, weighted sums. Here each output row is one
loop that the compiler vectorises (AVX2: eight pixels at a time) and that touches only L, two rows
of ab and the two output rows:

  a, b      vertical lerp of two rows of ab (OpenCV upsamples ab along x first, at network height)
  X, Y, Z   the CIE Lab inverse (f^-1: cube above 6/29, linear below)
  R, G, B   linear sRGB (the XYZ -> RGB matrix with the D65 white folded in), clipped to [0, 1]
  R'G'B'    sRGB transfer: c^(1/2.4) = u^(5/3) with u = sqrt(sqrt(c)), u^(5/3) by a degree-6
            polynomial on the range used (error < 4e-6, tested; 1 code is 1/219 of the range)
  Cb, Cr    the 2x4 affine matrix of `chroma.cbcr_matrix`, clipped, rounded

Tested against the exact torch math (`colorspace`): within 1 code value, like the OpenCV path.
numba is optional: `available()` is False without it (or with COLORIZE_JIT=0), and the caller
keeps the OpenCV path. The kernels release the GIL, so lanes and the encode thread run side by
side; compiled code is cached on disk (numba's cache), so only a first run pays for compiling.
"""
from __future__ import annotations

import os

import numpy as np

# u^(5/3) on [0.0031308^(1/4), 1] (the sRGB power segment), lowest degree first
GAMMA_POLY = (-0.0045280097022108445, 0.13480173277646895, 1.2836386839820753, -0.783376293417434,
              0.5923303576797594, -0.2827428803209481, 0.05987875888331671)

try:
    import numba
except ImportError:          # the OpenCV path runs instead; nothing below is called
    numba = None


def available() -> bool:
    """numba importable and not switched off (COLORIZE_JIT=0)."""
    return numba is not None and os.environ.get("COLORIZE_JIT", "1").strip() != "0"


def _njit(**options):
    """numba.njit(nogil, cache) where numba is installed; else the plain function (never called).
    The kernels live at module level: numba's on-disk cache misses every time for functions built
    inside another function, and each film then paid ~1.5 s of compiling (tested)."""
    if numba is None:
        return lambda f: f
    return numba.njit(nogil=True, cache=True, **options)


def planes_kernel():
    """The compiled pass from L at the chroma sites and x-upsampled ab to the Cb/Cr codes."""
    return planes


def sites_kernel():
    """L at the chroma sites straight from the Y' codes: for each site, the mean of the L table
    at the 2x2 (4:2:0) or 1x2 (4:2:2) codes it covers. One pass over the Y' plane, no
    full-resolution float L in between (the OpenCV path writes and reads 8 MB of it at 1080p)."""
    return sites


@_njit()
def sites(y, table, tall, out):
    top = table.shape[0] - 1
    for i in range(out.shape[0]):
        o = out[i]
        if tall:      # 4:2:0: two luma rows per chroma row
            r0, r1 = y[2 * i], y[2 * i + 1]
            for j in range(o.shape[0]):
                s = (table[min(r0[2 * j], top)] + table[min(r0[2 * j + 1], top)]
                     + table[min(r1[2 * j], top)] + table[min(r1[2 * j + 1], top)])
                o[j] = s * np.float32(0.25)
        else:         # 4:2:2
            r0 = y[i]
            for j in range(o.shape[0]):
                o[j] = (table[min(r0[2 * j], top)] + table[min(r0[2 * j + 1], top)]) * np.float32(0.5)


_f32 = np.float32
_P0, _P1, _P2, _P3, _P4, _P5, _P6 = (_f32(c) for c in GAMMA_POLY)
_ZERO, _ONE, _KNEE, _SLOPE, _K1055, _K055 = _f32(0), _f32(1), _f32(0.0031308), _f32(12.92), _f32(1.055), _f32(0.055)
_DELTA, _KAPPA, _C429 = _f32(6 / 29), _f32(3 * (6 / 29) ** 2), _f32(4 / 29)
_C16, _I116, _I500, _I200, _HALF = _f32(16), _f32(1 / 116), _f32(1 / 500), _f32(1 / 200), _f32(0.5)
# no nnan/ninf: a NaN from a broken model stays a defined value
_FAST = {"contract", "arcp", "reassoc", "afn", "nsz"}


@_njit(fastmath=_FAST, inline="always")
def _finv(t):
    return t * t * t if t > _DELTA else _KAPPA * (t - _C429)


@_njit(fastmath=_FAST, inline="always")
def _transfer(c):
    c = min(max(c, _ZERO), _ONE)
    u = np.sqrt(np.sqrt(c))
    p = _P0 + u * (_P1 + u * (_P2 + u * (_P3 + u * (_P4 + u * (_P5 + u * _P6)))))
    return _SLOPE * c if c <= _KNEE else _K1055 * p - _K055


@_njit(fastmath=_FAST)
def _row(L, a0, a1, b0, b1, wy, m, cm, lo, hi, cb_out, cr_out):
    for j in range(L.shape[0]):
        a = a0[j] + wy * (a1[j] - a0[j])
        b = b0[j] + wy * (b1[j] - b0[j])
        fy = (L[j] + _C16) * _I116
        X, Y, Z = _finv(fy + a * _I500), _finv(fy), _finv(fy - b * _I200)
        r = _transfer(m[0] * X + m[1] * Y + m[2] * Z)
        g = _transfer(m[3] * X + m[4] * Y + m[5] * Z)
        bl = _transfer(m[6] * X + m[7] * Y + m[8] * Z)
        cb = cm[0] * r + cm[1] * g + cm[2] * bl + cm[3]
        cr = cm[4] * r + cm[5] * g + cm[6] * bl + cm[7]
        cb_out[j] = min(max(cb, lo), hi) + _HALF
        cr_out[j] = min(max(cr, lo), hi) + _HALF


@_njit()
def planes(L, abx, y0, y1, wy, m, cm, lo, hi, out):
    for i in range(L.shape[0]):
        r0, r1 = y0[i], y1[i]
        _row(L[i], abx[0, r0], abx[0, r1], abx[1, r0], abx[1, r1], wy[i], m, cm, lo, hi, out[0, i], out[1, i])


def xyz_to_linear() -> np.ndarray:
    """3x3 (row-major, 9 floats): (f^-1(fx), f^-1(fy), f^-1(fz)) -> linear sRGB, D65 white folded in."""
    from colorize_cli.colorspace import _WHITE, _XYZ2RGB

    return (_XYZ2RGB.double() * _WHITE.double()[None, :]).numpy().astype(np.float32).ravel()


def vertical_taps(h: int, ch: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows and weights of a bilinear resize from h to ch rows (half-pixel centres, edges held),
    as cv2.resize INTER_LINEAR and torch's align_corners=False: out[i] = lerp(in[y0], in[y1], w)."""
    s = (np.arange(ch) + 0.5) * (h / ch) - 0.5
    y0 = np.floor(s).astype(np.int64)
    w = (s - y0).astype(np.float32)
    w[y0 < 0] = 0
    y0 = np.clip(y0, 0, h - 1)
    return y0, np.minimum(y0 + 1, h - 1), w
