"""Run the network small: resize L to the model's size, predict ab there."""
from __future__ import annotations

import torch
import torch.nn.functional as F


def render_shape(height: int, width: int, short_side: int, stride: int) -> tuple[int, int]:
    """(h, w) with the short side at `short_side`, aspect kept, both multiples of `stride`."""
    scale = short_side / min(height, width)
    h = max(stride, round(height * scale / stride) * stride)
    w = max(stride, round(width * scale / stride) * stride)
    return h, w


class ChromaPredictor:
    def __init__(self, engine, render_size: int | None = None):
        self.engine = engine
        spec = engine.spec
        # shipped weights may have been trained at another scale: their card says which
        size = render_size or spec.card_info().get("render_size") or spec.input_size
        self.render_size = max(spec.stride, round(size / spec.stride) * spec.stride)
        self.stride = spec.stride

    @property
    def device(self) -> torch.device:
        return self.engine.device

    def shrink(self, L: torch.Tensor) -> torch.Tensor:
        h, w = render_shape(L.shape[-2], L.shape[-1], self.render_size, self.stride)
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
