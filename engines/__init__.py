"""Inference back ends behind one interface, chosen from a map (no if/elif chains)."""
from __future__ import annotations

import importlib

from colorize_cli.errors import MissingExtraError, UsageError

from .base import Engine

# name -> (module, class), best first: --engine auto takes the first available. A module name
# without a dot is one of this package's files; a dotted one is imported as it is (a plug-in).
# options.ENGINES lists the same names (tested), so that --help and validation need no import.
BACKENDS = {
    "tensorrt": ("tensorrt", "TensorRTEngine"),
    "cuda": ("cuda", "CUDAEngine"),
    "cpu": ("cpu", "CPUEngine"),
}


NEEDS_GPU = {"tensorrt", "cuda"}


def gpu_device_present() -> bool:
    """A GPU device node exists (NVIDIA's, or WSL2's): only then does --engine auto import torch
    to ask CUDA (importing torch costs seconds and hundreds of MB on a CPU machine)."""
    from pathlib import Path

    dev = Path("/dev")
    return (dev / "dxg").exists() or any(dev.glob("nvidia[0-9]*")) or not dev.is_dir()


def engine_class(name: str) -> type[Engine]:
    if name not in BACKENDS:
        raise UsageError(f"unknown engine {name!r}; choose from auto, {', '.join(BACKENDS)}")
    module, cls = BACKENDS[name]
    try:
        return getattr(importlib.import_module(module if "." in module else f"{__package__}.{module}"), cls)
    except ImportError as e:     # torch engines on the plain install: unavailable, with the extra to install
        return _unavailable(name, e)


def _unavailable(name: str, error: ImportError) -> type[Engine]:
    missing = error.name or str(error)
    why = (f"PyTorch is not installed: pip install 'colorize-archive[gpu]'" if missing.split(".")[0] == "torch"
           else f"{missing} is not installed")

    class Unavailable(Engine):
        @classmethod
        def available(cls) -> tuple[bool, str]:
            return False, why

    Unavailable.name = name
    return Unavailable


def availability() -> dict[str, tuple[bool, str]]:
    return {name: engine_class(name).available() for name in BACKENDS}


def select_engine(name: str = "auto") -> tuple[type[Engine], str]:
    """Return (engine class, why it was chosen). Explicit names fail with exit code 3."""
    if name != "auto":
        cls = engine_class(name)
        ok, reason = cls.available()
        if not ok:
            raise MissingExtraError(f"engine {name!r} is not available: {reason}")
        return cls, reason
    skipped = []
    for candidate in BACKENDS:
        if candidate in NEEDS_GPU and not gpu_device_present():   # not even torch is imported to ask
            skipped.append(f"{candidate}: no GPU device (/dev/nvidia*, /dev/dxg)")
            continue
        cls = engine_class(candidate)
        ok, reason = cls.available()
        if ok:
            why = f"auto: {reason}" + (f" (skipped {'; '.join(skipped)})" if skipped else "")
            return cls, why
        skipped.append(f"{candidate}: {reason}")
    raise MissingExtraError("no inference engine available")


__all__ = ["Engine", "BACKENDS", "engine_class", "availability", "select_engine"]
