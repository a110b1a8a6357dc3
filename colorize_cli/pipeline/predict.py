"""Run the network small: resize L to the model's size, predict ab there."""
from __future__ import annotations

import torch
import torch.nn.functional as F


class ChromaPredictor:
    def __init__(self, engine):
        self.engine = engine
        self.spec = engine.spec
        self.render_size = engine.render_size   # one rule for the engine and the predictor
        self.own_size = engine.own_size   # the weights' own size, read once (not per batch)
        self.stride = self.spec.stride

    @property
    def device(self) -> torch.device:
        return self.engine.device

    def render_shape(self, height: int, width: int) -> tuple[int, int]:
        """The network's input size for a source of height x width (ModelSpec.render_shape)."""
        return self.spec.render_shape(height, width, self.render_size, self.own_size)

    def shrink(self, L: torch.Tensor, shape: tuple[int, int] | None = None) -> torch.Tensor:
        """L (N,1,H,W) -> the network's input; `shape` when L is already a reduced copy of the source."""
        h, w = shape or self.render_shape(L.shape[-2], L.shape[-1])
        if (h, w) == tuple(L.shape[-2:]):
            return L
        return F.interpolate(L, size=(h, w), mode="bilinear", align_corners=False, antialias=True)

    def predict(self, L: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Full-resolution L (N,1,H,W) -> (L at model size, ab at model size)."""
        small = self.shrink(L.float())
        return small, self.engine.infer(small).float()


def upsample_ab(ab: torch.Tensor, height: int, width: int) -> torch.Tensor:
    return F.interpolate(ab, size=(height, width), mode="bilinear", align_corners=False)


def upsample_rows(ab: torch.Tensor, height: int, width: int, y0: int, y1: int) -> torch.Tensor:
    """Rows y0:y1 of upsample_ab(ab, height, width), without building the whole image."""
    dev = ab.device
    ys = (torch.arange(y0, y1, device=dev, dtype=torch.float32) + 0.5) / height * 2 - 1
    xs = (torch.arange(width, device=dev, dtype=torch.float32) + 0.5) / width * 2 - 1
    grid = torch.stack(torch.meshgrid(xs, ys, indexing="xy"), -1)[None].expand(ab.shape[0], -1, -1, -1)
    return F.grid_sample(ab, grid, mode="bilinear", padding_mode="border", align_corners=False)
