"""TensorRT back end (FP16). Filled in by the engines issue; reports unavailable until then."""
from __future__ import annotations

from .base import Engine


class TensorRTEngine(Engine):
    name = "tensorrt"
    precision = "fp16"

    @classmethod
    def available(cls) -> tuple[bool, str]:
        try:
            import tensorrt  # noqa: F401
        except ImportError:
            return False, "tensorrt not installed (pip install colorize-cli[tensorrt])"
        return False, "tensorrt engine not built into this version"
