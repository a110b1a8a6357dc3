"""What this install and machine offer (models, engines, encoders, threads) and what a job
folder says: the reports behind `colorize models`, `doctor`, `engines` and `status`."""
from __future__ import annotations

import os
import platform
from pathlib import Path

from colorize_cli.errors import UsageError
from colorize_cli.options import DEFAULT_MODEL, ModelOptions

ENCODERS = ("libx264", "libx265", "ffv1", "libvpx-vp9", "prores_ks", "h264_nvenc")


def models() -> list[dict]:
    """One row per registered model."""
    from colorize_cli.models import get_spec, list_models

    names = list_models()
    counts = parameter_counts(names)
    rows = []
    for name in names:
        spec = get_spec(name)
        card = spec.card_info()
        ref = spec.reference_card().get("seed_comparison", {})
        rows.append({"name": name, "default": name == DEFAULT_MODEL, "description": spec.description,
                     "parameters": counts.get(name), "input_size": spec.input_size, "render_size": spec.render_size(),
                     "output": spec.output, "weights": spec.has_weights, "source": spec.weights_source,
                     "weights_file": str(spec.onnx_path) if spec.has_weights else None,
                     "weights_mb": round(card.get("bytes", 0) / 1e6, 2), "sha256": card.get("sha256"),
                     "licence": spec.licence,
                     "seed_comparison_gain_db": ref.get("val_256", {}).get("gain_db")})
    return rows


def parameter_counts(names: list[str]) -> dict[str, int]:
    """Parameters per model, counted on the meta device (no memory, no initialisation) once and
    kept in the cache folder: building every network imports timm and takes seconds. The cache is
    keyed by the torch version and the size and time of every file of the models package, so an
    edited network is counted again."""
    import hashlib
    import json

    from colorize_cli.files import cache_root, write_cache
    from colorize_cli.models import get_spec
    from colorize_cli.models.spec import WEIGHTS_DIR

    try:
        import torch
    except ImportError:     # the plain install: the counts the shipped cards give, none for the others
        return {n: get_spec(n).card_info()["parameters"] for n in names
                if isinstance(get_spec(n).card_info().get("parameters"), int)}
    h = hashlib.sha256(torch.__version__.encode())
    for p in sorted(WEIGHTS_DIR.parent.glob("*.py")):
        st = p.stat()
        h.update(f"{p.name}:{st.st_size}:{st.st_mtime_ns}".encode())
    key = h.hexdigest()[:16]
    path = cache_root() / "model-parameters.json"
    try:
        cached = json.loads(path.read_text())
        counts = dict(cached["counts"]) if cached.get("key") == key else {}
    except (OSError, ValueError, KeyError, TypeError):
        counts = {}
    missing = [n for n in names if not isinstance(counts.get(n), int)]
    for name in missing:
        with torch.device("meta"):
            counts[name] = sum(p.numel() for p in get_spec(name).build().parameters())
    if missing:
        write_cache(path, json.dumps({"key": key, "counts": counts}).encode())
    return counts


def machine() -> dict:
    """torch, CUDA, PyAV, usable encoders (probed, not merely compiled in), engines, threads."""
    import av

    from colorize_cli.engines import availability
    from colorize_cli.files import cache_root
    from colorize_cli.models.spec import WEIGHTS_DIR
    from colorize_cli.options import probe_encoder
    from colorize_cli.version import __version__

    why = {c: probe_encoder(c) for c in ENCODERS}
    unusable = {c: w for c, w in why.items() if w}
    return {
        "colorize": __version__,
        "python": platform.python_version(),
        **runtimes(),
        "cpu_threads": threads(),
        "cpu_chroma_kernels": kernels(),
        "pyav": av.__version__,
        "ffmpeg": getattr(av, "ffmpeg_version_info", "?"),
        "encoders": {c: c not in unusable for c in ENCODERS},
        "encoders_unusable": unusable,
        "engines": {k: {"available": ok, "why": why} for k, (ok, why) in availability().items()},
        "weights_dir": str(WEIGHTS_DIR),
        "engine_cache": str(cache_root() / "engines"),
    }


