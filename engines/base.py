"""The contract every inference back end implements (one file per back end).

Every engine is built the same way, `Engine.load(model, max_batch=, render_size=, device=,
threads=)`, runs the model's own forward (Lab L in, ab out), and is a context manager: close()
frees what it holds (sessions, CUDA graphs, TensorRT contexts).
"""
from __future__ import annotations

import numpy as np


class Engine:
    """Runs a model: Lab L (N,1,h,w) float32 in -> ab (N,2,h,w) float32 out, numpy arrays on the
    host both ways (what runs on a device is the engine's business). `model` is what
    `model_for` made: a torch ABPredictor, or (the CPU engine's) the shipped ONNX graph."""

    name = "base"
    precision = "fp32"
    default_batch = 8     # frames per batch when --batch-size is not given (a GPU wants them)

    @classmethod
    def available(cls) -> tuple[bool, str]:
        """(usable, reason). Never raises; the reason says what to install when unusable."""
        raise NotImplementedError

    @classmethod
    def model_for(cls, spec, weights_file=None):
        """What this engine runs for `spec` with `weights_file` (None: the shipped weights): a
        torch ABPredictor here; the CPU engine takes the shipped ONNX graph when it can."""
        from colorize_cli.models.registry import create_model

        return create_model(spec.name, weights=weights_file or "default")

    @classmethod
    def load(cls, model, *, max_batch: int = 8, render_size: int | None = None, device: str | None = None,
             threads: int | None = None) -> "Engine":
        """The one way an engine is made: the same arguments for every back end."""
        return cls(model, max_batch=max_batch, render_size=render_size, device=device, threads=threads)

    def __init__(self, model, *, max_batch: int = 8, render_size: int | None = None, device: str | None = None,
                 threads: int | None = None):
        self.model = model
        self.spec = model.spec
        self.max_batch = max_batch
        card = getattr(model, "card", None)   # the loaded weights' card: the scale they were trained at
        self.render_size = self.spec.render_size(render_size, card)   # the rule the predictor uses too
        self.own_size = self.spec.render_size(None, card)              # the weights' own size
        self.device = device or "cpu"    # torch engines keep a torch.device here
        self.threads = threads
        self.notes: list[str] = []

    def infer(self, L: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def lanes(self) -> list:
        """Callables like `infer` that may run at the same time from different threads, for
        throughput work (films). One lane, `infer` itself, unless a back end does better."""
        return [self.infer]

    def close(self) -> None:
        """Release what the engine holds; idempotent."""

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def describe(self) -> str:
        return f"{self.name} ({self.precision}, {self.device})"
