"""Compiled kernels (numba), the colour module's fast path: one pass from (L, ab) to the output codes.

The OpenCV path (`films.ChromaPlanes` without these) makes six full-size float passes per frame:
resize a, resize b, merge, cvtColor Lab -> RGB, split, weighted sums. Here each output row is one
loop that the compiler vectorises (AVX2: eight pixels at a time) and that touches only L, two rows
of ab and the two output rows:

  a, b      vertical lerp of two rows of ab (OpenCV upsamples ab along x first, at network height)
  X, Y, Z   the CIE Lab inverse (f^-1: cube above 6/29, linear below)
  R, G, B   linear sRGB (the XYZ -> RGB matrix with the D65 white folded in), clipped to [0, 1]
  R'G'B'    sRGB transfer: c^(1/2.4) = u^(5/3) with u = sqrt(sqrt(c)), u^(5/3) by a degree-6
            polynomial on the range used (error < 4e-6, tested; 1 code is 1/219 of the range)
  Cb, Cr    the 2x4 affine matrix of `films.cbcr_matrix`, clipped, rounded

Tested against the exact torch math (`colorspace`): within 1 code value, like the OpenCV path.

`photo` does the same for photos, to sRGB codes at full resolution: per row, linear RGB one channel
per loop (vectorised), then only the pixels outside sRGB get the gamut mapping of
`photos.lab_to_rgb_gamut` (the chroma-limit table, bilinear in L and hue; hue by a polynomial
atan2), then the codes. Tested: within 1 code of the OpenCV path, CIEDE2000 < 1 against the exact
search.
numba is optional: `jit.available()` is False without it (or with COLORIZE_JIT=0), and the caller
keeps the OpenCV path. The kernels release the GIL, so lanes and the encode thread run side by
side; compiled code is cached on disk (numba's cache), so only a first run pays for compiling.
"""
from __future__ import annotations

import numpy as np

# u^(5/3) on [0.0031308^(1/4), 1] (the sRGB power segment), lowest degree first
GAMMA_POLY = (-0.0045280097022108445, 0.13480173277646895, 1.2836386839820753, -0.783376293417434,
              0.5923303576797594, -0.2827428803209481, 0.05987875888331671)

try:
    import numba
except ImportError:          # the OpenCV path runs instead; nothing below is called
    numba = None


def _njit(**options):
    """numba.njit(nogil, cache) where numba is installed; else the plain function (never called).
    The kernels live at module level: numba's on-disk cache misses every time for functions built
    inside another function, and each film then paid ~1.5 s of compiling (tested)."""
    if numba is None:
        return lambda f: f
    return numba.njit(nogil=True, cache=True, **options)


@_njit()
def sites(y, table, tall, out):
    """L at the chroma sites straight from the Y' codes: for each site, the mean of the L table
    at the 2x2 (4:2:0) or 1x2 (4:2:2) codes it covers. One pass over the Y' plane, no
    full-resolution float L in between (the OpenCV path writes and reads 8 MB of it at 1080p)."""
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
    """L at the chroma sites and ab upsampled along x (2, h, cw), the vertical taps -> Cb/Cr codes."""
    for i in range(L.shape[0]):
        r0, r1 = y0[i], y1[i]
        _row(L[i], abx[0, r0], abx[0, r1], abx[1, r0], abx[1, r1], wy[i], m, cm, lo, hi, out[0, i], out[1, i])


# sRGB tolerance of colorspace._in_gamut (1e-3 on the encoded values), on linear values
_LIN_LO = _f32(-1e-3 / 12.92)
_LIN_HI = _f32(((1 + 1e-3 + 0.055) / 1.055) ** 2.4)


@_njit(fastmath=_FAST)
def _linear_channel(L, a0, a1, b0, b1, wy, m, c, lin):
    """One channel of linear RGB for a row; returns how many values fall outside sRGB. One store
    and an integer count per loop, so that the compiler vectorises it (it does not with several
    output rows, which might alias, nor with a float min/max, which NaN rules make ordered)."""
    outside = 0
    m0, m1, m2 = m[3 * c], m[3 * c + 1], m[3 * c + 2]
    for j in range(L.shape[0]):
        a = a0[j] + wy * (a1[j] - a0[j])
        b = b0[j] + wy * (b1[j] - b0[j])
        fy = (L[j] + _C16) * _I116
        v = m0 * _finv(fy + a * _I500) + m1 * _finv(fy) + m2 * _finv(fy - b * _I200)
        lin[j] = v
        outside += (v < _LIN_LO) | (v > _LIN_HI)
    return outside


@_njit(fastmath=_FAST)
def _outside(lin, mask):
    """mask[j] = 1 where linear RGB leaves sRGB (a vectorised pass; the mapping then visits only
    those pixels instead of testing every pixel in scalar code)."""
    for j in range(mask.shape[0]):
        r, g, bl = lin[0, j], lin[1, j], lin[2, j]
        mask[j] = (min(r, min(g, bl)) < _LIN_LO) | (max(r, max(g, bl)) > _LIN_HI)


@_njit(fastmath=_FAST)
def _codes(lin, top, out):
    for j in range(lin.shape[0]):
        out[j] = _transfer(lin[j]) * top + _HALF


# atan(t) = t * P(t^2) on [0, 1] (error < 1.2e-5 rad, 0.0007 degrees; the gamut table's step is 1 degree)
ATAN_POLY = (0.9998665161442729, -0.3303078785424695, 0.18017248467388006, -0.08517654918043438,
             0.02085520523434717)
_Q0, _Q1, _Q2, _Q3, _Q4 = (_f32(c) for c in ATAN_POLY)
_HALF_PI, _PI, _DEG = _f32(np.pi / 2), _f32(np.pi), _f32(180 / np.pi)


