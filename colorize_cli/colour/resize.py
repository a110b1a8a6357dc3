"""Shrinking L to the network's size without torch: the antialiased bilinear filter of
torch.nn.functional.interpolate(mode="bilinear", antialias=True, align_corners=False) (a triangle
filter widened by the scale when shrinking), separable, as a gather and a weighted sum per axis.
Tested against torch to float rounding."""
from __future__ import annotations

import functools

import numpy as np

import colorize_cli.colour.jit as compiled


@functools.lru_cache(maxsize=64)
def taps(n_in: int, n_out: int) -> tuple[np.ndarray, np.ndarray]:
    """(indices (n_out, K), weights (n_out, K)) of output sample i: sum_k w[i, k] * in[idx[i, k]]."""
    scale = n_in / n_out
    support = scale if scale >= 1.0 else 1.0
    inv = 1.0 / scale if scale >= 1.0 else 1.0
    centers = scale * (np.arange(n_out) + 0.5)
    lo = np.maximum((centers - support + 0.5).astype(np.int64), 0)
    hi = np.minimum((centers + support + 0.5).astype(np.int64), n_in)
    K = int((hi - lo).max())
    j = lo[:, None] + np.arange(K)[None, :]
    w = np.clip(1.0 - np.abs((j - centers[:, None] + 0.5) * inv), 0.0, None)
    w[j >= hi[:, None]] = 0.0
    w /= w.sum(1, keepdims=True)
    return np.minimum(j, n_in - 1), w.astype(np.float32)


STRIP = 128     # rows per step of the numpy path's horizontal pass


def shrink(L: np.ndarray, shape: tuple[int, int], jit: bool | None = None) -> np.ndarray:
    """L (..., H, W) float32 -> (..., h, w), antialiased bilinear (as torch's); the compiled
    kernels where numba is there (jit None), else numpy's gather and einsum."""
    h, w = shape
    if compiled.use(jit) and L.ndim == 3:
        return _compiled(np.ascontiguousarray(L, dtype=np.float32), h, w)
    out = np.asarray(L, np.float32)
    if out.shape[-1] != w:      # in strips of rows: the gather is (rows, w, taps), not the whole photo's
        idx, wt = taps(out.shape[-1], w)
        src, out = out, np.empty((*out.shape[:-1], w), np.float32)
        for y0 in range(0, src.shape[-2], STRIP):
            out[..., y0:y0 + STRIP, :] = np.einsum("...ok,ok->...o", src[..., y0:y0 + STRIP, idx], wt)
    if out.shape[-2] != h:
        idx, wt = taps(out.shape[-2], h)
        out = np.einsum("...okw,ok->...ow", out[..., idx, :], wt)
    return np.ascontiguousarray(out, dtype=np.float32)


def _compiled(L: np.ndarray, h: int, w: int) -> np.ndarray:
    N, H, W = L.shape
    ix, wx = taps(W, w)
    iy, wy = taps(H, h)
    tmp, out = np.empty((N, H, w), np.float32), np.empty((N, h, w), np.float32)
    compiled.kernels().shrink(L, ix, wx, iy, wy, tmp, out)
    return out
