"""Films: predicted ab + the source's luma -> the output's own chroma planes (Cb, Cr codes).

The post-network path of every engine (the small ab comes to the host once per batch). The colour
math, not the network, used to dominate (about 110 ms per 1080p frame in
torch: a full-resolution L, then Lab -> sRGB -> Y'CbCr on the chroma planes). Here it is done with
OpenCV's vectorised kernels, on the chroma planes' resolution only, into buffers reused per film:

  Y' codes --table--> L (full resolution)  --area mean--> L at the chroma sites
  ab (network size) --bilinear--> ab at the chroma sites
  (L, a, b) --cvtColor Lab2RGB (float, clipped)--> R'G'B' --two saturating weighted sums--> Cb, Cr

With numba installed the last two lines are one compiled pass per row instead, and L at the
chroma sites comes straight from the Y' codes (`kernels`; the whole path about 2.3x faster at
1080p, measured by `colorize bench`'s chroma path). This is the same math as
`colorize_cli.colorspace` (tested: within 1 code value of the torch reference).
"""
from __future__ import annotations

import numpy as np

import colorize_cli.colour.jit as compiled
from colorize_cli.colour.lab import KR_KB
from colorize_cli.colour.luma import L_at


def cbcr_matrix(matrix: str, bits: int, full_range: bool) -> np.ndarray:
    """2x4 affine matrix: R'G'B' in [0, 1] -> (Cb, Cr) code values, as `colorspace.rgb_to_cbcr`."""
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
        self.jit = compiled.use(jit)
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
        np.stack([L_c, self.a, self.b], axis=-1, out=self.lab)
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

        kernels = compiled.kernels()
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
