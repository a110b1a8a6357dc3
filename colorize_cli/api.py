"""Library façade: everything the `colorize` command does, a script can do.

    from colorize_cli.api import Colorizer
    cz = Colorizer()                                    # the default model (lite-unet)
    rgb = cz.colorize_array(gray_uint8)                 # one image array
    for result in cz.run(["scans/", "film.mp4"], out="colored/"):
        print(result.to_dict())
"""
from __future__ import annotations

import dataclasses
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

import numpy as np

from colorize_cli.errors import ColorizeError, MediaError, UsageError
from colorize_cli.io.discover import WorkItem
from colorize_cli.jobs.runner import make_plan, run_job
from colorize_cli.pipeline.predict import ChromaPredictor

DEFAULT_MODEL = "lite-unet"


@dataclass
class ItemResult:
    source: str
    output: str
    kind: str
    status: str                    # done | skipped | failed
    frames: int = 0
    seconds: float = 0.0
    fps: float = 0.0
    stage_ms: dict = field(default_factory=dict)
    error: str | None = None
    warnings: list = field(default_factory=list)
    threads: int | None = None     # CPU threads the job was given (colorize_cli.threads)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class RunOptions:
    overwrite: bool = False
    skip_existing: bool = False
    codec: str | None = None
    crf: int | None = 18
    preset: str | None = "medium"
    temporal: str = "flow"                   # flow | ema | off
    temporal_strength: float | None = None   # None: the mode's default (flow 0.8, ema 0.6)
    saturation: float = 1.0
    output_ext: str | None = None
    max_pixels: int | None = None
    segment_seconds: float | None = None   # films longer than this are done in keyframe segments
    reset_manifest: bool = False           # set a damaged job manifest aside and start afresh
    allow_truncated: bool = False          # finish damaged films with what is there (noted), not fail


class Colorizer:
    """A loaded model on an engine. Create once, use for many images and films."""

    def __init__(self, model: str | None = None, engine: str = "auto", batch_size: int = 8,
                 render_size: int | None = None, weights: str | Path | None = "default",
                 require_weights: bool = True, threads: int | None = None):
        from colorize_cli.engines import select_engine
        from colorize_cli.models import create_model, get_spec
        from colorize_cli.models.registry import sha256

        model = resolve_model(model, weights)
        spec = get_spec(model)
        if require_weights and weights == "default" and not spec.has_weights:
            raise UsageError(f"model {model!r} has no trained weights in this install; train it with "
                             f"scripts/train.py or pass --weights FILE")
        net = create_model(model, weights=weights)
        self.weights_id = None if weights in ("default", None) else sha256(weights)
        from colorize_cli import threads as thread_budget

        if threads is not None and threads < 1:
            raise UsageError("threads must be at least 1")
        self.threads = thread_budget.apply(threads)
        cls, self.engine_reason = select_engine(engine)
        self.engine = cls(net, max_batch=batch_size, threads=self.threads)
        self.spec = spec
        self.batch_size = batch_size
        self.predictor = ChromaPredictor(self.engine, render_size)

    def describe(self) -> str:
        return (f"model {self.spec.name} on {self.engine.describe()}, {self.threads} CPU threads, render size "
                f"{self.predictor.render_size} [{self.engine_reason}]")

    # --- single arrays -------------------------------------------------------------------------
    def colorize_array(self, image: np.ndarray, saturation: float = 1.0) -> np.ndarray:
        """Gray (H,W) or RGB (H,W,3) uint8/uint16 -> RGB of the same dtype, Lab L kept."""
        from colorize_cli.pipeline.image import colorize_rgb

        if image.ndim == 2:
            image = np.repeat(image[..., None], 3, -1)
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype not in (np.uint8, np.uint16):
            raise UsageError("expected an (H, W) or (H, W, 3) uint8/uint16 array")
        return colorize_rgb(image, self.predictor, saturation)

    # --- files -----------------------------------------------------------------------------------
    def settings(self, options: RunOptions) -> dict:
        """Everything that changes the output bytes: a changed setting means redo, not skip."""
        return output_settings(self.spec.name, self.engine.name, self.weights_id, self.predictor.render_size,
                               options)

    def plan(self, inputs: Iterable[str | Path], out: str | Path | None = None,
             options: RunOptions | None = None) -> list[WorkItem]:
        """The work items a run would process (no manifest is opened)."""
        o = options or RunOptions()
        return make_plan(inputs, out, o.output_ext, o.overwrite, o.skip_existing, use_manifest=False).items

    def run(self, inputs: Iterable[str | Path], out: str | Path | None = None,
            options: RunOptions | None = None, on_item: Callable | None = None,
            on_frames: Callable | None = None, verify: bool = False) -> Iterator[ItemResult]:
        """Colorize files and folders; yields one ItemResult per input (failures included).

        Archive runs (a folder in, or an output folder) keep a manifest there: a rerun skips
        what is done and unchanged, and redoes what failed, was interrupted or changed.
        """
        options = options or RunOptions()
        plan = make_plan(inputs, out, options.output_ext, options.overwrite, options.skip_existing,
                         reset_manifest=options.reset_manifest)
        yield from run_job(self, plan, options, on_item, on_frames, verify)

    def process(self, item: WorkItem, options: RunOptions, on_frames: Callable | None = None,
                replace: bool = False) -> ItemResult:
        """One item; `replace` lets a job redo an output that it wrote itself earlier."""
        res = ItemResult(str(item.source), str(item.output), item.kind, "done", threads=self.threads)
        if replace and not options.overwrite:
            options = dataclasses.replace(options, overwrite=True, skip_existing=False)
        if item.output.exists() and options.skip_existing:
            res.status = "skipped"
            return res
        t0 = time.perf_counter()
        try:
            if item.kind == "image":
                self._photo(item, options, res)
            else:
                self._video(item, options, res, on_frames)
        except ColorizeError as e:
            res.status, res.error = "failed", str(e)
        except MemoryError:
            res.status, res.error = "failed", f"{item.source}: out of memory"
        except FileExistsError as e:
            res.status, res.error = "failed", str(e)
        except OSError as e:   # name the file that failed: a full disk is the output's problem
            import errno

            where = item.output if e.errno in (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EFBIG) else \
                (e.filename or item.source)
            res.status, res.error = "failed", f"{where}: {e.strerror or e}"
        except Exception as e:  # a bug or a library failure costs this item, not the batch
            res.status, res.error = "failed", f"{item.source}: unexpected error ({type(e).__name__}: {e})"
        res.seconds = round(time.perf_counter() - t0, 3)
        if res.frames and res.seconds:
            res.fps = round(res.frames / res.seconds, 2)
        return res

    def _photo(self, item: WorkItem, options: RunOptions, res: ItemResult) -> None:
        from colorize_cli.io.image import MAX_PIXELS, read_photo, write_photo
        from colorize_cli.pipeline.image import colorize_rgb

        t = time.perf_counter()
        photo = read_photo(item.source, options.max_pixels or MAX_PIXELS)
        t1 = time.perf_counter()
        parts: dict = {}
        rgb = colorize_rgb(photo.rgb, self.predictor, options.saturation, parts)
        t2 = time.perf_counter()
        write_photo(item.output, rgb, photo, options.overwrite)
        res.frames = 1
        res.stage_ms = {"decode": _ms(t1 - t), "infer": _ms(t2 - t1), "encode": _ms(time.perf_counter() - t2),
                        **{k: _ms(v) for k, v in parts.items()}}

    def _video(self, item: WorkItem, options: RunOptions, res: ItemResult, on_frames) -> None:
        from colorize_cli.io.video import EncodeSettings, VideoSink, VideoSource
        from colorize_cli.pipeline.temporal import make_smoother
        from colorize_cli.pipeline.video import colorize_video

        settings = EncodeSettings(options.codec, options.crf, options.preset)
        with VideoSource(item.source) as src:
            sink = VideoSink(item.output, src, settings, options.overwrite)
            smoother = make_smoother(options.temporal, options.temporal_strength)
            stats = colorize_video(src, sink, self.predictor, smoother, self.batch_size, on_frames,
                                   saturation=options.saturation, allow_truncated=options.allow_truncated)
        res.frames = stats.frames
        res.stage_ms = {k: _ms(v) for k, v in stats.stage_s.items()}
        res.warnings.extend(stats.warnings + self.engine.notes)


