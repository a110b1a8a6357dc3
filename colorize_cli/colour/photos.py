"""Photos: full-resolution L + network-size ab -> sRGB codes, the gamut by a chroma-limit table.

One gamut rule for every engine: chroma above the sRGB limit for the pixel's (L, hue) is scaled
down to the limit (L and hue kept); the limit comes from a table, bilinear in L and hue. The
compiled kernel (`kernels.photo`) does it in one pass per row; without numba, OpenCV does it in
strips of ROWS rows. Both are tested against the exact search of `colorspace.lab_to_rgb_in_gamut`.
"""
from __future__ import annotations

import threading

import numpy as np

import colorize_cli.colour.jit as compiled
from colorize_cli.colour.lab import in_gamut

ROWS = 256    # the OpenCV path works in strips to bound memory: at 12 MP its temporaries peak at 58 MB
              # (234 MB with 1024-row strips) and it runs no slower (239 against 317 ms)
L_STEPS, HUE_STEP = 2, 1.0   # table rows per L unit, degrees per column

_CMAX: np.ndarray | None = None
_CMAX_LOCK = threading.Lock()


def chroma_limit_table() -> np.ndarray:
    """Largest in-sRGB chroma for (L, hue): rows L = 0, 0.5, ... 100, columns hue = 0 .. 360 deg.
    Once per process, from the cache folder when an earlier process built it (the build takes
    ~0.5 s, a third of a one-photo run); photos computed ahead in threads wait for the first."""
    global _CMAX
    with _CMAX_LOCK:
        if _CMAX is None:
            _CMAX = _cached_table()
    return _CMAX


def _cached_table() -> np.ndarray:
    import io

    from colorize_cli.files import cache_root, write_cache

    path = cache_root() / "tables" / f"chroma-limit-L{L_STEPS}-H{HUE_STEP:g}-v1.npy"
    try:
        table = np.load(path)
        if table.shape == (100 * L_STEPS + 1, round(360 / HUE_STEP) + 1) and np.isfinite(table).all():
            return table
    except (OSError, ValueError):
        pass
    table = _build_chroma_limit_table()
    buf = io.BytesIO()
    np.save(buf, table)
    write_cache(path, buf.getvalue())
    return table


def _build_chroma_limit_table() -> np.ndarray:
    L, h = np.meshgrid(np.arange(0, 100 * L_STEPS + 1) / L_STEPS,
                       np.deg2rad(np.arange(0, 360 + HUE_STEP, HUE_STEP)), indexing="ij")
    lo, hi = np.zeros_like(L), np.full_like(L, 200.0)
    for _ in range(30):   # bisection on chroma along each hue ray (the in-gamut set is an interval)
        mid = (lo + hi) / 2
        ok = in_gamut(L, mid * np.cos(h), mid * np.sin(h))
        lo, hi = np.where(ok, mid, lo), np.where(ok, hi, mid)
    return lo.astype(np.float32)


def lab_to_rgb_gamut(L: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """L, a, b planes (H, W) float32 -> sRGB float32 (H, W, 3) in [0, 1], L kept (OpenCV)."""
    import cv2

    chroma, hue = cv2.cartToPolar(a, b, angleInDegrees=True)
    col = hue if HUE_STEP == 1 else cv2.multiply(hue, 1 / HUE_STEP)
    limit = cv2.remap(chroma_limit_table(), col, cv2.multiply(L, float(L_STEPS)), cv2.INTER_LINEAR,
                      borderMode=cv2.BORDER_REPLICATE)
    scale = cv2.min(cv2.divide(limit, cv2.max(chroma, 1e-6)), 1.0)    # 1 inside the gamut
    return cv2.cvtColor(np.stack([L, cv2.multiply(a, scale), cv2.multiply(b, scale)], -1), cv2.COLOR_Lab2RGB)


def photo_codes(L: np.ndarray, a: np.ndarray, b: np.ndarray, out: np.ndarray, jit: bool | None = None) -> np.ndarray:
    """Full-resolution L (H, W) and network-size a, b (h, w) -> sRGB codes in `out` (H, W, 3, uint8
    or uint16): ab bilinear to full size, the gamut by the chroma-limit table, Lab -> sRGB, rounded.
    jit: the compiled kernel (None: where numba is there), else OpenCV in strips."""
    if compiled.use(jit):
        return _compiled(L, a, b, out)
    import cv2

    H, W = L.shape
    top = 65535 if out.dtype == np.uint16 else 255
    for y0 in range(0, H, ROWS):
        y1 = min(H, y0 + ROWS)
        res = lab_to_rgb_gamut(L[y0:y1], upsample_rows(a, H, W, y0, y1), upsample_rows(b, H, W, y0, y1))
        if top == 255:
            out[y0:y1] = cv2.convertScaleAbs(res, alpha=255.0)      # round + saturate in one pass
        else:
            out[y0:y1] = np.clip(np.rint(res * top), 0, top).astype(out.dtype)
    return out


def _compiled(L: np.ndarray, a: np.ndarray, b: np.ndarray, out: np.ndarray) -> np.ndarray:
    """`kernels.photo`: one pass per row, no full-size float image in between."""
    import cv2

    kernels = compiled.kernels()
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


def upsample_rows(ab: np.ndarray, height: int, width: int, y0: int, y1: int) -> np.ndarray:
    """Rows y0:y1 of ab (h, w) bilinearly upsampled to (height, width), half-pixel centres."""
    import cv2

    h, w = ab.shape[:2]
    ab = np.ascontiguousarray(ab, dtype=np.float32)
    if y0 == 0 and y1 == height:
        return cv2.resize(ab, (width, height), interpolation=cv2.INTER_LINEAR)
    mx = ((np.arange(width, dtype=np.float32) + 0.5) * (w / width) - 0.5)[None, :].repeat(y1 - y0, 0)
    my = ((np.arange(y0, y1, dtype=np.float32) + 0.5) * (h / height) - 0.5)[:, None].repeat(width, 1)
    return cv2.remap(ab, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
