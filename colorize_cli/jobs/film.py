"""One segmented film: its segments, which are done (manifest), the work folder, the join.
Used as is by the local runner and the Ray driver (which runs the segments on actors)."""
from __future__ import annotations

import time

from colorize_cli.errors import ColorizeError
from colorize_cli.jobs.segments import finish_film, plan_segments, segment_path, segment_warmup, work_dir
from colorize_cli.results import ItemResult, error_text


def segment_options(item, options):
    """Segments are encoded with the codec the joined film needs (a .webm takes VP9, not the
    H.264 a NUT part would get by default): the join copies their packets as they are."""
    import dataclasses

    from colorize_cli.formats import CODEC_FOR_EXT

    codec = options.codec or CODEC_FOR_EXT.get(item.output.suffix.lower())
    return dataclasses.replace(options, codec=codec) if codec != options.codec else options


class SegmentedFilm:
    def __init__(self, item, options, manifest, fp: str, config: str, root, replace: bool = False):
        self.item, self.options = item, segment_options(item, options)
        self.manifest, self.fp, self.config = manifest, fp, config
        self.replace = options.overwrite or replace   # the film's existing output is this job's own
        self.t0 = time.perf_counter()
        self.folder = work_dir(root, item.source, fp)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.segments = plan_segments(item.source, options.segment_seconds, segment_warmup(item.source, options))
        self.todo = [s for s in self.segments
                     if not manifest.is_done(item.source, self.part(s), fp, config, segment=s.index)]
        self.waiting = {s.index for s in self.todo}
        self.errors: list[str] = []
        self.frames_done = 0
        self.hints = None          # colorize_cli.hints.Hints of the film (local runs)

    def part(self, seg):
        return segment_path(self.folder, seg, self.item.output)

    def window(self, seg) -> tuple:
        return seg.start, seg.end, seg.warm_start

    def started(self, seg) -> None:
        self.manifest.mark(self.item.source, self.part(seg), "segment", self.fp, self.config, "running",
                           segment=seg.index)

    @property
    def complete(self) -> bool:
        return not self.waiting

    def finished(self, seg, frames: int, seconds: float = 0.0) -> None:
        self.waiting.discard(seg.index)
        self.manifest.mark(self.item.source, self.part(seg), "segment", self.fp, self.config, "done",
                           segment=seg.index, frames=frames, seconds=seconds)

    def failed(self, seg, err) -> None:
        self.waiting.discard(seg.index)
        self.errors.append(f"segment {seg.index}: {err}")
        self.manifest.mark(self.item.source, self.part(seg), "segment", self.fp, self.config, "failed",
                           segment=seg.index, error=str(err))

    def join(self) -> ItemResult:
        """Join every segment into the output and check the whole film is there. The caller
        records the film's row (the same `record` as any item)."""
        res = ItemResult.of(self.item)
        try:
            if self.errors:
                raise ColorizeError(f"{self.item.source}: " + "; ".join(self.errors))
            res.frames = finish_film(self.item.source, [self.part(s) for s in self.segments], self.item.output,
                                     self.folder, self.replace, self.options.allow_truncated, res.warnings)
            reused = len(self.segments) - len(self.todo)
            res.warnings.append(f"{len(self.segments)} segments, {reused} reused from an earlier run")
        except (ColorizeError, OSError) as e:
            res.fail(error_text(self.item, e))
        return res.timed(time.perf_counter() - self.t0)


def run_film_locally(session, film: SegmentedFilm, on_frames=None) -> ItemResult:
    """Every segment still to do, one after the other in this process, then the join."""
    from colorize_cli.pipeline.item import colorize_film

    stage_s: dict = {}
    for seg in film.todo:
        film.started(seg)
        t = time.perf_counter()
        try:
            stats = colorize_film(session, film.item.source, film.part(seg), film.options, replace=True,
                                  window=film.window(seg), segment=True, hints=film.hints)
        except ColorizeError as e:
            film.failed(seg, e)
            break       # the film fails; later segments would be thrown away by the join anyway
        film.finished(seg, stats.frames, time.perf_counter() - t)
        for k, v in stats.stage_s.items():      # the film's stages: the sum over its segments
            stage_s[k] = stage_s.get(k, 0.0) + v
        if on_frames:
            on_frames(stats.frames)
    res = film.join()
    res.threads = session.threads
    res.stage_ms = {k: round(1000 * v, 1) for k, v in stage_s.items()}
    return res
