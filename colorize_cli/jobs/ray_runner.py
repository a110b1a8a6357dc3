"""Scale-out on Ray: files go to actors that each own one loaded engine.

Every Ray-specific call lives in this module; ray is imported lazily. The driver keeps the same
manifest as a local run, so a job can be resumed locally or on Ray interchangeably. An actor that
dies (node lost, kill -9) is restarted and its task retried by Ray; a file that still fails is
recorded as failed and the rest of the job goes on.
"""
from __future__ import annotations

import contextlib
import dataclasses
import sys
import time
from pathlib import Path

from colorize_cli.errors import ColorizeError, MissingExtraError


def _ray():
    try:
        import ray
    except ImportError:
        raise MissingExtraError("ray is not installed: pip install colorize-cli[ray]") from None
    return ray


def make_worker_class(ray):
    @ray.remote(max_restarts=3, max_task_retries=3)
    class ColorizeWorker:
        def __init__(self, model, engine, weights, batch_size, render_size):
            from colorize_cli.api import Colorizer

            self.cz = Colorizer(model, engine, batch_size, render_size, weights=weights or "default")

        def settings(self, options):
            from colorize_cli.api import RunOptions

            return self.cz.settings(RunOptions(**options))

        def process(self, source, output, kind, options, replace):
            from colorize_cli.api import RunOptions
            from colorize_cli.io.discover import WorkItem

            item = WorkItem(Path(source), Path(output), kind)
            return self.cz.process(item, RunOptions(**options), replace=replace).to_dict()

        def segment(self, source, seg, out, options):
            from colorize_cli.api import RunOptions
            from colorize_cli.jobs.segments import Segment, process_segment

            return process_segment(self.cz, Path(source), Segment(*seg), Path(out), RunOptions(**options))

    return ColorizeWorker


def run_on_ray(plan, options, address: str = "auto", model: str | None = None, engine: str = "auto",
               weights=None, batch_size: int = 8, render_size=None, workers: int | None = None,
               verify: bool = False):
    """Yield ItemResults as actors finish them; the manifest is written by this driver."""

    ray = _ray()
    # Ray's driver prints task-retry notices on stdout; stdout is for our data only.
    with contextlib.redirect_stdout(sys.stderr):
        yield from _run(ray, plan, options, address, model, engine, weights, batch_size, render_size,
                        workers, verify)


