"""Streaming video colorization: decode -> infer -> encode in three threads, bounded queues.

The Y' plane of every frame is copied to the output untouched; only Cb/Cr are computed, from
the predicted ab recombined with the original luminance at the chroma planes' resolution.
"""
from __future__ import annotations

import queue
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import av
import numpy as np

from colorize_cli import threads as thread_budget
from colorize_cli.clock import stage_clock
from colorize_cli.errors import MediaError
from colorize_cli.io.video import FrameTags, Passthrough, VideoSink, VideoSource, plane_view
from colorize_cli.pipeline.frames import Batch, FrameColorizer
from colorize_cli.pipeline.predict import ChromaPredictor

_END = object()


@dataclass
class VideoStats:
    frames: int = 0
    scene_cuts: int = 0
    # infer: the infer thread (L, the network input, the network; on a GPU also smoothing and the
    # planes); network, chroma (wherever it runs), smooth and encode are also given on their own
    stage_s: dict = field(default_factory=lambda: {"decode": 0.0, "infer": 0.0, "network": 0.0, "chroma": 0.0,
                                                   "smooth": 0.0, "encode": 0.0})
    warnings: list = field(default_factory=list)


class _Stop(Exception):
    pass


def _put(q: queue.Queue, item, stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            q.put(item, timeout=0.1)
            return
        except queue.Full:
            continue
    raise _Stop


def _get(q: queue.Queue, stop: threading.Event):
    while not stop.is_set():
        try:
            return q.get(timeout=0.1)
        except queue.Empty:
            continue
    raise _Stop


def _dtype(bits: int):
    return np.uint8 if bits <= 8 else np.uint16


@dataclass
class Pending:
    """A decoded frame on its way to the network (warm-up frames are never written)."""
    frame: av.VideoFrame
    warmup: bool


@dataclass
class Predicted:
    """A batch back from the network: its frames and what the FrameColorizer made of them."""
    items: list
    batch: Batch


def colorize_video(source: VideoSource, sink: VideoSink, predictor: ChromaPredictor, smoother=None,
                   batch_size: int = 8, on_frames=None, queue_size: int = 2,
                   saturation: float = 1.0, allow_truncated: bool = False, hinter=None) -> VideoStats:
    """Colorize `source` into `sink`. Raises MediaError; the sink is discarded on any failure.
    hinter: hints by frame pts (pipeline.film_hints.FilmHinter), applied before the smoothing."""
    stages = FilmStages(source, sink, predictor, smoother, batch_size, queue_size, saturation)
    stages.hinter = hinter
    return stages.run(on_frames, allow_truncated)


class FilmStages:
    """Three stages joined by bounded queues: decode (thread) -> Pending frames -> infer (thread)
    -> Predicted batches -> encode (the calling thread, which owns the sink). A stage's error
    stops the others and is raised by run(); the sink's partial file is then discarded."""

    def __init__(self, source: VideoSource, sink: VideoSink, predictor: ChromaPredictor, smoother,
                 batch_size: int, queue_size: int, saturation: float):
        self.source, self.sink, self.predictor, self.smoother = source, sink, predictor, smoother
        self.batch_size, self.saturation = batch_size, saturation
        self.stats = VideoStats()
        self.stop = threading.Event()
        self.frames_q: queue.Queue = queue.Queue(maxsize=batch_size * queue_size)
        self.done_q: queue.Queue = queue.Queue(maxsize=queue_size)
        self.packets_q: queue.Queue = queue.Queue()  # audio/subtitle: bounded in time by frames_q
        self.errors: list[BaseException] = []
        self.tags: FrameTags | None = None        # set by the decoder from the first frame
        self.frames: FrameColorizer | None = None  # the processor, made by the decoder with the tags
        self.encode_s: dict = {}   # the encode thread's own stage seconds, added at the end
        self.stats_lock = threading.Lock()
        self.hinter = None     # pipeline.film_hints.FilmHinter when the film has hints

    # --- stages ------------------------------------------------------------------------------
    def _stage(self, body) -> None:
        try:
            body()
        except _Stop:
            pass
        except BaseException as e:  # handed to the main thread, which raises it
            self.errors.append(e)
            self.stop.set()

    def decode(self) -> None:
        t = time.perf_counter()
        for event in self.source:
            if isinstance(event, Passthrough):
                self.packets_q.put(event.packet)
                continue
            frame = event.frame
            if self.tags is None:
                self.tags = FrameTags.of(frame)
                self.size = (frame.width, frame.height)
                self.frames = FrameColorizer(self.predictor, self.tags, (frame.planes[1].height, frame.planes[1].width),
                                             self.smoother, self.saturation, self.hinter)
                if frame.interlaced_frame:     # said, not silently changed
                    self.stats.warnings.append("interlaced source: written progressive (fields kept woven, "
                                               "not deinterlaced)")
            elif (frame.width, frame.height) != self.size:   # the encoder would scale it: luma lost
                w, h = self.size
                raise MediaError(f"{self.source.path}: the frame size changes from {w}x{h} to "
                                 f"{frame.width}x{frame.height} within the film; such films are not "
                                 f"colorized (cut it where the size changes)")
            if frame.format.name != self.tags.fmt:
                src = frame
                frame = frame.reformat(format=self.tags.fmt)
                frame.pts, frame.time_base = src.pts, src.time_base
            self.stats.stage_s["decode"] += time.perf_counter() - t
            _put(self.frames_q, Pending(frame, event.warmup), self.stop)
            t = time.perf_counter()
        _put(self.frames_q, _END, self.stop)

    def infer(self) -> None:
        """Batches to the network in order. On a CPU engine with several lanes, that many batches
        run at once (a pool of lane threads); the encode thread receives their futures in order."""
        lanes = None
        pool = None
        finished = False
        try:
            while not finished:
                batch = []
                while len(batch) < self.batch_size:
                    item = _get(self.frames_q, self.stop)
                    if item is _END:
                        finished = True
                        break
                    batch.append(item)
                if batch and lanes is None:   # the processor exists once the first frame is decoded
                    lanes = self.frames.lanes()
                    pool = ThreadPoolExecutor(len(lanes), thread_name_prefix="lane") if len(lanes) > 1 else None
                if batch:
                    done = pool.submit(self._predict, batch, lanes[0]) if pool else self._predict(batch)
                    _put(self.done_q, done, self.stop)
            _put(self.done_q, _END, self.stop)
        finally:
            # At a normal end the encoder still waits for the batches handed to it: queued ones
            # must run (a worker may not have picked one up yet). Cancel only when stopping.
            if pool is not None:
                pool.shutdown(wait=False, cancel_futures=not finished or self.stop.is_set())

    def _predict(self, batch: list, lane=None) -> Predicted:
        times = {}
        with stage_clock(times, "infer"):
            ys = [plane_view(p.frame.planes[0], _dtype(self.tags.bits)) for p in batch]   # views: no copy
            done = self.frames.predict(ys, [p.frame.pts for p in batch], lane, times)
        with self.stats_lock:    # lanes finish in any order, from their own threads
            for key, seconds in times.items():
                self.stats.stage_s[key] += seconds
        return Predicted(batch, done)

    def encode(self, done: Predicted) -> int:
        """Write a predicted batch (warm-up frames skipped); returns the frames written."""
        stats, sink = self.stats, self.sink
        written, times = 0, {}
        with stage_clock(times, "encode"):
            self.frames.smooth(done.batch, times)     # warm-up frames feed the smoother too
            for i, pending in enumerate(done.items):
                if pending.warmup:
                    continue
                planes = self.frames.planes(done.batch, i, times)
                frame = pending.frame
                if sink.container is None:   # the encoder's format and size come from the first frame
                    sink.open(self.tags, frame.width, frame.height)
                _drain(self.packets_q, sink)
                sink.write_frame(_recombine(frame, planes, sink.stream.pix_fmt, self.tags))
                stats.frames += 1
                written += 1
        times["encode"] -= times.get("smooth", 0.0) + times.get("chroma", 0.0)
        for key, seconds in times.items():
            self.encode_s[key] = self.encode_s.get(key, 0.0) + seconds
        return written

    # --- the whole film ----------------------------------------------------------------------
    def run(self, on_frames=None, allow_truncated: bool = False) -> VideoStats:
        with thread_budget.film_stages():
            return self._run(on_frames, allow_truncated)

    def _run(self, on_frames, allow_truncated: bool) -> VideoStats:
        threads = [threading.Thread(target=self._stage, args=(self.decode,), name="decode", daemon=True),
                   threading.Thread(target=self._stage, args=(self.infer,), name="infer", daemon=True)]
        for th in threads:
            th.start()
        try:
            while True:
                try:
                    done = _get(self.done_q, self.stop)
                except _Stop:
                    break
                if done is _END:
                    break
                if isinstance(done, Future):   # a lane's batch: wait for it (its error is raised here)
                    done = done.result()
                written = self.encode(done)
                if on_frames and written:
                    on_frames(written)
            if self.errors:
                raise self.errors[0]
            self._finish(allow_truncated)
        except BaseException:
            self.stop.set()
            self.sink.fail()
            raise
        finally:
            self.stop.set()
            for th in threads:
                th.join(timeout=5)
        with self.stats_lock:
            for key, seconds in self.encode_s.items():
                self.stats.stage_s[key] += seconds
            self.stats.scene_cuts = self.frames.cuts if self.frames else 0
        self.stats.warnings.extend(self.sink.warnings)
        return self.stats

    def _finish(self, allow_truncated: bool) -> None:
        """Every frame and stream is there (or noted with --allow-truncated): publish."""
        source, sink, stats = self.source, self.sink, self.stats
        if sink.container is None:
            raise MediaError(f"{source.path}: no decodable video frames")
        _drain(self.packets_q, sink)
        note = source.check_complete(allow_truncated)
        lost = sink.missing_streams()
        if lost and not allow_truncated:
            raise MediaError(f"{source.path}: truncated or damaged: missing data in {', '.join(lost)} "
                             f"(--allow-truncated keeps what is there)")
        stats.warnings += ([note] if note else []) + [f"{s}: missing in the source, kept what is there" for s in lost]
        if sink.encoded != source.decoded:
            raise MediaError(f"{source.path}: wrote {sink.encoded} frames but decoded {source.decoded}")
        sink.finish()


def _drain(packets_q: queue.Queue, sink: VideoSink) -> None:
    while True:
        try:
            sink.mux_packet(packets_q.get_nowait())
        except queue.Empty:
            return


def _recombine(src: av.VideoFrame, cbcr: np.ndarray, pix_fmt: str, tags: FrameTags) -> av.VideoFrame:
    """New frame: the source's Y' plane byte for byte, our Cb/Cr."""
    out = av.VideoFrame(src.width, src.height, tags.fmt)
    dt = _dtype(tags.bits)
    plane_view(out.planes[0], dt)[:] = plane_view(src.planes[0], dt)
    plane_view(out.planes[1], dt)[:] = cbcr[0]
    plane_view(out.planes[2], dt)[:] = cbcr[1]
    out.pts, out.time_base = src.pts, src.time_base
    out.color_range = src.color_range
    out.colorspace = src.colorspace
    out.color_primaries, out.color_trc = src.color_primaries, src.color_trc
    if pix_fmt != tags.fmt:
        conv = out.reformat(format=pix_fmt)
        conv.pts, conv.time_base = out.pts, out.time_base
        return conv
    return out


__all__ = ["colorize_video", "FilmStages", "VideoStats"]