@_njit(fastmath=_FAST, inline="always")
def _hue_deg(b, a):
    """atan2(b, a) in degrees, [0, 360]: octant reduction and a polynomial (no libm call)."""
    ax, ay = abs(a), abs(b)
    t = min(ax, ay) / max(max(ax, ay), _f32(1e-30))
    s = t * t
    r = t * (_Q0 + s * (_Q1 + s * (_Q2 + s * (_Q3 + s * _Q4))))
    r = _HALF_PI - r if ay > ax else r
    r = _PI - r if a < _ZERO else r
    d = r * _DEG
    return _f32(360) - d if b < _ZERO else d


@_njit(fastmath=_FAST)
def _to_gamut(L, a0, a1, b0, b1, wy, m, table, lsteps, hsteps, mask, lin):
    """The pixels of a row outside sRGB: chroma scaled down to the table's limit for (L, hue),
    bilinear in L and hue with the edges held (as cv2.remap with BORDER_REPLICATE in
    photos.lab_to_rgb_gamut); L and hue kept. Few pixels, so plain scalar code."""
    rows, cols = table.shape
    for j in range(L.shape[0]):
        if not mask[j]:
            continue
        a = a0[j] + wy * (a1[j] - a0[j])
        b = b0[j] + wy * (b1[j] - b0[j])
        chroma = np.sqrt(a * a + b * b)
        x = min(_hue_deg(b, a) * hsteps, _f32(cols - 1))
        y = min(max(L[j] * lsteps, _ZERO), _f32(rows - 1))
        ix, iy = int(x), int(y)
        fx, fy = x - _f32(ix), y - _f32(iy)
        ix1, iy1 = min(ix + 1, cols - 1), min(iy + 1, rows - 1)
        lim = ((table[iy, ix] + fx * (table[iy, ix1] - table[iy, ix])) * (_ONE - fy)
               + (table[iy1, ix] + fx * (table[iy1, ix1] - table[iy1, ix])) * fy)
        scale = min(lim / max(chroma, _f32(1e-6)), _ONE)
        a, b = a * scale, b * scale
        fl = (L[j] + _C16) * _I116
        X, Y, Z = _finv(fl + a * _I500), _finv(fl), _finv(fl - b * _I200)
        for c in range(3):
            lin[c, j] = m[3 * c] * X + m[3 * c + 1] * Y + m[3 * c + 2] * Z


@_njit()
def photo(L, abx, y0, y1, wy, m, table, lsteps, hsteps, top, out):
    """Full-resolution L (H, W), ab upsampled along x at network height (2, h, W), the vertical taps
    -> sRGB codes as three planes (3, H, W), the gamut mapped by the chroma-limit table, one row at
    a time: linear RGB per channel (vectorised), the few pixels outside sRGB mapped, the codes."""
    lin = np.empty((3, L.shape[1]), np.float32)
    mask = np.empty(L.shape[1], np.uint8)
    for i in range(L.shape[0]):
        r0, r1 = y0[i], y1[i]
        a0, a1, b0, b1 = abx[0, r0], abx[0, r1], abx[1, r0], abx[1, r1]
        outside = 0
        for c in range(3):
            outside += _linear_channel(L[i], a0, a1, b0, b1, wy[i], m, c, lin[c])
        if outside:
            _outside(lin, mask)
            _to_gamut(L[i], a0, a1, b0, b1, wy[i], m, table, lsteps, hsteps, mask, lin)
        for c in range(3):
            _codes(lin[c], top, out[c, i])


def xyz_to_linear() -> np.ndarray:
    """3x3 (row-major, 9 floats): (f^-1(fx), f^-1(fy), f^-1(fz)) -> linear sRGB, D65 white folded in.
    Computed once; callers do not write to it."""
    if "m9" not in _CONST:
        from colorize_cli.colour.lab import WHITE, XYZ2RGB

        _CONST["m9"] = (XYZ2RGB * WHITE[None, :]).astype(np.float32).ravel()
    return _CONST["m9"]


_CONST: dict = {}


def vertical_taps(h: int, ch: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows and weights of a bilinear resize from h to ch rows (half-pixel centres, edges held),
    as cv2.resize INTER_LINEAR and torch's align_corners=False: out[i] = lerp(in[y0], in[y1], w)."""
    s = (np.arange(ch) + 0.5) * (h / ch) - 0.5
    y0 = np.floor(s).astype(np.int64)
    w = (s - y0).astype(np.float32)
    w[y0 < 0] = 0
    y0 = np.clip(y0, 0, h - 1)
    return y0, np.minimum(y0 + 1, h - 1), w


@_njit(fastmath=_FAST)
def shrink(src, ix, wx, iy, wy, tmp, out):
    """The network input's antialiased shrink (colour.resize.taps), both axes: tmp[n, y, j] =
    sum_k wx[j, k] src[n, y, ix[j, k]] along x, then out[n, i] = sum_k wy[i, k] tmp[n, iy[i, k]]
    along y (whole rows at a time, which vectorise)."""
    kx, ky = ix.shape[1], iy.shape[1]
    for n in range(src.shape[0]):
        for y in range(src.shape[1]):
            row, t = src[n, y], tmp[n, y]
            for j in range(t.shape[0]):
                s = _ZERO
                for k in range(kx):
                    s += wx[j, k] * row[ix[j, k]]
                t[j] = s
        for i in range(out.shape[1]):
            o = out[n, i]
            o[:] = _ZERO
            for k in range(ky):
                r, wk = tmp[n, iy[i, k]], wy[i, k]
                for x in range(o.shape[0]):
                    o[x] += wk * r[x]