def _run(ray, plan, options, address, model, engine, weights, batch_size, render_size, workers, verify):
    from colorize_cli.api import ItemResult
    from colorize_cli.jobs.manifest import config_hash
    from colorize_cli.jobs.runner import admit, foreign_output, open_job, record

    started_here = not ray.is_initialized()
    if started_here:
        if address in (None, "auto", "local"):
            ray.init(include_dashboard=False, log_to_driver=False, configure_logging=False)
        else:
            ray.init(address=address, log_to_driver=False, configure_logging=False)
    try:
        resources = ray.cluster_resources()
        gpus = int(resources.get("GPU", 0))
        n = workers or max(1, gpus or int(resources.get("CPU", 1)))
        per = {"num_gpus": 1} if gpus else {"num_cpus": max(1, int(resources.get("CPU", 1)) // n)}
        Worker = make_worker_class(ray)
        actors = [Worker.options(**per).remote(model, engine, weights, batch_size, render_size) for _ in range(n)]
        opts = dataclasses.asdict(options)
        config_settings = ray.get(actors[0].settings.remote(opts))
        config = config_hash(config_settings)
        manifest = open_job(plan, config_settings, config, runner="ray")
        fps = {}
        owned = {}  # source -> its existing output is this job's own (checked before admission)
        films = {}  # source -> FilmJob (segmented films being assembled)
        tasks = []
        for item in plan.items:
            if manifest is not None:
                foreign = foreign_output(manifest, item, options)
                if foreign is not None:
                    yield foreign
                    continue
                owned[item.source] = item.output.exists()
                fps[item.source], early = admit(manifest, item, config, verify)
                if early is not None:
                    yield early
                    continue
            if item.kind == "video" and options.segment_seconds and manifest is not None:
                try:
                    film = FilmJob.plan(item, options, manifest, fps[item.source], config, plan.root)
                except ColorizeError as e:
                    res = ItemResult(str(item.source), str(item.output), item.kind, "failed", error=str(e))
                    manifest.mark(item.source, item.output, item.kind, fps[item.source], config, "failed",
                                  error=res.error)
                    yield res
                    continue
                film.replace = owned.get(item.source, False)
                films[item.source] = film
                tasks += [("segment", item, seg) for seg in film.todo]
                if not film.todo:
                    tasks.append(("join", item, None))
            else:
                tasks.append(("file", item, None))
        pending, free = {}, list(actors)
        while tasks or pending:
            while tasks and (free or tasks[0][0] == "join"):
                kind, item, seg = tasks.pop(0)
                if kind == "join":
                    yield films.pop(item.source).join(manifest, options)
                    continue
                actor = free.pop()
                if kind == "segment":
                    film = films[item.source]
                    ref = actor.segment.remote(str(item.source), tuple(dataclasses.astuple(seg)),
                                               str(film.part(seg)), opts)
                else:
                    replace = owned.get(item.source, False)
                    ref = actor.process.remote(str(item.source), str(item.output), item.kind, opts, replace)
                pending[ref] = (kind, item, seg, actor)
            if not pending:
                continue
            ready, _ = ray.wait(list(pending), num_returns=1)
            ref = ready[0]
            kind, item, seg, actor = pending.pop(ref)
            free.append(actor)
            if kind == "segment":
                film = films[item.source]
                try:
                    film.finished(seg, ray.get(ref))
                except (ray.exceptions.RayError, ColorizeError) as e:
                    film.failed(seg, e)
                if film.complete:
                    tasks.insert(0, ("join", item, None))
                continue
            try:
                res = ItemResult(**ray.get(ref))
            except ray.exceptions.RayError as e:
                res = ItemResult(str(item.source), str(item.output), item.kind, "failed",
                                 error=f"{item.source}: worker failed ({type(e).__name__})")
            if manifest is not None:
                record(manifest, item, fps[item.source], config, res)
            yield res
        if manifest is not None:
            manifest.close()
    finally:
        if started_here:
            ray.shutdown()


class FilmJob:
    """A segmented film on Ray: segments run on actors, the driver records and joins them."""

    def __init__(self, item, segments, folder, manifest, fp, config):
        self.item, self.segments, self.folder = item, segments, folder
        self.manifest, self.fp, self.config = manifest, fp, config
        self.todo = [s for s in segments if not manifest.is_done(item.source, self.part(s), fp, config,
                                                                  segment=s.index)]
        self.waiting = {s.index for s in self.todo}
        self.errors: list[str] = []
        self.replace = False   # the film's existing output is this job's own (set by the driver)
        self.t0 = time.perf_counter()
        for s in self.todo:
            manifest.mark(item.source, self.part(s), "segment", fp, config, "running", segment=s.index)

    @classmethod
    def plan(cls, item, options, manifest, fp, config, root):
        from colorize_cli.jobs.segments import plan_segments, segment_warmup, work_dir

        folder = work_dir(root, item.source, fp)
        folder.mkdir(parents=True, exist_ok=True)
        segments = plan_segments(item.source, options.segment_seconds, segment_warmup(item.source, options))
        return cls(item, segments, folder, manifest, fp, config)

    def part(self, seg):
        from colorize_cli.jobs.segments import segment_path

        return segment_path(self.folder, seg)

    @property
    def complete(self) -> bool:
        return not self.waiting

    def finished(self, seg, frames: int) -> None:
        self.waiting.discard(seg.index)
        self.manifest.mark(self.item.source, self.part(seg), "segment", self.fp, self.config, "done",
                           segment=seg.index, frames=frames)

    def failed(self, seg, err) -> None:
        self.waiting.discard(seg.index)
        self.errors.append(f"segment {seg.index}: {err}")
        self.manifest.mark(self.item.source, self.part(seg), "segment", self.fp, self.config, "failed",
                           segment=seg.index, error=str(err))

    def join(self, manifest, options):
        from colorize_cli.api import ItemResult
        from colorize_cli.jobs.segments import finish_film

        item = self.item
        res = ItemResult(str(item.source), str(item.output), "video", "done")
        try:
            if self.errors:
                raise ColorizeError(f"{item.source}: " + "; ".join(self.errors))
            replace = options.overwrite or self.replace
            res.frames = finish_film(item.source, [self.part(s) for s in self.segments], item.output,
                                     self.folder, replace, options.allow_truncated, res.warnings)
        except (ColorizeError, OSError) as e:
            res.status, res.error = "failed", str(e)
        res.seconds = round(time.perf_counter() - self.t0, 3)
        res.fps = round(res.frames / res.seconds, 2) if res.seconds else 0.0
        manifest.mark(item.source, item.output, "video", self.fp, self.config,
                      "done" if res.status == "done" else "failed", frames=res.frames,
                      seconds=res.seconds, error=res.error)
        return res
