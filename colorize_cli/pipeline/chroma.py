"""The CPU chroma path: predicted ab + the source's luma -> the output's own chroma planes.

On a CPU the colour math, not the network, used to dominate (about 110 ms per 1080p frame in
torch: a full-resolution L, then Lab -> sRGB -> Y'CbCr on the chroma planes). Here it is done with
OpenCV's vectorised kernels, on the chroma planes' resolution only, into buffers reused per film:

  Y' codes --table--> L (full resolution)  --area mean--> L at the chroma sites
  ab (network size) --bilinear--> ab at the chroma sites
  (L, a, b) --cvtColor Lab2RGB (float, clipped)--> R'G'B' --two saturating weighted sums--> Cb, Cr

With numba installed the last two lines are one compiled pass per row instead, and L at the
chroma sites comes straight from the Y' codes (`kernels`; the whole path about 2.3x faster at
1080p, measured by `colorize bench`'s chroma path). This is the same math as
`colorize_cli.colorspace` (tested: within 1 code value of the torch path). Photos: L from RGB by
tables, gamut mapping by a chroma-limit table (below).
"""
from __future__ import annotations

import threading

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


class ChromaPlanes:
    """L at the chroma sites + network-size ab -> Cb/Cr code planes, with buffers kept between calls.

    Every step writes into a buffer made for the first frame's size (a film's frames share it), so a
    1080p frame costs no page faults for fresh arrays; the returned planes are valid until the next
    call (the encode thread copies them into the frame at once).
    """

    def __init__(self, matrix: str, bits: int, full_range: bool, jit: bool | None = None):
        """jit: the compiled kernel (`kernels`); None: when numba is there."""
        from colorize_cli.pipeline import kernels

        self.jit = kernels.available() if jit is None else jit
        self.m = cbcr_matrix(matrix, bits, full_range).astype(np.float64)
        s = 1 << (bits - 8)
        self.lo, self.hi = (0, (1 << bits) - 1) if full_range else (16 * s, 240 * s)
        self.dtype, self.cv_depth = (np.uint8, 0) if bits == 8 else (np.uint16, 2)   # CV_8U, CV_16U
        self.full_range, self.bits = full_range, bits
        self._shape = None

    def _buffers(self, ch: int, cw: int) -> None:
        if self._shape != (ch, cw):
            f = lambda *shape: np.empty(shape, np.float32)  # noqa: E731
            self.a, self.b, self.tmp = f(ch, cw), f(ch, cw), f(ch, cw)
            self.lab, self.rgb = f(ch, cw, 3), f(ch, cw, 3)
            self.rgb_planes = [f(ch, cw), f(ch, cw), f(ch, cw)]
            self.out = np.empty((2, ch, cw), self.dtype)
            self._shape = (ch, cw)

    def __call__(self, L_c: np.ndarray, ab: np.ndarray) -> np.ndarray:
        """L_c (ch, cw) float32 at the chroma sites, ab (2, h, w) -> (2, ch, cw) integer codes."""
        import cv2

        ch, cw = L_c.shape
        self._buffers(ch, cw)
        if self.jit:
            return self._compiled(np.ascontiguousarray(L_c, dtype=np.float32), ab)
        for src, dst in ((ab[0], self.a), (ab[1], self.b)):
            cv2.resize(np.ascontiguousarray(src, dtype=np.float32), (cw, ch), dst=dst,
                       interpolation=cv2.INTER_LINEAR)
        cv2.merge([np.ascontiguousarray(L_c, dtype=np.float32), self.a, self.b], dst=self.lab)
        cv2.cvtColor(self.lab, cv2.COLOR_Lab2RGB, dst=self.rgb)      # float: clipped to [0, 1]
        R, G, B = cv2.split(self.rgb, self.rgb_planes)
        m = self.m
        for k in range(2):   # Cb, Cr = m[k] . (R', G', B', 1), rounded and saturated by OpenCV
            cv2.addWeighted(R, m[k, 0], G, m[k, 1], 0.0, dst=self.tmp)
            cv2.addWeighted(self.tmp, 1.0, B, m[k, 2], m[k, 3], dst=self.out[k], dtype=self.cv_depth)
        if not self.full_range or self.bits not in (8, 16):
            np.clip(self.out, self.lo, self.hi, out=self.out)
        return self.out

    def _compiled(self, L_c: np.ndarray, ab: np.ndarray) -> np.ndarray:
        """The kernels' path: ab upsampled along x by OpenCV at network height, the rest per row."""
        import cv2

        from colorize_cli.pipeline import kernels

        ch, cw = L_c.shape
        h = ab.shape[1]
        if getattr(self, "_taps_key", None) != (h, ch, cw):
            self.abx = np.empty((2, h, cw), np.float32)
            self.taps = kernels.vertical_taps(h, ch)
            self.m9, self.cm8 = kernels.xyz_to_linear(), self.m.astype(np.float32).ravel()
            self._taps_key = (h, ch, cw)
        for k in range(2):
            cv2.resize(np.ascontiguousarray(ab[k], dtype=np.float32), (cw, h), dst=self.abx[k],
                       interpolation=cv2.INTER_LINEAR)
        kernels.planes(L_c, self.abx, *self.taps, self.m9, self.cm8, np.float32(self.lo),
                                np.float32(self.hi), self.out)
        return self.out