def resolve_model(model: str | None, weights=None) -> str:
    """The model to build: as asked; else the one a weights file's card names; else the default."""
    import json

    if model:
        return model
    if weights not in (None, "default"):
        card = Path(weights).with_suffix(".json")
        try:
            named = json.loads(card.read_text()).get("model") if card.is_file() else None
        except (OSError, ValueError):
            named = None
        if named:
            return named
    return DEFAULT_MODEL


def output_settings(model: str, engine_name: str, weights_id: str | None, render_size: int | None,
                    options: RunOptions) -> dict:
    """The settings a run's outputs depend on (hashed into the manifest's config), computable
    without loading the model: `--dry-run` admits items with exactly the real run's rule."""
    from colorize_cli.models import get_spec

    spec = get_spec(model)
    card = spec.card_info()
    size = render_size or card.get("render_size") or spec.input_size
    size = max(spec.stride, round(size / spec.stride) * spec.stride)
    return {"model": spec.name, "weights": weights_id or card.get("sha256"),
            "engine": engine_name, "render_size": size,
            "temporal": options.temporal, "strength": options.temporal_strength,
            "saturation": options.saturation, "codec": options.codec, "crf": options.crf,
            "preset": options.preset, "format": options.output_ext,
            "segments": options.segment_seconds}


def planned_config(model: str, engine: str, weights, render_size: int | None, options: RunOptions) -> str:
    """The manifest config hash a run with these arguments would use (no model is loaded)."""
    from colorize_cli.engines import select_engine
    from colorize_cli.jobs.manifest import config_hash
    from colorize_cli.models.registry import sha256

    cls, _ = select_engine(engine)
    weights_id = None if weights in ("default", None) else sha256(weights)
    model = resolve_model(model, weights)
    return config_hash(output_settings(model, cls.name, weights_id, render_size, options))


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


__all__ = ["Colorizer", "ItemResult", "RunOptions", "MediaError", "DEFAULT_MODEL"]
