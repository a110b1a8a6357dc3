"""`colorize doctor`: what this machine offers colorize."""
from __future__ import annotations

import platform

import click

from . import cli
from .common import print_json


ENCODERS = ("libx264", "libx265", "ffv1", "libvpx-vp9", "prores_ks", "h264_nvenc")


@cli.command()
@click.option("--json", "as_json", is_flag=True)
def doctor(as_json):
    """Report torch, CUDA, PyAV, encoders, engines and paths."""
    import av
    import torch

    from colorize_cli.engines import availability
    from colorize_cli.models.registry import WEIGHTS_DIR
    from colorize_cli.options import probe_encoder
    from colorize_cli.version import __version__

    info = {
        "colorize": __version__,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
        "cpu_threads": _threads(),
        "pyav": av.__version__,
        "ffmpeg": getattr(av, "ffmpeg_version_info", "?"),
        # usable, not merely compiled in: each is opened and fed a frame (h264_nvenc needs a GPU)
        "encoders": {c: probe_encoder(c) is None for c in ENCODERS},
        "encoders_unusable": {c: probe_encoder(c) for c in ENCODERS if probe_encoder(c)},
        "engines": {k: {"available": ok, "why": why} for k, (ok, why) in availability().items()},
        "weights_dir": str(WEIGHTS_DIR),
    }
    try:
        from colorize_cli.engines.tensorrt import cache_dir
        info["engine_cache"] = str(cache_dir())
    except ImportError:
        pass
    if as_json:
        print_json(info)
        return 0
    for k, v in info.items():
        if isinstance(v, dict):
            click.echo(f"{k}:")
            for kk, vv in v.items():
                click.echo(f"  {kk}: {vv}")
        else:
            click.echo(f"{k}: {v}")
    return 0


def _threads() -> dict:
    """What a run would use: the budget, and where it comes from."""
    import os

    from colorize_cli.threads import available_cores

    try:
        affinity = len(os.sched_getaffinity(0))
    except AttributeError:
        affinity = None
    return {"used": available_cores(), "cpu_count": os.cpu_count(), "affinity_mask": affinity,
            "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS"),
            "onnxruntime_spin_wait": False, "note": "torch, OpenCV and ONNX Runtime intra-op share this budget"}

