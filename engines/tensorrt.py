"""TensorRT back end: ONNX -> FP16 plan, cached as a build artefact.

Cache key = ONNX sha256 + TensorRT version + GPU compute capability + precision + shape profile.
Each plan file starts with a JSON header (one line) that is checked on load; a mismatch rebuilds.
FP16 is never silently dropped: a GPU without fast FP16 is an error.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import torch

from colorize_cli.errors import ColorizeError, MissingExtraError

from colorize_cli.files import cache_root, file_sha256
from colorize_cli.models.spec import LONG_SIDE

from .base import Engine
from .onnx_export import export_onnx

MAGIC = b"COLORIZE-TRT\n"


def cache_dir() -> Path:
    return cache_root() / "engines"


def profile_for(spec, max_batch: int, render_size: int | None = None) -> dict:
    """One optimisation profile for every shape the predictor can ask for at this render size
    (ModelSpec.render_shape): batch 1..max_batch, each side from one stride up to
    LONG_SIDE times the short side."""
    s = spec.render_size(render_size)
    hi = s * LONG_SIDE
    return {"min": [1, 1, spec.stride, spec.stride],
            "opt": [max_batch, 1, s, s * 16 // 9 // spec.stride * spec.stride],
            "max": [max_batch, 1, hi, hi]}


def cache_key(onnx_sha: str, trt_version: str, capability: str, precision: str, profile: dict) -> str:
    blob = json.dumps([onnx_sha, trt_version, capability, precision, profile], sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:24]


def write_plan(path: Path, header: dict, plan: bytes) -> None:
    tmp = path.with_suffix(".partial")
    with open(tmp, "wb") as f:
        f.write(MAGIC + json.dumps(header, sort_keys=True).encode() + b"\n" + plan)
    tmp.replace(path)


def read_plan(path: Path) -> tuple[dict, bytes]:
    data = path.read_bytes()
    if not data.startswith(MAGIC):
        raise ValueError(f"{path}: not a colorize engine file")
    line_end = data.index(b"\n", len(MAGIC))
    return json.loads(data[len(MAGIC):line_end]), data[line_end + 1:]


def list_plans() -> list[dict]:
    out = []
    for p in sorted(cache_dir().glob("*.plan")):
        try:
            header, plan = read_plan(p)
            out.append(dict(header, file=str(p), bytes=len(plan)))
        except (OSError, ValueError) as e:
            out.append({"file": str(p), "error": str(e)})
    return out


def clear_plans() -> int:
    n = 0
    for p in cache_dir().glob("*.plan"):
        p.unlink()
        n += 1
    return n


def build_plan(onnx_path: Path, profile: dict, fp16: bool = True, workspace_gb: float = 4.0, trt=None) -> bytes:
    """Parse ONNX and build a serialized engine with the standard TensorRT Python API."""
    if trt is None:
        import tensorrt as trt
    logger = trt.Logger(trt.Logger.WARNING)
    builder = trt.Builder(logger)
    flags = 0
    if hasattr(trt.NetworkDefinitionCreationFlag, "EXPLICIT_BATCH"):
        flags = 1 << int(trt.NetworkDefinitionCreationFlag.EXPLICIT_BATCH)
    network = builder.create_network(flags)
    parser = trt.OnnxParser(network, logger)
    if not parser.parse(Path(onnx_path).read_bytes()):
        errors = "; ".join(str(parser.get_error(i)) for i in range(parser.num_errors))
        raise ColorizeError(f"{onnx_path}: TensorRT could not parse the ONNX graph: {errors}")
    config = builder.create_builder_config()
    config.set_memory_pool_limit(trt.MemoryPoolType.WORKSPACE, int(workspace_gb * (1 << 30)))
    if fp16:
        if hasattr(builder, "platform_has_fast_fp16") and not builder.platform_has_fast_fp16:
            raise ColorizeError("this GPU has no fast FP16; refusing to build an FP32 engine silently "
                                "(use --engine cuda or cpu)")
        if hasattr(trt.BuilderFlag, "FP16"):
            config.set_flag(trt.BuilderFlag.FP16)
    opt = builder.create_optimization_profile()
    opt.set_shape("L", profile["min"], profile["opt"], profile["max"])
    config.add_optimization_profile(opt)
    plan = builder.build_serialized_network(network, config)
    if plan is None:
        raise ColorizeError(f"{onnx_path}: TensorRT engine build failed")
    return bytes(plan)


class TensorRTEngine(Engine):
    name = "tensorrt"
    precision = "fp16"

    @classmethod
    def available(cls) -> tuple[bool, str]:
        try:
            import tensorrt as trt
        except ImportError:
            return False, "tensorrt not installed (pip install colorize-archive[tensorrt])"
        except Exception as e:
            return False, f"tensorrt failed to import: {e}"
        if not torch.cuda.is_available():
            return False, "tensorrt installed but no CUDA device"
        major, _ = torch.cuda.get_device_capability(0)
        if major < 6:
            return False, "GPU compute capability < 6.0 has no fast FP16"
        return True, f"TensorRT {trt.__version__} on {torch.cuda.get_device_name(0)}"

    def __init__(self, model, *, max_batch: int = 8, render_size: int | None = None, device: str | None = None,
                 threads: int | None = None, rebuild: str = "auto"):   # threads: host side, set by the session
        super().__init__(model, max_batch=max_batch, render_size=render_size, device=device or "cuda",
                         threads=threads)
        try:
            import tensorrt as trt
        except ImportError:
            raise MissingExtraError("tensorrt not installed (pip install colorize-archive[tensorrt])") from None
        self.trt = trt
        self.profile = profile_for(self.spec, max_batch, self.render_size)
        plan = self._load_or_build(rebuild)
        runtime = trt.Runtime(trt.Logger(trt.Logger.WARNING))
        self.engine = runtime.deserialize_cuda_engine(plan)
        self.context = self.engine.create_execution_context()
        self.stream = torch.cuda.Stream()

    def _header(self, onnx_sha: str) -> dict:
        cap = "%d.%d" % torch.cuda.get_device_capability(0)
        return {"model": self.spec.name, "onnx_sha256": onnx_sha, "tensorrt": self.trt.__version__,
                "capability": cap, "precision": "fp16", "profile": self.profile}

    def _load_or_build(self, rebuild: str) -> bytes:
        folder = cache_dir()
        folder.mkdir(parents=True, exist_ok=True)
        onnx_path = folder / f"{self.spec.name}.onnx"
        export_onnx(self.model, onnx_path)
        header = self._header(file_sha256(onnx_path))
        key = cache_key(header["onnx_sha256"], header["tensorrt"], header["capability"], "fp16", self.profile)
        path = folder / f"{self.spec.name}-{key}.plan"
        if path.is_file():
            try:
                found, plan = read_plan(path)
                if found == header:
                    return plan
                if rebuild == "never":
                    raise ColorizeError(f"{path}: engine was built for {found}, not this setup")
            except ValueError:
                if rebuild == "never":
                    raise
        plan = build_plan(onnx_path, self.profile, fp16=True, trt=self.trt)
        write_plan(path, header, plan)
        self.notes.append(f"built TensorRT engine {path.name}")
        return plan

    def close(self) -> None:
        self.context = None
        self.engine = None

    @torch.inference_mode()
    def infer(self, L) -> np.ndarray:
        """Host L in (numpy), host ab out: the small ab comes back once per batch."""
        L = torch.from_numpy(np.ascontiguousarray(L, dtype=np.float32)) if isinstance(L, np.ndarray) else L
        outs = []
        for i in range(0, len(L), self.max_batch):
            x = L[i:i + self.max_batch].to(self.device, torch.float32).contiguous()
            self.context.set_input_shape("L", tuple(x.shape))
            out_shape = tuple(self.context.get_tensor_shape("ab"))
            y = torch.empty(out_shape, device=self.device, dtype=torch.float32)
            self.context.set_tensor_address("L", x.data_ptr())
            self.context.set_tensor_address("ab", y.data_ptr())
            self.stream.wait_stream(torch.cuda.current_stream())
            if not self.context.execute_async_v3(self.stream.cuda_stream):
                raise ColorizeError("TensorRT execution failed")
            torch.cuda.current_stream().wait_stream(self.stream)
            outs.append(y)
        return torch.cat(outs).cpu().numpy()
