"""Run the network small: resize L to the model's size, predict ab there (numpy on the host;
the engine runs the network wherever it runs)."""
from __future__ import annotations

import numpy as np

from colorize_cli.colour.resize import shrink


class ChromaPredictor:
    def __init__(self, engine):
        self.engine = engine
        self.spec = engine.spec
        self.render_size = engine.render_size   # one rule for the engine and the predictor
        self.own_size = engine.own_size   # the weights' own size, read once (not per batch)
        self.stride = self.spec.stride

    def render_shape(self, height: int, width: int) -> tuple[int, int]:
        """The network's input size for a source of height x width (ModelSpec.render_shape)."""
        return self.spec.render_shape(height, width, self.render_size, self.own_size)

    def shrink(self, L: np.ndarray, shape: tuple[int, int] | None = None) -> np.ndarray:
        """L (N,1,H,W) float32 -> the network's input (antialiased bilinear, colour.resize);
        `shape` when L is already a reduced copy of the source."""
        h, w = shape or self.render_shape(L.shape[-2], L.shape[-1])
        if (h, w) == tuple(L.shape[-2:]):
            return np.ascontiguousarray(L, dtype=np.float32)
        return shrink(L[:, 0], (h, w))[:, None]

    def predict(self, L: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Full-resolution L (N,1,H,W) -> (L at model size, ab at model size), numpy."""
        small = self.shrink(np.asarray(L, np.float32))
        return small, self.engine.infer(small)
