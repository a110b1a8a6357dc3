"""CUDA back end: PyTorch FP16 weights, channels_last, CUDA graphs for repeated batch shapes.

Input copies come from pinned host memory on a side stream, so the next batch's upload overlaps
the current batch's compute. A CUDA out-of-memory error halves the batch and retries once, and
says so in the item's notes; it never returns a gray frame.
"""
from __future__ import annotations

import numpy as np
import torch

from colorize_cli.errors import ColorizeError

from .base import Engine

GRAPH_AFTER = 2      # capture a CUDA graph once a batch shape has been seen this many times
MAX_GRAPHS = 8


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

    def __init__(self, model, *, max_batch: int = 8, render_size: int | None = None, device: str | None = None,
                 threads: int | None = None, graphs: bool = True):   # threads: host side, set by the session
        super().__init__(model, max_batch=max_batch, render_size=render_size, device=device or "cuda",
                         threads=threads)
        self.device = torch.device(self.device)
        # Normalisation and decoding stay in float32 (ABPredictor.forward); the network runs in half.
        self.model = model.to(self.device).eval()
        self.model.net.half().to(memory_format=torch.channels_last)
        self.use_graphs = graphs and self.device.type == "cuda"
        self.graphs: dict[tuple, tuple] = {}
        self.seen: dict[tuple, int] = {}
        self.copy_stream = torch.cuda.Stream(self.device) if self.device.type == "cuda" else None
        self.oom_retries = 0

    def _run(self, L: torch.Tensor) -> torch.Tensor:
        return self.model(L).float()     # the model's own forward: normalise, net (fp16), decode, clamp

    def close(self) -> None:
        self.graphs.clear()
        self.seen.clear()

    def _graph(self, shape: tuple):
        if shape in self.graphs:
            return self.graphs[shape]
        self.seen[shape] = self.seen.get(shape, 0) + 1
        if not self.use_graphs or self.seen[shape] < GRAPH_AFTER or len(self.graphs) >= MAX_GRAPHS:
            return None
        static_in = torch.zeros(shape, device=self.device)
        side = torch.cuda.Stream(self.device)
        side.wait_stream(torch.cuda.current_stream(self.device))
        with torch.cuda.stream(side):
            for _ in range(2):  # warm-up outside the capture (cuDNN picks its kernels here)
                self._run(static_in)
        torch.cuda.current_stream(self.device).wait_stream(side)
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            static_out = self._run(static_in)
        self.graphs[shape] = (graph, static_in, static_out)
        return self.graphs[shape]

    def upload(self, L: torch.Tensor) -> torch.Tensor:
        """Host -> device through pinned memory on the copy stream (asynchronous)."""
        if L.device == self.device or self.copy_stream is None:
            return L.to(self.device)
        src = L.pin_memory() if not L.is_pinned() else L
        with torch.cuda.stream(self.copy_stream):
            dst = src.to(self.device, non_blocking=True)
        torch.cuda.current_stream(self.device).wait_stream(self.copy_stream)
        dst.record_stream(torch.cuda.current_stream(self.device))
        return dst

    def _infer_chunk(self, x: torch.Tensor) -> torch.Tensor:
        g = self._graph(tuple(x.shape))
        if g is None:
            return self._run(x)
        graph, static_in, static_out = g
        static_in.copy_(x)
        graph.replay()
        return static_out.clone()

    def infer(self, L: np.ndarray) -> np.ndarray:
        """Host L in, host ab out: one upload of the batch, one copy back of the small ab."""
        x = torch.from_numpy(np.ascontiguousarray(L, dtype=np.float32)) if isinstance(L, np.ndarray) else L
        return self.infer_device(x).cpu().numpy()

    @torch.inference_mode()
    def infer_device(self, L: torch.Tensor) -> torch.Tensor:
        L = self.upload(L.float())
        try:
            return torch.cat([self._infer_chunk(L[i:i + self.max_batch]) for i in range(0, len(L), self.max_batch)])
        except torch.cuda.OutOfMemoryError:
            if self.max_batch == 1 or self.oom_retries:
                raise ColorizeError(f"CUDA out of memory even at batch {self.max_batch}; "
                                    "lower --render-size or --batch-size") from None
            self.graphs.clear()
            if torch.cuda.is_available():
                torch.cuda.empty_cache()
            self.max_batch = max(1, self.max_batch // 2)
            self.oom_retries += 1
            self.notes.append(f"CUDA out of memory: batch halved to {self.max_batch} and retried")
            return self.infer_device(L)
