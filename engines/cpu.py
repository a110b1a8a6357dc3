"""CPU back end: ONNX Runtime when installed (measured faster, see README), else PyTorch float32
with channels_last and inference mode. Threads: colorize_cli.threads (affinity mask and
OMP_NUM_THREADS honoured, no spin-waiting)."""
from __future__ import annotations

import os
from pathlib import Path

import torch

from colorize_cli import threads as thread_budget

from .base import Engine


def onnx_cache(model) -> Path:
    """Exported graphs are cached by model name + weights hash + torch version."""
    import hashlib

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

    @classmethod
    def available(cls) -> tuple[bool, str]:
        return True, "always available"

    def __init__(self, model, *, max_batch: int = 8, render_size: int | None = None, device: str | None = None,
                 threads: int | None = None, backend: str | None = None):
        super().__init__(model, max_batch=max_batch, render_size=render_size, device="cpu", threads=threads)
        self.threads = thread_budget.apply(threads)
        self.model = model.float().eval().to(memory_format=torch.channels_last)
        backend = backend or os.environ.get("COLORIZE_CPU_BACKEND", "auto")
        self.session = None
        self.onnx_path: Path | None = None
        self._lane_session = None
        if backend in ("auto", "onnxruntime"):
            self.session = self._ort_session(required=backend == "onnxruntime")
        self.backend = "onnxruntime" if self.session is not None else "torch"

    def _ort_session(self, required: bool):
        try:
            import onnxruntime as ort
        except ImportError:
            if required:
                from colorize_cli.errors import MissingExtraError
                raise MissingExtraError("onnxruntime not installed (pip install colorize-archive[onnx])") from None
            return None
        from .onnx_export import export_onnx

        path = onnx_cache(self.model)
        if not path.is_file():
            path.parent.mkdir(parents=True, exist_ok=True)
            export_onnx(self.model, path)
        self.onnx_path = path
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

    def infer(self, L: torch.Tensor) -> torch.Tensor:
        return self._run(self.session, L)

    @torch.inference_mode()
    def _run(self, session, L: torch.Tensor) -> torch.Tensor:
        outs = []
        for i in range(0, len(L), self.max_batch):
            x = L[i:i + self.max_batch]
            if session is not None:
                outs.append(torch.from_numpy(session.run(["ab"], {"L": x.float().contiguous().numpy()})[0]))
            else:
                outs.append(self.model(x.contiguous(memory_format=torch.channels_last)))
        return torch.cat(outs).contiguous()
