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

from colorize_cli.errors import MissingExtraError


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

    return ColorizeWorker


def run_on_ray(plan, options, address: str = "auto", model: str = "baseline-cnn", engine: str = "auto",
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
    from colorize_cli.jobs.manifest import Manifest, config_hash, fingerprint
    from colorize_cli.jobs.runner import check_writable

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
        manifest = plan.manifest
        if plan.root is not None:
            check_writable(plan.root)
            manifest = manifest or Manifest(plan.root)
            manifest.set_job(config=config, settings=config_settings, total_items=len(plan.items),
                             started=time.time(), runner="ray")
        pending, free = {}, list(actors)
        queue = list(plan.items)
        fps = {}
        while queue or pending:
            while queue and free:
                item = queue.pop(0)
                if manifest is not None:
                    try:
                        fps[item.source] = fp = fingerprint(item.source)
                    except OSError as e:
                        yield ItemResult(str(item.source), str(item.output), item.kind, "failed",
                                         error=f"{item.source}: {e.strerror or e}")
                        continue
                    if manifest.is_done(item.source, item.output, fp, config, verify=verify):
                        yield ItemResult(str(item.source), str(item.output), item.kind, "skipped",
                                         warnings=["done in an earlier run (manifest)"])
                        continue
                    manifest.mark(item.source, item.output, item.kind, fp, config, "running")
                actor = free.pop()
                replace = manifest.owns(item.output) if manifest is not None else False
                ref = actor.process.remote(str(item.source), str(item.output), item.kind, opts, replace)
                pending[ref] = (item, actor)
            if not pending:
                continue
            ready, _ = ray.wait(list(pending), num_returns=1)
            ref = ready[0]
            item, actor = pending.pop(ref)
            free.append(actor)
            try:
                res = ItemResult(**ray.get(ref))
            except ray.exceptions.RayError as e:
                res = ItemResult(str(item.source), str(item.output), item.kind, "failed",
                                 error=f"{item.source}: worker failed ({type(e).__name__})")
            if manifest is not None:
                manifest.mark(item.source, item.output, item.kind, fps[item.source], config,
                              "done" if res.status in ("done", "skipped") else "failed",
                              frames=res.frames, seconds=res.seconds, error=res.error)
            yield res
        if manifest is not None:
            manifest.close()
    finally:
        if started_here:
            ray.shutdown()