def chroma_planes(L: np.ndarray, ab: np.ndarray, chroma_hw: tuple[int, int], matrix: str, bits: int,
                  full_range: bool, jit: bool | None = None) -> np.ndarray:
    """Full-resolution L (H, W) and network-size ab (2, h, w) -> Cb/Cr (2, ch, cw) as integer codes
    (a new array; films use one ChromaPlanes and its buffers)."""
    return ChromaPlanes(matrix, bits, full_range, jit)(L_at(L, chroma_hw), ab).copy()


def sites_from_codes(H: int, W: int, chroma_hw: tuple[int, int]):
    """The compiled Y' codes -> L at the chroma sites kernel, where it applies (numba there, even
    4:2:0 or 4:2:2); else None (luma_to_L_np, then L_at)."""
    from colorize_cli.pipeline import kernels

    ch, cw = chroma_hw
    if not kernels.available() or W != 2 * cw or H not in (ch, 2 * ch):
        return None
    return kernels.sites


def L_at(L: np.ndarray, chroma_hw: tuple[int, int]) -> np.ndarray:
    """L at the chroma sites: the area mean of the luma sites each one covers."""
    import cv2

    ch, cw = chroma_hw
    return L if L.shape == (ch, cw) else cv2.resize(L, (cw, ch), interpolation=cv2.INTER_AREA)


# --- photos: gamut mapping by a chroma-limit table instead of a search over the full image -------

_CMAX: np.ndarray | None = None
_CMAX_LOCK = threading.Lock()
L_STEPS, HUE_STEP = 2, 1.0   # table rows per L unit, degrees per column


def chroma_limit_table() -> np.ndarray:
    """Largest in-sRGB chroma for (L, hue): rows L = 0, 0.5, ... 100, columns hue = 0 .. 360 deg.
    Built once per process (~0.7 s); photos computed ahead in threads wait for the first build."""
    global _CMAX
    with _CMAX_LOCK:
        if _CMAX is None:
            _CMAX = _build_chroma_limit_table()
    return _CMAX


def _build_chroma_limit_table() -> np.ndarray:
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
    return lo.numpy().astype(np.float32)


