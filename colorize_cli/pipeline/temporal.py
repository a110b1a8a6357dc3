"""Temporal smoothing of predicted chroma for video, at the network's resolution, reset at cuts.

- `ema`: exponential moving average of ab. Damps flicker where nothing moves; drags colour
  behind anything that does.
- `flow` (default): motion compensated, after Bonneel et al. 2015 / Lai et al. 2018. The previous
  smoothed ab is warped to the current frame along dense optical flow of the luminance (OpenCV's
  DIS), then blended with the new prediction with a per-pixel weight that falls to zero where the
  flow is not trustworthy: forward-backward inconsistency (occlusions), warped luma that disagrees
  with the current luma (new objects, lighting), or a source outside the frame.

Both expose `warmup_frames`: after that many frames the state no longer depends measurably on
what came before, which is how far back a film segment starts decoding to join seamlessly.
"""
from __future__ import annotations

import math

import numpy as np

from colorize_cli.options import TEMPORAL_STRENGTH

FORGET = 1e-3   # a frame's weight in the state below this counts as forgotten


def luma_histogram(L: np.ndarray, bins: int = 32) -> np.ndarray:
    """Normalised histogram of L in [0, 100] (OpenCV's calcHist)."""
    import cv2

    x = np.ascontiguousarray(np.asarray(L, np.float32).reshape(-1, 1))
    h = cv2.calcHist([x], [0], None, [bins], [0, 100.0001]).ravel()
    return h / max(float(h.sum()), 1.0)


CUT_THRESHOLD = 0.3   # half the L1 distance of two frames' luma histograms above which a shot ends


def histograms_cut(prev: np.ndarray | None, hist: np.ndarray, threshold: float = CUT_THRESHOLD) -> bool:
    """The scene-cut rule (the smoother's, and the film hints' shots): no previous frame, or luma
    histograms further apart than `threshold`."""
    return prev is None or float(0.5 * np.abs(hist - prev).sum()) > threshold


class _Smoother:
    """Shared state: the previous frame's luma histogram, cut detection, the smoothed ab."""

    def __init__(self, strength: float, cut_threshold: float = CUT_THRESHOLD):
        if not (math.isfinite(strength) and 0 <= strength < 1):
            raise ValueError("temporal strength must be in [0, 1)")
        self.strength = strength
        self.cut_threshold = cut_threshold
        self.state: np.ndarray | None = None
        self.prev_hist: np.ndarray | None = None
        self.cuts = 0

    @property
    def warmup_frames(self) -> int:
        """Frames after which the oldest frame's weight is below FORGET (the strongest blend)."""
        if self.strength <= 0:
            return 0
        return math.ceil(math.log(FORGET) / math.log(self.strength))

    def is_cut(self, hist: np.ndarray) -> bool:
        return histograms_cut(self.prev_hist, hist, self.cut_threshold)

    def __call__(self, L_small: np.ndarray, ab: np.ndarray) -> np.ndarray:
        """L (N, 1, h, w) and ab (N, 2, h, w) at the network's size, numpy -> smoothed ab."""
        L_small, ab = np.asarray(L_small, np.float32), np.asarray(ab, np.float32)
        out = np.empty_like(ab)
        for i in range(len(ab)):
            hist = luma_histogram(L_small[i])
            if self.is_cut(hist) or self.state is None or self.state.shape != ab[i].shape:
                self.cuts += self.prev_hist is not None
                self.restart(L_small[i], ab[i])
            else:
                self.state = self.step(L_small[i], ab[i])
            self.prev_hist = hist
            out[i] = self.state
        return out

    def restart(self, L: np.ndarray, ab: np.ndarray) -> None:
        self.state = ab.copy()

    def step(self, L: np.ndarray, ab: np.ndarray) -> np.ndarray:
        raise NotImplementedError


class EMASmoother(_Smoother):
    """ab_t <- strength * ab_{t-1} + (1 - strength) * prediction_t."""

    def step(self, L, ab):
        return self.strength * self.state + (1 - self.strength) * ab


