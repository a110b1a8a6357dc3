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
import torch
import torch.nn.functional as F

from colorize_cli import threads as thread_budget
from colorize_cli.errors import MediaError
from colorize_cli.io.video import EncodeSettings, FrameTags, Passthrough, VideoSink, VideoSource, plane_view
from colorize_cli.pipeline.chroma import ChromaPlanes, L_at, L_table, luma_to_L_np, sites_from_codes
from colorize_cli.colorspace import lab_to_rgb, luma_to_L, rgb_to_cbcr
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


def _smooth(smoother, L_small: torch.Tensor, ab: torch.Tensor, saturation: float, hinter=None,
            pts: list | None = None) -> tuple[torch.Tensor, int]:
    """Hints (pipeline.film_hints.FilmHinter, by frame pts), then temporal smoothing, then saturation."""
    if hinter is not None:
        ab = hinter(L_small, ab, pts)
    cuts = 0
    if smoother is not None:
        before = smoother.cuts
        ab = smoother(L_small, ab)
        cuts = smoother.cuts - before
    if saturation != 1.0:
        ab = ab * saturation
    return ab, cuts


class ChromaJob:
    """The CPU path's work after the network, left to the encode thread so that it overlaps the
    next batch's network: temporal smoothing of the batch (in order; warm-up frames included),
    then per frame L at the chroma sites + smoothed ab -> Cb/Cr planes."""

    def __init__(self, L_c: np.ndarray, small: torch.Tensor, ab: torch.Tensor, tags: FrameTags):
        self.L_c, self.small, self.tags = L_c, small, tags
        self.raw_ab: torch.Tensor | None = ab
        self.ab: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.L_c)

    def smooth(self, smoother, saturation: float, hinter=None, pts: list | None = None) -> int:
        """Smooth the whole batch once (before any of its frames is made); returns the scene cuts."""
        ab, cuts = _smooth(smoother, self.small, self.raw_ab, saturation, hinter, pts)
        self.ab, self.raw_ab = ab.float().numpy(), None
        return cuts

    def planes(self, i: int, make: ChromaPlanes) -> np.ndarray:
        return make(self.L_c[i], self.ab[i])


def network_input(ys: list, bits: int, full_range: bool, chroma_hw: tuple[int, int],
                  predictor: ChromaPredictor) -> tuple[np.ndarray, torch.Tensor]:
    """Y' planes (N of (H, W), uint8/uint16) -> (L at the chroma sites (N, ch, cw) float32, the
    network's input (N, 1, h, w)).

    L is taken once at full resolution (a table per Y' code) and averaged to the chroma sites; the
    network's input is shrunk from that half-size L (from the full-resolution L only for a film so
    small that the network sees more than the chroma sites hold).
    """
    ch, cw = chroma_hw
    H, W = ys[0].shape
    shape = predictor.render_shape(H, W)
    from_full = shape[0] > ch or shape[1] > cw
    L_c = np.empty((len(ys), ch, cw), np.float32)
    L = np.empty((len(ys), H, W), np.float32) if from_full else None
    sites = None if from_full else sites_from_codes(H, W, chroma_hw)
    table = L_table(bits, full_range)
    for i, y in enumerate(ys):
        if sites is not None:
            sites(y, table, ch < H, L_c[i])
            continue
        Li = luma_to_L_np(y, bits, full_range)
        L_c[i] = L_at(Li, chroma_hw)
        if from_full:
            L[i] = Li
    return L_c, predictor.shrink(torch.from_numpy(L if from_full else L_c)[:, None], shape)


def chroma_cpu(ys: list, tags: FrameTags, chroma_hw: tuple[int, int], predictor: ChromaPredictor,
               times: dict | None = None, infer=None) -> ChromaJob:
    """Y' planes (N of (H, W), uint8/uint16) -> a ChromaJob giving Cb/Cr planes (2,ch,cw) per frame
    (OpenCV). times (optional): seconds are added under "network" (the engine) and "chroma" (the
    network's input here; the planes are timed where the ChromaJob makes them). infer: one of the
    engine's lanes (default: engine.infer)."""
    t0 = time.perf_counter()
    L_c, small = network_input(ys, tags.bits, tags.full_range, chroma_hw, predictor)
    t1 = time.perf_counter()
    ab = (infer or predictor.engine.infer)(small).float()
    t2 = time.perf_counter()
    if times is not None:
        times["network"] = times.get("network", 0.0) + t2 - t1
        times["chroma"] = times.get("chroma", 0.0) + t1 - t0
    return ChromaJob(L_c, small, ab, tags)


def chroma_for(frames_y: torch.Tensor, tags: FrameTags, chroma_hw: tuple[int, int],
               predictor: ChromaPredictor, smoother, saturation: float = 1.0, hinter=None,
               pts: list | None = None) -> tuple[torch.Tensor, int]:
    """Y' planes (N,1,H,W) integer -> Cb/Cr planes (N,2,ch,cw) as integer code values (torch, any device)."""
    upload = getattr(predictor.engine, "upload", None)
    y = upload(frames_y) if upload else frames_y.to(predictor.device)
    L = luma_to_L(y, tags.bits, tags.full_range)
    L_small, ab = predictor.predict(L)
    ab, cuts = _smooth(smoother, L_small, ab, saturation, hinter, pts)
    ch, cw = chroma_hw
    L_c = F.adaptive_avg_pool2d(L, (ch, cw)) if (ch, cw) != tuple(L.shape[-2:]) else L
    ab_c = F.interpolate(ab, size=(ch, cw), mode="bilinear", align_corners=False)
    rgb = lab_to_rgb(torch.cat([L_c, ab_c], 1))
    cbcr = rgb_to_cbcr(rgb, tags.matrix, tags.bits, tags.full_range).round()
    s = 1 << (tags.bits - 8)
    lo, hi = (0, (1 << tags.bits) - 1) if tags.full_range else (16 * s, 240 * s)
    return cbcr.clamp(lo, hi), cuts


