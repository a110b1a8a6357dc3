"""The interface every inference back end implements (one file per back end)."""
from __future__ import annotations

import torch


class Engine:
    """Runs an ABPredictor: Lab L (N,1,h,w) float32 in -> ab (N,2,h,w) float32 out, same device."""

    name = "base"
    precision = "fp32"

    @classmethod
    def available(cls) -> tuple[bool, str]:
        """(usable, reason). Never raises; the reason says what to install when unusable."""
        raise NotImplementedError

    def __init__(self, model, max_batch: int = 8):
        self.model = model
        self.spec = model.spec
        self.max_batch = max_batch
        self.device = torch.device("cpu")
        self.notes: list[str] = []

    def infer(self, L: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def close(self) -> None:
        pass

    def describe(self) -> str:
        return f"{self.name} ({self.precision}, {self.device})"