def lab_to_rgb_gamut(L: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """L, a, b planes (H, W) float32 -> sRGB float32 (H, W, 3) in [0, 1], L kept.

    Chroma above the sRGB limit for the pixel's (L, hue) is scaled down to the limit (hue kept);
    the limit comes from a table, bilinear in L and hue.
    """
    import cv2

    chroma, hue = cv2.cartToPolar(a, b, angleInDegrees=True)
    table = chroma_limit_table()
    col = hue if HUE_STEP == 1 else cv2.multiply(hue, 1 / HUE_STEP)
    limit = cv2.remap(table, col, cv2.multiply(L, float(L_STEPS)), cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    scale = cv2.min(cv2.divide(limit, cv2.max(chroma, 1e-6)), 1.0)    # 1 inside the gamut
    return cv2.cvtColor(cv2.merge([L, cv2.multiply(a, scale), cv2.multiply(b, scale)]), cv2.COLOR_Lab2RGB)


def lab_to_codes_compiled(L: np.ndarray, a: np.ndarray, b: np.ndarray, out: np.ndarray) -> np.ndarray:
    """The compiled photo path (`kernels.photo`, numba): full-resolution L (H, W) and network-size
    a, b (h, w) -> sRGB codes in `out` (H, W, 3, uint8 or uint16): ab bilinear to full size, the
    gamut by the same chroma-limit table as lab_to_rgb_gamut, Lab -> sRGB, rounded, in one pass per
    row with no full-size float image in between."""
    import cv2

    from colorize_cli.pipeline import kernels

    H, W = L.shape
    h = a.shape[0]
    abx = np.stack([cv2.resize(np.ascontiguousarray(c, dtype=np.float32), (W, h), interpolation=cv2.INTER_LINEAR)
                    for c in (a, b)])
    top = 65535 if out.dtype == np.uint16 else 255
    planes = np.empty((3, H, W), out.dtype)
    kernels.photo(np.ascontiguousarray(L, dtype=np.float32), abx, *kernels.vertical_taps(h, H),
                  kernels.xyz_to_linear(), chroma_limit_table(), np.float32(L_STEPS), np.float32(1 / HUE_STEP),
                  np.float32(top), planes)
    return np.stack(planes, axis=-1, out=out)   # (OpenCV 5's merge refuses a strided dst)


_LINEAR: dict = {}


def rgb_to_L(rgb: np.ndarray, gray: bool | None = None) -> np.ndarray:
    """sRGB uint8/uint16 (H, W, 3) -> Lab L (H, W) float32, exactly as color.rgb_to_lab's L.

    L depends only on the luminance Y: each code is linearised through a table, Y is a 3-tap sum,
    L = 116 f(Y) - 16. A grey image (R = G = B; `gray` None: looked at) is one table lookup.
    """
    import cv2

    top = 65535 if rgb.dtype == np.uint16 else 255
    if gray is None:
        gray = is_gray(rgb)
    if gray:
        g = np.ascontiguousarray(rgb[..., 0])
        table = _gray_L(top)
        return cv2.LUT(g, table) if top == 255 else table[g]
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


_GRAY_L: dict = {}


def _gray_L(top: int) -> np.ndarray:
    """L of every grey code (R = G = B = code), float32, computed as rgb_to_L computes it."""
    if top not in _GRAY_L:
        codes = np.arange(top + 1, dtype=np.uint16 if top > 255 else np.uint8)
        _GRAY_L[top] = rgb_to_L(np.repeat(codes[None, :, None], 3, -1), gray=False)[0]
    return _GRAY_L[top]


def is_gray(rgb: np.ndarray) -> bool:
    """R = G = B everywhere (a sparse look first, so a colour image costs almost nothing)."""
    probe = rgb[::17, ::13]
    if not (np.array_equal(probe[..., 0], probe[..., 1]) and np.array_equal(probe[..., 0], probe[..., 2])):
        return False
    return bool(np.array_equal(rgb[..., 0], rgb[..., 1]) and np.array_equal(rgb[..., 0], rgb[..., 2]))


def upsample_rows_np(ab: np.ndarray, height: int, width: int, y0: int, y1: int) -> np.ndarray:
    """Rows y0:y1 of ab (h, w) or (h, w, C) bilinearly upsampled to (height, width), half-pixel centres."""
    import cv2

    h, w = ab.shape[:2]
    if y0 == 0 and y1 == height:
        return cv2.resize(ab, (width, height), interpolation=cv2.INTER_LINEAR)
    mx = ((np.arange(width, dtype=np.float32) + 0.5) * (w / width) - 0.5)[None, :].repeat(y1 - y0, 0)
    my = ((np.arange(y0, y1, dtype=np.float32) + 0.5) * (h / height) - 0.5)[:, None].repeat(width, 1)
    return cv2.remap(ab, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
