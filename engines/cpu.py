"""CPU back end: ONNX Runtime (measured faster, see README; PyTorch float32 only where asked for,
COLORIZE_CPU_BACKEND=torch). A model's shipped weights run from the shipped ONNX graph
(`models/weights/NAME.onnx`, weight-only int8 that ONNX Runtime folds at load), so the plain
install needs no torch; weights given with --weights are exported once from torch and cached.
Threads: colorize_cli.threads (affinity mask and OMP_NUM_THREADS honoured, no spin-waiting)."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from colorize_cli import threads as thread_budget

from .base import Engine


@dataclass
class OnnxModel:
    """A model's shipped ONNX graph, what the CPU engine runs without torch."""
    spec: object
    path: Path
    card: dict = field(default_factory=dict)


def onnx_cache(model) -> Path:
    """Exported graphs are cached by model name + weights hash + torch version."""
    import hashlib

    import torch

    from colorize_cli.files import cache_root

    h = hashlib.sha256()
    for k, v in model.state_dict().items():
        h.update(k.encode())
        h.update(v.detach().cpu().numpy().tobytes())
    h.update(torch.__version__.encode())
    return cache_root() / "onnx" / f"{model.spec.name}-{h.hexdigest()[:16]}.onnx"


class CPUEngine(Engine):
    name = "cpu"
    precision = "fp32"
    # ONNX Runtime gains little from batching (lite-unet at 256: 19-21 img/s at batch 1, 21-23 at 8)
    # while each frame of a batch holds ~50 MB of activations: a 2 s 1080p film peaked at 1,068 MB
    # at batch 8 and 697 MB at batch 1, no slower (README, Install). Lanes give the parallelism.
    default_batch = 1

    @classmethod
    def available(cls) -> tuple[bool, str]:
        return True, "always available"

    @classmethod
    def model_for(cls, spec, weights_file=None):
        """The shipped ONNX graph for the shipped weights (no torch); else the torch model."""
        if weights_file is None and spec.onnx_path.is_file() \
                and os.environ.get("COLORIZE_CPU_BACKEND", "auto") != "torch":
            return OnnxModel(spec, spec.onnx_path, spec.card_info())
        try:
            import torch  # noqa: F401
        except ImportError:
            from colorize_cli.errors import MissingExtraError

            what = f"weights {weights_file}" if weights_file else f"model {spec.name!r} (no shipped ONNX graph)"
            raise MissingExtraError(f"{what} need PyTorch to run: pip install 'colorize-archive[gpu]' "
                                    f"(or export an ONNX graph with scripts/export.py --onnx)") from None
        return super().model_for(spec, weights_file)

    def __init__(self, model, *, max_batch: int = 8, render_size: int | None = None, device: str | None = None,
                 threads: int | None = None, backend: str | None = None):
        super().__init__(model, max_batch=max_batch, render_size=render_size, device="cpu", threads=threads)
        self.threads = thread_budget.apply(threads)
        backend = backend or os.environ.get("COLORIZE_CPU_BACKEND", "auto")
        self.session = None
        self.onnx_path: Path | None = model.path if isinstance(model, OnnxModel) else None
        self._lane_session = None
        if self.onnx_path is None:
            import torch

            self.model = model.float().eval().to(memory_format=torch.channels_last)
        if backend in ("auto", "onnxruntime") or self.onnx_path is not None:
            self.session = self._ort_session(required=backend == "onnxruntime" or self.onnx_path is not None)
        self.backend = "onnxruntime" if self.session is not None else "torch"

    def _ort_session(self, required: bool):
        try:
            import onnxruntime as ort
        except ImportError:
            if required:
                from colorize_cli.errors import MissingExtraError
                raise MissingExtraError("onnxruntime not installed (pip install onnxruntime)") from None
            return None
        if self.onnx_path is None:
            from .onnx_export import export_onnx

            path = onnx_cache(self.model)
            if not path.is_file():
                path.parent.mkdir(parents=True, exist_ok=True)
                export_onnx(self.model, path)
            self.onnx_path = path
        path = self.onnx_path
        return ort.InferenceSession(str(path), thread_budget.ort_options(self.threads),
                                    providers=["CPUExecutionProvider"])

    def close(self) -> None:
        self.session = self._lane_session = None

    def lanes(self) -> list:
        """One lane per thread of the budget, each running the graph on its own single thread
        (one ONNX Runtime session of one intra-op thread, which is safe to call from several
        threads at once). Whole batches in parallel instead of each layer split over the cores:
        no lane waits for another at every layer, so a core taken by the decode or encode thread
        slows one lane, not all of them (measured: README, issue #13)."""
        if self.session is None or self.threads < 2:
            return [self.infer]
        if self._lane_session is None:
            import onnxruntime as ort

            self._lane_session = ort.InferenceSession(str(self.onnx_path), thread_budget.ort_options(1),
                                                      providers=["CPUExecutionProvider"])
        session = self._lane_session
        return [lambda L: self._run(session, L)] * self.threads

    def describe(self) -> str:
        return f"cpu ({self.backend}, fp32, {self.threads} threads)"

    def infer(self, L: np.ndarray) -> np.ndarray:
        return self._run(self.session, L)

    def _run(self, session, L: np.ndarray) -> np.ndarray:
        L = np.ascontiguousarray(as_numpy(L), dtype=np.float32)
        outs = []
        for i in range(0, len(L), self.max_batch):
            x = L[i:i + self.max_batch]
            outs.append(session.run(["ab"], {"L": x})[0] if session is not None else self._torch(x))
        return np.ascontiguousarray(np.concatenate(outs), dtype=np.float32)

    def _torch(self, x: np.ndarray) -> np.ndarray:
        import torch

        with torch.inference_mode():
            return self.model(torch.from_numpy(x).contiguous(memory_format=torch.channels_last)).float().numpy()


def as_numpy(x) -> np.ndarray:
    """A numpy array of x (a torch tensor is brought to the host)."""
    return x if isinstance(x, np.ndarray) else x.detach().float().cpu().numpy()
