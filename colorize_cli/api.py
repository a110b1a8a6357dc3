"""Library façade: everything the `colorize` command does, a script can do.

    from colorize_cli.api import Colorizer, RunOptions, ModelOptions, run, dry_run
    cz = Colorizer()                                    # the default model (lite-unet)
    rgb = cz.colorize_array(gray_uint8)                 # one image array
    for result in cz.run(["scans/", "film.mp4"], out="colored/"):
        print(result.to_dict())
    # the same job on a Ray cluster, or only planned:
    for result in run(["scans/"], "colored/", runner="ray"):
        ...
    print(dry_run(["scans/"], "colored/").summary)

Options are validated when made (UsageError, exit 2 on the command line) before any file is
touched; every failure of one input is that input's ItemResult, never an exception.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from colorize_cli.errors import ColorizeError, MediaError, UsageError
from colorize_cli.io.discover import WorkItem
from colorize_cli.jobs.dry_run import DryRun, estimate_frames
from colorize_cli.jobs.runner import Plan, make_plan, run_job
from colorize_cli.options import DEFAULT_MODEL, ModelOptions, RunOptions
from colorize_cli.pipeline.session import Session, resolve_model
from colorize_cli.results import DONE_EARLIER, ItemResult

RUNNERS = ("local", "ray")


class Colorizer(Session):
    """A loaded model on an engine. Create once, use for many images and films; close() (or a
    `with` block) frees the engine."""

    def __init__(self, model: str | None = None, engine: str = "auto", batch_size: int | None = None,
                 render_size: int | None = None, weights: str | Path | None = "default",
                 require_weights: bool = True, threads: int | None = None, *, options: ModelOptions | None = None):
        if options is not None and not isinstance(options, ModelOptions):
            raise UsageError(f"options must be a ModelOptions, not {type(options).__name__}")
        options = options or ModelOptions(model=model, engine=engine, batch_size=batch_size,
                                          render_size=render_size, weights=weights, threads=threads)
        super().__init__(options, require_weights=require_weights)

    # --- single arrays -------------------------------------------------------------------------
    def colorize_array(self, image: np.ndarray, saturation: float = 1.0, hints=None) -> np.ndarray:
        """Gray (H,W) or RGB (H,W,3) uint8/uint16 -> RGB of the same dtype, Lab L kept.
        hints: [(x, y, (r, g, b)), ...] or [(x, y, "#rrggbb", radius), ...] in the image's pixels,
        or a colorize_cli.hints.Hints (load_hints(path) reads a hint file)."""
        from colorize_cli.pipeline.image import colorize_rgb

        image = np.asarray(image)        # a grey (H, W) array stays one plane: it is all the luma there is
        if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] != 3) \
                or image.dtype not in (np.uint8, np.uint16):
            raise UsageError("expected an (H, W) or (H, W, 3) uint8/uint16 array")
        if image.shape[0] == 0 or image.shape[1] == 0:
            raise UsageError(f"expected a non-empty image, got shape {image.shape}")
        RunOptions(saturation=saturation)   # the same check as everywhere: finite, 0-3
        if hints is not None:
            from colorize_cli.hints import Hints, from_points

            hints = hints if isinstance(hints, Hints) else from_points(hints)
            hints.check_size(image.shape[1], image.shape[0])
        return colorize_rgb(image, self.predictor, saturation, hints=hints)

    # --- files -----------------------------------------------------------------------------------
    def settings(self, options: RunOptions) -> dict:
        """Everything that changes the output bytes: a changed setting means redo, not skip."""
        from colorize_cli.jobs.config import session_settings

        return session_settings(self, options)

    def plan(self, inputs, out: str | Path | None = None, options: RunOptions | None = None) -> list[WorkItem]:
        """The work items a run would process (no manifest is opened)."""
        return plan(inputs, out, options, use_manifest=False).items

    def run(self, inputs, out: str | Path | None = None, options: RunOptions | None = None,
            on_item: Callable | None = None, on_frames: Callable | None = None,
            verify: bool = False) -> Iterator[ItemResult]:
        """Colorize files and folders with this loaded model; one ItemResult per input.

        Archive runs (a folder in, or an output folder) keep a manifest there: a rerun skips
        what is done and unchanged, and redoes what failed, was interrupted or changed."""
        options = _run_options(options)
        yield from run_job(self, plan(inputs, out, options), options, on_item, on_frames, verify)

    def process(self, item: WorkItem, options: RunOptions, on_frames: Callable | None = None,
                replace: bool = False) -> ItemResult:
        """One item; `replace` lets a job redo an output that it wrote itself earlier."""
        from colorize_cli.pipeline.item import process_item

        return process_item(self, item, options, on_frames, replace)


def _run_options(options) -> RunOptions:
    if options is None:
        return RunOptions()
    if not isinstance(options, RunOptions):
        raise UsageError(f"options must be a RunOptions, not {type(options).__name__}")
    return options


def _model_options(model) -> ModelOptions:
    if model is None:
        return ModelOptions()
    if not isinstance(model, ModelOptions):
        raise UsageError(f"model must be a ModelOptions, not {type(model).__name__}")
    return model


def plan(inputs, out: str | Path | None = None, options: RunOptions | None = None,
         use_manifest: bool = True, dry: bool = False) -> Plan:
    """Inputs expanded into work items, with the job's manifest (archive runs); every usage
    error (missing input, existing outputs that are not the job's) is raised here."""
    o = _run_options(options)
    return make_plan(inputs, out, o.output_ext, o.overwrite, o.skip_existing, use_manifest=use_manifest,
                     reset_manifest=o.reset_manifest, dry=dry, codec=o.codec, hints=o.hints,
                     segmented=bool(o.segment_seconds))


def dry_run(inputs, out: str | Path | None = None, options: RunOptions | None = None,
            model: ModelOptions | None = None) -> DryRun:
    """What `run` would do with each item (new, redo, done, skip, conflict) and an estimate,
    by the real run's rules; no model is loaded and nothing is written."""
    from colorize_cli.jobs.config import planned_settings
    from colorize_cli.jobs.dry_run import dry_run as dry
    from colorize_cli.jobs.manifest import config_hash

    options, model = _run_options(options), _model_options(model)
    from colorize_cli.jobs import speed

    p = plan(inputs, out, options, dry=True)
    settings = planned_settings(model, options)
    config = config_hash(settings) if p.manifest is not None else None
    return dry(p, options, config, speed.fps(settings["model"], settings["engine"]))


def run(inputs, out: str | Path | None = None, options: RunOptions | None = None,
        model: ModelOptions | None = None, *, runner: str = "local", address: str | None = None,
        verify: bool = False, on_start: Callable | None = None, on_item: Callable | None = None,
        on_frames: Callable | None = None) -> Iterator[ItemResult]:
    """Plan and run a job: `runner="local"` loads the model here, `"ray"` on a Ray cluster's
    actors (`address`, default: a local cluster). `on_start(plan, description)` is called once
    the job is ready to go; on_item and on_frames (local) report progress."""
    if runner not in RUNNERS:
        raise UsageError(f"runner must be one of {', '.join(RUNNERS)}, not {runner!r}")
    options, model = _run_options(options), _model_options(model)
    p = plan(inputs, out, options)           # usage errors before any model is loaded
    if runner == "ray":
        from colorize_cli.jobs.ray_runner import run_on_ray

        if on_start:
            on_start(p, f"Ray cluster {address or 'local'}")
        yield from run_on_ray(p, options, model, address, verify=verify)
        return
    if not verify and _all_done(p, options, model):     # a finished job: say so, load nothing
        p.manifest.close()
        for it in p.items:
            yield ItemResult(str(it.source), str(it.output), it.kind, "skipped",
                             warnings=[DONE_EARLIER])
        return
    with Colorizer(options=model) as cz:
        if on_start:
            on_start(p, cz.describe())
        yield from run_job(cz, p, options, on_item, on_frames, verify)


def _all_done(p: Plan, options: RunOptions, model: ModelOptions) -> bool:
    """Every item done and unchanged by the manifest, by the dry run's rule (no model loaded)."""
    if p.manifest is None:
        return False
    from colorize_cli.jobs.config import planned_settings
    from colorize_cli.jobs.dry_run import planned_state
    from colorize_cli.jobs.manifest import config_hash

    try:
        config = config_hash(planned_settings(model, options))
    except ColorizeError:
        return False        # the real run reports it
    return all(planned_state(p, it, options, config) == "done" for it in p.items)


__all__ = ["Colorizer", "ItemResult", "RunOptions", "ModelOptions", "MediaError", "DEFAULT_MODEL", "plan",
           "dry_run", "run", "resolve_model", "estimate_frames"]
