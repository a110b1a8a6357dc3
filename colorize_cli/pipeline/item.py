"""One input, start to finish: a photo or a whole film (or one film segment) through a Session.
Every failure becomes the item's ItemResult (results.error_text): the batch goes on."""
from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Callable

from colorize_cli.clock import stage_clock
from colorize_cli.formats import ALPHA
from colorize_cli.options import RunOptions
from colorize_cli.results import ItemResult, error_text


def process_item(session, item, options: RunOptions, on_frames: Callable | None = None,
                 replace: bool = False, ahead=None, expect: str | None = None, hints=None) -> ItemResult:
    """Colorize `item` (a WorkItem); `replace` lets a job redo an output that it wrote itself.
    `ahead`: for a photo, a Future of `photo_work(session, item, options)` started earlier (the
    runner's look-ahead); its error, if any, fails this item as it would have here. `expect`: the
    source's fingerprint as the job admitted it; a photo decoded from other bytes (replaced on
    disk after the look-ahead read it) is decoded again."""
    res = ItemResult.of(item, threads=session.threads)
    if replace and not options.overwrite:
        options = dataclasses.replace(options, overwrite=True, skip_existing=False)
    if item.output.exists() and options.skip_existing:
        res.status = "skipped"
        return res
    t0 = time.perf_counter()
    earlier = 0.0       # a photo computed ahead: its decode and colour seconds, spent before t0
    try:
        if item.kind == "image":
            earlier = _photo(session, item, options, res, ahead, expect, hints)
        else:
            stats = colorize_film(session, item.source, item.output, options, on_frames=on_frames, hints=hints)
            if hints is not None:
                res.warnings.append(f"{hints.describe()} from {hints.source}, carried through their shots")
            res.frames = stats.frames
            res.stage_ms = {k: _ms(v) for k, v in stats.stage_s.items()}
            res.warnings.extend(stats.warnings + session.engine.notes)
    except Exception as e:   # noqa: BLE001 - a bug or a library failure (or MemoryError) costs this item
        res.fail(error_text(item, e))
    return res.timed(time.perf_counter() - t0 + earlier)


def photo_work(session, item, options: RunOptions, hints=None) -> tuple:
    """The part of a photo that writes nothing: decode and colorize. Returns (photo, rgb, stage
    seconds). Safe to run in another thread beside the item before it (the runner's look-ahead)."""
    from colorize_cli.io.image import MAX_PIXELS, output_format, read_photo
    from colorize_cli.pipeline.image import colorize_rgb

    from colorize_cli.errors import MediaError
    from colorize_cli.files import fingerprint

    seconds: dict = {}
    with stage_clock(seconds, "decode"):
        keep_alpha = output_format(item.output) in ALPHA     # checked before anything is decoded
        before = fingerprint(item.source)
        photo = read_photo(item.source, options.max_pixels or MAX_PIXELS, keep_alpha=keep_alpha)
        if fingerprint(item.source) != before:
            raise MediaError(f"{item.source}: changed on disk while it was being read")
        photo.fingerprint = before        # the bytes this photo was decoded from
    parts: dict = {}
    with stage_clock(seconds, "infer"):
        if hints is not None:
            hints.check_size(photo.pixels.shape[1], photo.pixels.shape[0])
        rgb = colorize_rgb(photo.pixels, session.predictor, options.saturation, parts, photo.gray, hints=hints)
    return photo, rgb, {**seconds, **parts}


def _photo(session, item, options: RunOptions, res: ItemResult, ahead=None, expect: str | None = None,
           hints=None) -> float:
    """Decode (or take the look-ahead's work), colorize, write; returns the seconds of work done
    before this call (the look-ahead's), 0 when all of it was done here."""
    from colorize_cli.errors import MediaError
    from colorize_cli.io.image import write_photo

    photo, rgb, seconds = ahead.result() if ahead is not None else photo_work(session, item, options, hints)
    earlier = seconds["decode"] + seconds["infer"] if ahead is not None else 0.0   # network, chroma: inside infer
    if expect and photo.fingerprint != expect and ahead is not None:
        photo, rgb, seconds = photo_work(session, item, options, hints)    # read ahead of a replacement: again
        earlier = 0.0
    if expect and photo.fingerprint != expect:
        raise MediaError(f"{item.source}: changed on disk while it was being colorized; not written "
                         f"(the next run colorizes the new file)")
    written: dict = {}
    with stage_clock(written, "encode"):
        write_photo(item.output, rgb, photo, options.overwrite)
    res.frames = 1
    res.warnings.extend(photo.notes)
    if hints is not None:
        res.warnings.append(f"{hints.describe()} from {hints.source}")
    res.stage_ms = {k: _ms(v) for k, v in {**seconds, **written}.items()}
    return earlier


def colorize_film(session, source: Path, output: Path, options: RunOptions, *, replace: bool = False,
                  window=None, segment: bool = False, on_frames: Callable | None = None, hints=None):
    """The one video set-up (encoder settings, smoother, stages) used by whole films, segments
    and the benchmark. `window` = (start, end, warm_start) pts for a segment; segments are
    written without B-frames and never keep passthrough streams (the join adds them). `replace`:
    the output may be replaced (as process_item's; --overwrite also does)."""
    from colorize_cli.io.video import VideoSink, VideoSource
    from colorize_cli.pipeline.temporal import make_smoother
    from colorize_cli.pipeline.video import colorize_video

    with VideoSource(source) as src:
        if window is not None:
            src.set_window(*window)
        sink = VideoSink(output, src, options, options.overwrite or replace, no_bframes=segment)
        smoother = make_smoother(options.temporal, options.temporal_strength)
        hinter = None
        if hints is not None and hints.frames:
            from colorize_cli.pipeline.film_hints import FilmHinter, track

            v = src.video
            hinter = FilmHinter(track(source, hints), v.width, v.height, hints)
        return colorize_video(src, sink, session.predictor, smoother, session.batch_size, on_frames,
                              saturation=options.saturation,
                              allow_truncated=options.allow_truncated and not segment, hinter=hinter)


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)