class FlowSmoother(_Smoother):
    """ab_t <- w * warp(ab_{t-1}) + (1 - w) * prediction_t, w = strength * trust, per pixel.

    trust = exp(-(fb / fb_tol)^2) * exp(-(dL / luma_tol)^2), zero where the flow leaves the frame;
    fb is the forward-backward flow error in pixels of the network-size frame, dL the difference
    between the current L and the previous L warped along the same flow (Lab L units).
    """

    PRESETS = {"ultrafast": 0, "fast": 1, "medium": 2}   # cv2.DISOPTICAL_FLOW_PRESET_*

    def __init__(self, strength: float = 0.9, cut_threshold: float = 0.3, fb_tol: float = 1.0,
                 luma_tol: float = 6.0, preset: str = "fast"):
        super().__init__(strength, cut_threshold)
        import cv2  # opencv-python-headless

        self.cv2 = cv2
        self.dis = cv2.DISOpticalFlow_create(self.PRESETS[preset])
        self.fb_tol, self.luma_tol = fb_tol, luma_tol
        self.prev_L8: np.ndarray | None = None
        self.prev_L: np.ndarray | None = None
        self.last_trust: np.ndarray | None = None   # for tests and diagnostics
        self._grid: tuple[np.ndarray, np.ndarray] | None = None

    @staticmethod
    def _u8(L: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray((L[0] * 2.55).clip(0, 255).astype(np.uint8))

    def restart(self, L, ab):
        super().restart(L, ab)
        self.prev_L8 = self._u8(L)
        self.prev_L = np.ascontiguousarray(L[0])

    def step(self, L, ab):
        cv2 = self.cv2
        cur8 = self._u8(L)
        cur = np.ascontiguousarray(L[0])
        back = self.dis.calc(cur8, self.prev_L8, None)         # cur(x) ~ prev(x + back(x))
        fwd = self.dis.calc(self.prev_L8, cur8, None)          # prev(y) ~ cur(y + fwd(y))
        h, w = cur8.shape
        if self._grid is None or self._grid[0].shape != (h, w):
            self._grid = tuple(np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32)))
        mx, my = self._grid[0] + back[..., 0], self._grid[1] + back[..., 1]

        def warp(img):
            return cv2.remap(img, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)

        state = self.state.transpose(1, 2, 0)
        both = warp(np.concatenate([fwd, state], -1))           # one 4-channel remap: flow and ab
        # per-plane arithmetic (a reduction over a last axis of 2 is slow in numpy)
        dx, dy = back[..., 0] + both[..., 0], back[..., 1] + both[..., 1]
        dL = cur - warp(self.prev_L)
        expo = dx * dx + dy * dy
        expo *= -1 / self.fb_tol ** 2
        dL *= 1 / self.luma_tol
        expo -= dL * dL
        inside = (mx > -0.5) & (mx < w - 0.5) & (my > -0.5) & (my < h - 0.5)
        trust = np.exp(expo) * inside
        wt = self.strength * trust
        a = ab
        out = np.empty_like(a)
        for c in range(2):       # wt * warped + (1 - wt) * prediction, per ab plane
            out[c] = a[c] + wt * (both[..., 2 + c] - a[c])
        self.prev_L8, self.prev_L, self.last_trust = cur8, cur, trust
        return out


SMOOTHERS = {"flow": FlowSmoother, "ema": EMASmoother, "off": None}   # the modes of options.TEMPORAL


def make_smoother(mode: str, strength: float | None = None):
    """The smoother for `mode`; strength None = the mode's own default (options.TEMPORAL_STRENGTH)."""
    if mode not in SMOOTHERS:
        raise ValueError(f"unknown temporal mode {mode!r} (choose from {', '.join(SMOOTHERS)})")
    cls = SMOOTHERS[mode]
    return None if cls is None else cls(TEMPORAL_STRENGTH[mode] if strength is None else strength)


def warmup_seconds(mode: str, strength: float | None, fps: float) -> float:
    """How far before a segment's start decoding must begin so smoothing joins seamlessly."""
    smoother = make_smoother(mode, strength)
    return 0.0 if smoother is None else smoother.warmup_frames / max(fps, 1e-6)
