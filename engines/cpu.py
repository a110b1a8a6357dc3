"""CPU back end: PyTorch float32, channels_last, all cores, inference mode."""
from __future__ import annotations

import os

import torch

from .base import Engine


class CPUEngine(Engine):
    name = "cpu"
    precision = "fp32"

    @classmethod
    def available(cls) -> tuple[bool, str]:
        return True, "always available"

    def __init__(self, model, max_batch: int = 8, threads: int | None = None):
        super().__init__(model, max_batch)
        threads = threads or len(os.sched_getaffinity(0))
        if torch.get_num_threads() != threads:
            torch.set_num_threads(threads)
        self.model = model.float().eval().to(memory_format=torch.channels_last)

    @torch.inference_mode()
    def infer(self, L: torch.Tensor) -> torch.Tensor:
        out = [self.model(L[i:i + self.max_batch].contiguous(memory_format=torch.channels_last))
               for i in range(0, len(L), self.max_batch)]
        return torch.cat(out).contiguous()
