"""Scale-out on Ray: files and film segments go to actors that each hold one loaded Session.

Every Ray-specific call lives in this module; ray is imported lazily. The driver keeps the same
manifest as a local run (the same admission, records and segmented-film object), so a job can be
resumed locally or on Ray interchangeably. An actor that dies (node lost, kill -9) is restarted
and its task retried by Ray; a file that still fails is recorded as failed and the job goes on.
"""
from __future__ import annotations

import contextlib
import dataclasses
import sys
from dataclasses import dataclass
from pathlib import Path

from colorize_cli.errors import ColorizeError, MissingExtraError
from colorize_cli.io.atomic import publish_staged
from colorize_cli.options import ModelOptions, RunOptions
from colorize_cli.results import ItemResult, error_text


def _ray():
    try:
        import ray
    except ImportError:
        raise MissingExtraError("ray is not installed: pip install colorize-archive[ray]") from None
    return ray


def make_worker_class(ray):
    @ray.remote(max_restarts=3, max_task_retries=3)
    class ColorizeWorker:
        def __init__(self, model: dict, photos: int = 0, films: int = 0):
            from colorize_cli.colour import jit
            from colorize_cli.pipeline.session import Session

            jit.choose_for(photos=photos, films=films)     # the job's kernel choice, as a local run makes it
            self.session = Session(ModelOptions(**model))

        def settings(self, options: dict) -> dict:
            from colorize_cli.jobs.config import session_settings

            return session_settings(self.session, RunOptions(**options))

        def process(self, source, output, kind, options, replace, hints=None) -> tuple[dict, list]:
            """The item's result and its finished files as (tmp, final) pairs, not yet renamed:
            the driver records their identity in the manifest first, then publishes them."""
            from colorize_cli.io.atomic import defer_publish, discard
            from colorize_cli.io.discover import WorkItem
            from colorize_cli.pipeline.item import process_item

            item = WorkItem(Path(source), Path(output), kind)
            staged: list = []
            token = defer_publish.set(staged)
            try:
                res = process_item(self.session, item, RunOptions(**options), replace=replace, hints=hints)
            finally:
                defer_publish.reset(token)
            if res.status != "done":
                for tmp, _ in staged:
                    discard(Path(tmp))
                staged = []
            return res.to_dict(), staged

        def segment(self, source, window, out, options, hints=None) -> int:
            from colorize_cli.pipeline.item import colorize_film

            return colorize_film(self.session, Path(source), Path(out), RunOptions(**options), replace=True,
                                 window=tuple(window), segment=True, hints=hints).frames

    return ColorizeWorker


@dataclass
class Task:
    kind: str            # file | segment | join
    item: object
    seg: object = None


def run_on_ray(plan, options: RunOptions, model: ModelOptions, address: str | None = "auto",
               workers: int | None = None, verify: bool = False):
    """Yield ItemResults as actors finish them; the manifest is written by this driver. Each
    item's hints (read and checked by the driver) travel with its task."""
    ray = _ray()
    # Ray's driver prints task-retry notices on stdout; stdout is for our data only.
    with contextlib.redirect_stdout(sys.stderr):
        yield from RayJob(ray, plan, options, model, workers, verify).run(address)


