"""CUDA back end: PyTorch FP16 weights, channels_last; OOM halves the batch once."""
from __future__ import annotations

import torch

from colorize_cli.errors import ColorizeError

from .base import Engine


class CUDAEngine(Engine):
    name = "cuda"
    precision = "fp16"

    @classmethod
    def available(cls) -> tuple[bool, str]:
        try:
            if not torch.cuda.is_available():
                return False, "no CUDA device visible to PyTorch"
            return True, f"CUDA device {torch.cuda.get_device_name(0)}"
        except Exception as e:  # driver problems must not crash engine selection
            return False, f"CUDA unusable: {e}"

    def __init__(self, model, max_batch: int = 16, device: str = "cuda"):
        super().__init__(model, max_batch)
        self.device = torch.device(device)
        # Normalisation and decoding stay in float32; the network runs in half precision.
        self.model = model.to(self.device).eval()
        self.model.net.half().to(memory_format=torch.channels_last)
        self.oom_retries = 0

    def _run(self, L: torch.Tensor) -> torch.Tensor:
        x = self.model.normalize(L).half().contiguous(memory_format=torch.channels_last)
        return self.model.decode(self.model.net(x), L).float().clamp(-110, 110)

    @torch.inference_mode()
    def infer(self, L: torch.Tensor) -> torch.Tensor:
        L = L.to(self.device, non_blocking=True)
        try:
            return torch.cat([self._run(L[i:i + self.max_batch]) for i in range(0, len(L), self.max_batch)])
        except torch.cuda.OutOfMemoryError:
            if self.max_batch == 1 or self.oom_retries:
                raise ColorizeError(f"CUDA out of memory even at batch {self.max_batch}; "
                                    "lower --render-size or --batch-size") from None
            torch.cuda.empty_cache()
            self.max_batch = max(1, self.max_batch // 2)
            self.oom_retries += 1
            self.notes.append(f"CUDA out of memory: batch halved to {self.max_batch}")
            return self.infer(L)
