"""Temporal smoothing of predicted chroma for video, reset at scene cuts."""
from __future__ import annotations

import torch


def luma_histogram(L: torch.Tensor, bins: int = 32) -> torch.Tensor:
    h = torch.histc(L.float(), bins=bins, min=0, max=100)
    return h / h.sum().clamp(min=1)


class EMASmoother:
    """Exponential moving average of ab at the network's resolution.

    ab_t <- strength * ab_{t-1} + (1 - strength) * prediction_t, restarted when the luma histogram
    of consecutive frames differs by more than `cut_threshold` (total variation distance, 0..1).
    """

    def __init__(self, strength: float = 0.6, cut_threshold: float = 0.3):
        if not 0 <= strength < 1:
            raise ValueError("temporal strength must be in [0, 1)")
        self.strength = strength
        self.cut_threshold = cut_threshold
        self.state: torch.Tensor | None = None
        self.prev_hist: torch.Tensor | None = None
        self.cuts = 0

    def is_cut(self, hist: torch.Tensor) -> bool:
        if self.prev_hist is None:
            return True
        return float(0.5 * (hist - self.prev_hist).abs().sum()) > self.cut_threshold

    def __call__(self, L_small: torch.Tensor, ab: torch.Tensor) -> torch.Tensor:
        out = torch.empty_like(ab)
        for i in range(len(ab)):
            hist = luma_histogram(L_small[i])
            if self.is_cut(hist) or self.state is None or self.state.shape != ab[i].shape:
                self.state = ab[i].clone()
                self.cuts += self.prev_hist is not None
            else:
                self.state = self.strength * self.state + (1 - self.strength) * ab[i]
            self.prev_hist = hist
            out[i] = self.state
        return out


def make_smoother(mode: str, strength: float):
    if mode == "off":
        return None
    if mode == "ema":
        return EMASmoother(strength)
    raise ValueError(f"unknown temporal mode {mode!r}")