class RayJob:
    def __init__(self, ray, plan, options, model, workers, verify):
        self.ray, self.plan, self.options, self.model = ray, plan, options, model
        self.workers, self.verify = workers, verify
        self.tickets: dict = {}        # source -> its Ticket (jobs.ledger)
        self.films: dict = {}          # source -> SegmentedFilm being assembled

    def run(self, address):
        ray = self.ray
        started_here = not ray.is_initialized()
        if started_here:
            if address in (None, "auto", "local"):
                ray.init(include_dashboard=False, log_to_driver=False, configure_logging=False)
            else:
                ray.init(address=address, log_to_driver=False, configure_logging=False)
        try:
            yield from self._run()
        finally:
            if started_here:
                ray.shutdown()

    def _actors(self):
        resources = self.ray.cluster_resources()
        gpus = int(resources.get("GPU", 0))
        n = self.workers or max(1, gpus or int(resources.get("CPU", 1)))
        per = {"num_gpus": 1} if gpus else {"num_cpus": max(1, int(resources.get("CPU", 1)) // n)}
        worker = make_worker_class(self.ray)
        kinds = [item.kind for item in self.plan.items]
        return [worker.options(**per).remote(dataclasses.asdict(self.model), kinds.count("image"), kinds.count("video"))
                for _ in range(n)]

    def _run(self):
        from colorize_cli.jobs.ledger import open_ledger
        from colorize_cli.jobs.manifest import config_hash
        from colorize_cli.jobs.runner import open_job

        ray = self.ray
        actors = self._actors()
        self.opts = dataclasses.asdict(self.options)
        settings = ray.get(actors[0].settings.remote(self.opts))
        config = config_hash(settings)
        self.ledger = open_ledger(open_job(self.plan, settings, config, runner="ray"), config, self.options,
                                  self.verify, self.plan.hints)
        try:
            tasks = []
            for item in self.plan.items:
                early = self._admit(item, tasks)
                if early is not None:
                    yield early
            pending, free = {}, list(actors)
            while tasks or pending:
                while tasks and (free or tasks[0].kind == "join"):
                    task = tasks.pop(0)
                    if task.kind == "join":
                        yield self._join(task.item)
                        continue
                    actor = free.pop()
                    pending[self._submit(actor, task)] = (task, actor)
                if not pending:
                    continue
                ready, _ = ray.wait(list(pending), num_returns=1)
                task, actor = pending.pop(ready[0])
                free.append(actor)
                res = self._collect(task, ready[0])
                if isinstance(res, Task):
                    tasks.insert(0, res)
                elif res is not None:
                    yield res
        finally:
            self.ledger.close()

    def _admit(self, item, tasks: list) -> ItemResult | None:
        """The ledger's admission (as the local runner's); queues the item's tasks, or returns its
        early result."""
        from colorize_cli.jobs.ledger import Ticket

        got = self.ledger.admit(item)
        if not isinstance(got, Ticket):
            return got
        self.tickets[item.source] = got
        if item.kind != "video" or not self.options.segment_seconds or got.fp is None:
            tasks.append(Task("file", item))
            return None
        film = self.ledger.segmented(got, self.plan.root)
        if isinstance(film, ItemResult):
            self.ledger.record(got, film)
            return film
        self.films[item.source] = film
        for seg in film.todo:
            film.started(seg)
            tasks.append(Task("segment", item, seg))
        if not film.todo:
            tasks.append(Task("join", item))
        return None

    def _submit(self, actor, task: Task):
        item = task.item
        if task.kind == "segment":
            film = self.films[item.source]
            return actor.segment.remote(str(item.source), film.window(task.seg), str(film.part(task.seg)),
                                        dataclasses.asdict(film.options), film.hints)
        ticket = self.tickets[item.source]
        return actor.process.remote(str(item.source), str(item.output), item.kind, self.opts, ticket.replace,
                                    ticket.hints)

    def _collect(self, task: Task, ref):
        """A finished task's result: an ItemResult to yield, a join Task to queue, or None."""
        ray, item = self.ray, task.item
        if task.kind == "segment":
            film = self.films[item.source]
            try:
                film.finished(task.seg, ray.get(ref))
            except (ray.exceptions.RayError, ColorizeError) as e:
                film.failed(task.seg, e)
            return Task("join", item) if film.complete else None
        try:
            fields, staged = ray.get(ref)
            res = ItemResult(**fields)
        except ray.exceptions.RayError as e:
            res, staged = ItemResult.of(item, "failed", error=f"{item.source}: worker failed ({type(e).__name__})"), []
        if staged:
            self._publish(item, res, staged)
        self._record(item, res)
        return res

    def _publish(self, item, res: ItemResult, staged: list) -> None:
        """Rename a worker's finished files into place, each file's identity recorded first (as the
        local runner does), so a driver that dies in between leaves a file the job knows."""
        ticket = self.tickets[item.source]
        try:
            with self.ledger.publishing(ticket):
                publish_staged(staged, self.options.overwrite or ticket.replace)
        except (OSError, ColorizeError) as e:
            res.fail(error_text(item, e))

    def _join(self, item) -> ItemResult:
        film = self.films.pop(item.source)
        with self.ledger.publishing(self.tickets[item.source]):
            res = film.join()
        self._record(item, res)
        return res

    def _record(self, item, res: ItemResult) -> None:
        self.ledger.record(self.tickets[item.source], res)
