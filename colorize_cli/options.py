"""Typed, validated options shared by the CLI and the API.

Each field says its own command-line flag and help (the CLI builds its options from these
fields), so adding an option is one field here plus its use. Values are checked when the object
is made, before any file is touched: a bad value is one UsageError (exit 2), never a failure per
item. Encoders and presets are probed once against this PyAV build.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from fractions import Fraction
from functools import lru_cache
from pathlib import Path

from colorize_cli.errors import UsageError
from colorize_cli.formats import CODEC_FOR_EXT, DEFAULT_CODEC, IMAGE_EXTS, VIDEO_EXTS, normalize_ext

DEFAULT_MODEL = "lite-unet"
SHIPPED = "default"   # --weights default: the model's shipped weights (ModelOptions.weights_file is None)
ENGINES = ("auto", "tensorrt", "cuda", "cpu")
# temporal modes and their default strengths (the help text and pipeline.temporal.make_smoother read this)
TEMPORAL_STRENGTH = {"flow": 0.9, "ema": 0.6, "off": None}
TEMPORAL = tuple(TEMPORAL_STRENGTH)
X26X_PRESETS = ("ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower",
                "veryslow", "placebo")
CRF_RANGE = {"libx264": (0, 51), "libx265": (0, 51), "libvpx-vp9": (0, 63), "libvpx": (4, 63),
             "libaom-av1": (0, 63), "libsvtav1": (0, 63)}
MAX_RENDER = 4096
MAX_BATCH = 1024


def opt(default, help: str, *, type=None, flag: str | None = None, choices=None, short: str | None = None,
        metavar: str | None = None, output: bool = True):
    """A field that is also a command-line option (`flag` defaults to --field-name). `output`:
    the outputs' bytes depend on it (part of a job's configuration: a change means redo)."""
    metavar = metavar or {int: "N", float: "NUMBER", str: "NAME"}.get(type)
    return field(default=default, metadata={"help": help, "type": type, "flag": flag, "choices": choices,
                                            "short": short, "metavar": metavar, "output": output})


def output_fields(options) -> dict:
    """The option values an output depends on, by field name."""
    return {f.name: getattr(options, f.name) for f in fields(options) if f.metadata.get("output", True)}


def cli_fields(cls) -> list:
    """The fields of an options class that are command-line options."""
    return [f for f in fields(cls) if "help" in f.metadata]


def _number(name: str, value, kind, lo=None, hi=None, optional: bool = True):
    if value is None and optional:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float) if kind is float else int):
        raise UsageError(f"{name} must be {'a number' if kind is float else 'a whole number'}, not {value!r}")
    if kind is float and not math.isfinite(value):
        raise UsageError(f"{name} must be a finite number, not {value}")
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        span = f"between {lo} and {hi}" if hi is not None else f"at least {lo}"
        raise UsageError(f"{name} must be {span}, not {value}")


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


@lru_cache(maxsize=None)
def probe_encoder(name: str) -> str | None:
    """None when `name` is a video encoder that opens and encodes a frame here, else why not.
    (Compiled in is not usable: h264_nvenc is in most builds and needs an NVIDIA GPU.)"""
    import av
    import numpy as np

    if name not in av.codecs_available:
        return "not in this PyAV build"
    try:
        codec = av.Codec(name, "w")
    except Exception as e:  # noqa: BLE001 - a decoder-only name, or an odd build
        return f"not an encoder ({e})"
    if codec.type != "video":
        return f"a {codec.type} encoder, not a video one"
    formats = [f.name for f in (codec.video_formats or [])]
    pix = "yuv420p" if not formats or "yuv420p" in formats else formats[0]
    try:
        ctx = av.CodecContext.create(name, "w")
        if name == "libx265":     # x265 prints its own [info] lines (CRF 28 among them) otherwise
            ctx.options = {"x265-params": "log-level=error"}
        ctx.width, ctx.height, ctx.pix_fmt = 64, 64, pix
        ctx.time_base = ctx.framerate = Fraction(1, 25)
        frame = av.VideoFrame.from_ndarray(np.zeros((64, 64, 3), np.uint8), format="rgb24").reformat(format=pix)
        frame.pts = 0
        ctx.encode(frame)
        ctx.encode(None)
    except Exception as e:  # noqa: BLE001 - whatever the library says, the encoder is unusable
        return f"cannot be opened here ({str(e).split(':')[0]})"
    return None


@dataclass(frozen=True)
class RunOptions:
    """How files are processed and written (not which model runs them)."""
    overwrite: bool = opt(False, "replace existing outputs", type=bool, output=False)
    skip_existing: bool = opt(False, "leave existing outputs and skip their inputs", type=bool, output=False)
    codec: str | None = opt(None, "video encoder [default: libx264; .webm VP9, .avi MPEG-4, .mpg MPEG-2; "
                            "10-bit sources libx265 or ffv1]", type=str)
    crf: int | None = opt(18, "video quality, lower is better (x264/x265: 0-51) [default: 18]", type=int)
    preset: str | None = opt("medium", "x264/x265 speed preset [default: medium]", type=str)
    temporal: str = opt("flow", "temporal smoothing of video chroma: motion-compensated (flow), plain "
                        "average (ema) or none; resets at scene cuts [default: flow]", type=str, choices=TEMPORAL)
    temporal_strength: float | None = opt(None, "weight of the past frame in the blend, 0-0.99 [default: " + ", ".join(
        f"{m} {v}" for m, v in TEMPORAL_STRENGTH.items() if v is not None) + "]", type=float)
    saturation: float = opt(1.0, "scale the predicted chroma, 0-3 [default: 1]", type=float)
    output_ext: str | None = opt(None, "output extension, e.g. mkv or png (default: as the input)", type=str,
                                 flag="--format", metavar="EXT")
    max_pixels: int | None = opt(None, "refuse photos larger than this many pixels (decompression bombs) "
                                 "[default: 250000000]",
                                 type=int, output=False)
    photos_ahead: int | None = opt(None, "photos decoded and colorized ahead while the one before is "
                                   "written (CPU engine, 2+ threads) [default: 2; 0: one at a time, the "
                                   "least memory]", type=int, metavar="N", output=False)
    segment_seconds: float | None = opt(None, "do films in keyframe segments of about this length, at least "
                                        "1 s (resumable per segment) [default: whole films]", type=float,
                                        metavar="SECONDS")
    reset_manifest: bool = opt(False, "set a damaged job manifest aside (kept as .damaged-TIME) and start "
                               "its record afresh", type=bool, output=False)
    hints: str | None = opt(None, "colour hints: a hint file for one input, or a folder holding "
                            "<output's relative path>.json/.png per input (README: Colour hints) "
                            "[default: none, automatic colour]", type=str,
                            metavar="PATH", output=False)   # each item's hint file is in its own config
    allow_truncated: bool = opt(False, "finish damaged or cut films with the frames and streams that are "
                                "there (noted in the result) instead of failing them", type=bool, output=False)

    def __post_init__(self):
        if self.overwrite and self.skip_existing:
            raise UsageError("--overwrite and --skip-existing exclude each other")
        for name in ("overwrite", "skip_existing", "reset_manifest", "allow_truncated"):
            if not isinstance(getattr(self, name), bool):
                raise UsageError(f"{_flag(name)} must be true or false, not {getattr(self, name)!r}")
        if self.temporal not in TEMPORAL:
            raise UsageError(f"--temporal must be one of {', '.join(TEMPORAL)}, not {self.temporal!r}")
        _number("--temporal-strength", self.temporal_strength, float, 0, 0.99)
        _number("--saturation", self.saturation, float, 0, 3, optional=False)
        _number("--max-pixels", self.max_pixels, int, 1)
        _number("--segment-seconds", self.segment_seconds, float, 1)
        _number("--photos-ahead", self.photos_ahead, int, 0, 8)
        if self.hints is not None:
            from colorize_cli.files import as_path

            object.__setattr__(self, "hints", str(as_path(self.hints, "--hints")))
            if not Path(self.hints).exists():
                raise UsageError(f"{self.hints}: hint file or folder not found")
        if self.output_ext is not None:
            ext = normalize_ext(str(self.output_ext))
            if ext not in IMAGE_EXTS | VIDEO_EXTS:
                raise UsageError(f"--format {self.output_ext}: unknown type; photos: "
                                 f"{', '.join(sorted(e[1:] for e in IMAGE_EXTS))}; films: "
                                 f"{', '.join(sorted(e[1:] for e in VIDEO_EXTS))}")
            object.__setattr__(self, "output_ext", ext)
        if self.codec is not None:
            why = probe_encoder(self.codec) if isinstance(self.codec, str) else "not a name"
            if why:
                raise UsageError(f"--codec {self.codec}: {why}")
        codec = self.codec or CODEC_FOR_EXT.get(self.output_ext or "", DEFAULT_CODEC)
        lo, hi = CRF_RANGE.get(codec, (0, 63))
        _number(f"--crf ({codec})", self.crf, int, lo, hi)
        if self.preset is not None and codec in ("libx264", "libx265") and self.preset not in X26X_PRESETS:
            raise UsageError(f"--preset {self.preset!r}: {codec} presets are {', '.join(X26X_PRESETS)}")


@dataclass(frozen=True)
class ModelOptions:
    """Which model runs, on which engine, how big."""
    model: str | None = opt(None, f"model name (see `colorize models`) [default: the model of --weights' "
                            f"card, else {DEFAULT_MODEL}]", type=str, short="-m")
    engine: str = opt("auto", "inference back end [default: auto]", type=str, choices=ENGINES)
    weights: str | None = opt(SHIPPED, "your own weights file (.safetensors, needs torch: the [gpu] extra) [default: the shipped one]",
                              type=str, metavar="FILE")
    batch_size: int | None = opt(None, "frames per inference batch [default: the engine's: 8 on a GPU, 1 on the "
                                 "CPU engine, where a batch gains little and costs ~50 MB a frame]", type=int)
    render_size: int | None = opt(None, "short side of the image the network sees, 16-4096 (default: the "
                                  "model's; never above the source's unless the model's own is)", type=int)
    threads: int | None = opt(None, "CPU threads to use [default: the cores this process may use, "
                              "honouring OMP_NUM_THREADS and the CPU affinity mask]", type=int)

    @property
    def weights_file(self) -> Path | None:
        """The weights file the user named; None: the model's shipped weights ("default")."""
        return None if self.weights in (None, SHIPPED) else Path(self.weights)

    def __post_init__(self):
        if self.engine not in ENGINES:
            raise UsageError(f"--engine must be one of {', '.join(ENGINES)}, not {self.engine!r}")
        _number("--batch-size", self.batch_size, int, 1, MAX_BATCH)
        _number("--render-size", self.render_size, int, 16, MAX_RENDER)
        _number("--threads", self.threads, int, 1, 1024)
        if self.model is not None and (not isinstance(self.model, str) or not self.model):
            raise UsageError(f"--model must be a model name, not {self.model!r}")
        if self.weights in (None, SHIPPED):
            return
        from colorize_cli.files import as_path

        path = as_path(self.weights, "--weights")
        object.__setattr__(self, "weights", str(path))
        if not path.exists():
            raise UsageError(f"{path}: weights file not found")
        if not path.is_file():
            raise UsageError(f"{path}: weights must be a regular file")
        if path.suffix.lower() not in (".safetensors", ".onnx"):
            raise UsageError(f"{path}: only .safetensors or .onnx weights are loaded (a pickled "
                             f"{path.suffix or 'file'} can run code when opened); convert it with "
                             f"safetensors.torch.save_file")
