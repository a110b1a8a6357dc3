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

_STATE: dict = {}


def available() -> bool:
    """numba importable and not switched off (COLORIZE_JIT=0)."""
    if os.environ.get("COLORIZE_JIT", "1").strip() == "0":
        return False
    if "ok" not in _STATE:
        try:
            import numba  # noqa: F401
            _STATE["ok"] = True
        except ImportError:
            _STATE["ok"] = False
    return _STATE["ok"]


def planes_kernel():
    """The compiled row loop (built on first use)."""
    if "planes" not in _STATE:
        _STATE["planes"] = _build()
    return _STATE["planes"]


def sites_kernel():
    """L at the chroma sites straight from the Y' codes: for each site, the mean of the L table
    at the 2x2 (4:2:0) or 1x2 (4:2:2) codes it covers. One pass over the Y' plane, no
    full-resolution float L in between (the OpenCV path writes and reads 8 MB of it at 1080p)."""
    if "sites" not in _STATE:
        _STATE["sites"] = _build_sites()
    return _STATE["sites"]


def _build_sites():
    import numba

    @numba.njit(nogil=True, cache=True)
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

    return sites


def _build():
    import numba

    f32 = np.float32
    p0, p1, p2, p3, p4, p5, p6 = (f32(c) for c in GAMMA_POLY)
    zero, one, knee, slope, k1055, k055 = f32(0), f32(1), f32(0.0031308), f32(12.92), f32(1.055), f32(0.055)
    delta, kappa, c429 = f32(6 / 29), f32(3 * (6 / 29) ** 2), f32(4 / 29)
    c16, i116, i500, i200, half = f32(16), f32(1 / 116), f32(1 / 500), f32(1 / 200), f32(0.5)
    # no nnan/ninf: a NaN from a broken model stays a defined value
    fast = {"contract", "arcp", "reassoc", "afn", "nsz"}
    jit = numba.njit(fastmath=fast, nogil=True, cache=True, inline="always")

    @jit
    def finv(t):
        return t * t * t if t > delta else kappa * (t - c429)

    @jit
    def transfer(c):
        c = min(max(c, zero), one)
        u = np.sqrt(np.sqrt(c))
        p = p0 + u * (p1 + u * (p2 + u * (p3 + u * (p4 + u * (p5 + u * p6)))))
        return slope * c if c <= knee else k1055 * p - k055

    @numba.njit(fastmath=fast, nogil=True, cache=True)
    def row(L, a0, a1, b0, b1, wy, m, cm, lo, hi, cb_out, cr_out):
        for j in range(L.shape[0]):
            a = a0[j] + wy * (a1[j] - a0[j])
            b = b0[j] + wy * (b1[j] - b0[j])
            fy = (L[j] + c16) * i116
            X, Y, Z = finv(fy + a * i500), finv(fy), finv(fy - b * i200)
            r = transfer(m[0] * X + m[1] * Y + m[2] * Z)
            g = transfer(m[3] * X + m[4] * Y + m[5] * Z)
            bl = transfer(m[6] * X + m[7] * Y + m[8] * Z)
            cb = cm[0] * r + cm[1] * g + cm[2] * bl + cm[3]
            cr = cm[4] * r + cm[5] * g + cm[6] * bl + cm[7]
            cb_out[j] = min(max(cb, lo), hi) + half
            cr_out[j] = min(max(cr, lo), hi) + half

    @numba.njit(nogil=True, cache=True)
    def planes(L, abx, y0, y1, wy, m, cm, lo, hi, out):
        for i in range(L.shape[0]):
            r0, r1 = y0[i], y1[i]
            row(L[i], abx[0, r0], abx[0, r1], abx[1, r0], abx[1, r1], wy[i], m, cm, lo, hi, out[0, i], out[1, i])

    return planes


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