def _dtype(bits: int):
    return np.uint8 if bits <= 8 else np.uint16


@dataclass
class Pending:
    """A decoded frame on its way to the network (warm-up frames are never written)."""
    frame: av.VideoFrame
    warmup: bool


@dataclass
class Predicted:
    """A batch back from the network: its frames and their Cb/Cr planes (or a ChromaJob that
    makes them in the encode thread)."""
    items: list
    cbcr: object


def colorize_video(source: VideoSource, sink: VideoSink, predictor: ChromaPredictor, smoother=None,
                   batch_size: int = 8, on_frames=None, queue_size: int = 2,
                   saturation: float = 1.0, allow_truncated: bool = False, hinter=None) -> VideoStats:
    """Colorize `source` into `sink`. Raises MediaError; the sink is discarded on any failure.
    hinter: hints by frame pts (pipeline.film_hints.FilmHinter), applied before the smoothing."""
    job = VideoJob(source, sink, predictor, smoother, batch_size, queue_size, saturation)
    job.hinter = hinter
    return job.run(on_frames, allow_truncated)


class VideoJob:
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
        self.planes_maker: ChromaPlanes | None = None   # the encode thread's, with its buffers
        self.planes_s = 0.0    # the encode thread's chroma time, added to the infer thread's at the end
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
        lanes = self.predictor.engine.lanes() if self.predictor.device.type == "cpu" else [None]
        pool = ThreadPoolExecutor(len(lanes), thread_name_prefix="lane") if len(lanes) > 1 else None
        try:
            finished = False
            while not finished:
                batch = []
                while len(batch) < self.batch_size:
                    item = _get(self.frames_q, self.stop)
                    if item is _END:
                        finished = True
                        break
                    batch.append(item)
                if batch:
                    done = pool.submit(self._predict, batch, lanes[0]) if pool else self._predict(batch)
                    _put(self.done_q, done, self.stop)
            _put(self.done_q, _END, self.stop)
        finally:
            if pool is not None:
                pool.shutdown(wait=False, cancel_futures=True)

    def _predict(self, batch: list, infer=None) -> Predicted:
        t = time.perf_counter()
        tags, times = self.tags, {}
        dt = _dtype(tags.bits)
        ys = [plane_view(p.frame.planes[0], dt) for p in batch]     # views: no copy of the planes
        chroma_hw = (batch[0].frame.planes[1].height, batch[0].frame.planes[1].width)
        cuts = 0
        if self.predictor.device.type == "cpu":   # smoothing and the planes follow in the encode thread
            cbcr = chroma_cpu(ys, tags, chroma_hw, self.predictor, times, infer)
        else:
            ys = np.stack(ys)
            ys = torch.from_numpy(ys.astype(np.int32) if dt is np.uint16 else ys)[:, None]
            cbcr, cuts = chroma_for(ys, tags, chroma_hw, self.predictor, self.smoother, self.saturation,
                                    self.hinter, [p.frame.pts for p in batch])
            cbcr = cbcr.to("cpu").numpy().astype(dt, copy=False)
        times["infer"] = time.perf_counter() - t
        with self.stats_lock:    # lanes finish in any order, from their own threads
            self.stats.scene_cuts += cuts
            for key, seconds in times.items():
                self.stats.stage_s[key] += seconds
        return Predicted(batch, cbcr)

    def encode(self, done: Predicted) -> int:
        """Write a predicted batch (warm-up frames skipped); returns the frames written."""
        t = time.perf_counter()
        stats, sink = self.stats, self.sink
        written = 0
        deferred = isinstance(done.cbcr, ChromaJob)
        if deferred:
            ts = time.perf_counter()
            stats.scene_cuts += done.cbcr.smooth(self.smoother, self.saturation, self.hinter,
                                                 [p.frame.pts for p in done.items])
            if self.smoother is not None:
                stats.stage_s["smooth"] += time.perf_counter() - ts
            t = time.perf_counter()
        for i, pending in enumerate(done.items):
            if pending.warmup:
                continue
            if deferred:
                tc = time.perf_counter()
                if self.planes_maker is None:
                    t_ = self.tags
                    self.planes_maker = ChromaPlanes(t_.matrix, t_.bits, t_.full_range)
                planes = done.cbcr.planes(i, self.planes_maker)
                chroma_s = time.perf_counter() - tc
                self.planes_s += chroma_s
                stats.stage_s["encode"] -= chroma_s
            else:
                planes = done.cbcr[i]
            frame = pending.frame
            if sink.container is None:   # the encoder's format and size come from the first frame
                sink.open(self.tags, frame.width, frame.height)
            _drain(self.packets_q, sink)
            sink.write_frame(_recombine(frame, planes, sink.stream.pix_fmt, self.tags))
            stats.frames += 1
            written += 1
        stats.stage_s["encode"] += time.perf_counter() - t
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
            self.stats.stage_s["chroma"] += self.planes_s
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


__all__ = ["colorize_video", "VideoJob", "EncodeSettings", "VideoStats"]