def runtimes() -> dict:
    """Which runtimes this install has: ONNX Runtime (the CPU engine, always), torch (the [gpu]
    extra: the cuda and tensorrt engines, --weights files, training) and what an extra would add."""
    import onnxruntime

    out = {"onnxruntime": onnxruntime.__version__, "torch": None, "cuda": None, "gpu": None}
    try:
        import torch
    except ImportError:
        out["extras"] = ("plain install: CPU runtime only (ONNX Runtime). pip install 'colorize-archive[gpu]' "
                         "adds torch with CUDA (engines cuda and tensorrt, your own --weights files); "
                         "[train] adds training")
        return out
    out.update(torch=torch.__version__, cuda=torch.version.cuda,
               gpu=torch.cuda.get_device_name(0) if torch.cuda.is_available() else None)
    return out


def kernels() -> str:
    """Whether the CPU chroma path runs compiled (numba) or on OpenCV alone."""
    from colorize_cli.colour import kernels as k

    if k.numba is None:
        return "OpenCV (numba not installed: pip install numba for the compiled kernels)"
    from colorize_cli.colour import jit

    if not jit.available():
        return "OpenCV (COLORIZE_JIT=0)"
    return f"compiled (numba {k.numba.__version__}; COLORIZE_JIT=0 switches them off)"


def threads() -> dict:
    """What a run would use: the budget, and where it comes from."""
    from colorize_cli.threads import available_cores

    try:
        affinity = len(os.sched_getaffinity(0))
    except AttributeError:
        affinity = None
    n = available_cores()
    return {"used": n, "cpu_count": os.cpu_count(), "affinity_mask": affinity,
            "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS"),
            "onnxruntime_spin_wait": False,
            "film_network_lanes": n, "film_opencv_threads": 1,
            "note": ("torch, OpenCV and ONNX Runtime intra-op share this budget; a film on the CPU engine "
                     "(ONNX Runtime) runs that many batches at once, one thread each, and its OpenCV work "
                     "on one thread")}


def _tensorrt_module():
    """colorize_cli.engines.tensorrt (it needs torch: on the plain install, exit 3 with the line)."""
    try:
        from colorize_cli.engines import tensorrt
    except ImportError:
        from colorize_cli.errors import MissingExtraError

        raise MissingExtraError("TensorRT engines need torch and TensorRT: "
                                "pip install 'colorize-archive[tensorrt]'") from None
    return tensorrt


def engine_plans() -> tuple[str, list[dict]]:
    """(cache folder, the cached TensorRT plans' headers)."""
    trt = _tensorrt_module()
    return str(trt.cache_dir()), trt.list_plans()


def clear_engine_plans() -> int:
    return _tensorrt_module().clear_plans()


def build_engine(options: ModelOptions) -> list[str]:
    """Build (or find) the TensorRT plan `colorize run` with the same options looks for."""
    from colorize_cli.engines import select_engine
    from colorize_cli.pipeline.session import resolve_model

    _tensorrt_module()
    from colorize_cli.models import create_model

    cls, _ = select_engine("tensorrt")  # exit 3 with the reason when unavailable
    net = create_model(resolve_model(options.model, options.weights_file), weights=options.weights_file or "default")
    with cls.load(net, max_batch=options.batch_size or cls.default_batch, render_size=options.render_size) as eng:
        return list(eng.notes)


def job_status(folder: str | Path) -> dict:
    """Done, failed, pending, throughput and ETA of the job whose output folder is `folder`
    (read only: works on a read-only folder too)."""
    from colorize_cli.jobs.manifest import NAME, Manifest

    if not (Path(folder) / NAME).is_file():
        raise UsageError(f"{folder}: no colorize manifest here")
    m = Manifest(folder, readonly=True)
    try:
        return m.summary()
    finally:
        m.close()
