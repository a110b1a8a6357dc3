"""Long films in segments: cut at keyframes, colorize each segment on its own (a crash costs at
most one), join by stream copy with the source's audio and subtitles.

Each segment decodes from a little before its start so that temporal smoothing is warmed up
across the boundary (no visible seam). Segments are encoded without B-frames so that the joined
timestamps stay monotonic; every frame keeps its original pts.
"""
from __future__ import annotations

import hashlib
import heapq
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av

from colorize_cli.errors import MediaError
from colorize_cli.io.atomic import discard, partial_path, publish

WORK = ".colorize-work"


@dataclass(frozen=True)
class Segment:
    index: int
    start: int            # pts, stream time base (a keyframe)
    end: int | None       # next segment's start, None for the last
    warm_start: int


def keyframe_times(path: Path) -> tuple[list[int], Fraction]:
    """pts of every video keyframe, by demuxing only (no decoding)."""
    try:
        with av.open(str(path)) as c:
            v = c.streams.video[0]
            keys = sorted(p.pts for p in c.demux(v) if p.is_keyframe and p.pts is not None)
            return keys, v.time_base
    except (av.FFmpegError, IndexError) as e:
        raise MediaError(f"{path}: cannot read keyframes ({e})") from None


def frame_rate(path: Path) -> float:
    try:
        with av.open(str(path)) as c:
            v = c.streams.video[0]
            rate = v.average_rate or v.guessed_rate or v.base_rate
            return float(rate) if rate else 30.0
    except (av.FFmpegError, IndexError) as e:
        raise MediaError(f"{path}: cannot read the frame rate ({e})") from None


def segment_warmup(path: Path, options) -> float:
    """Seconds of warm-up the chosen smoother needs before a segment (its own memory length)."""
    from colorize_cli.pipeline.temporal import warmup_seconds

    return warmup_seconds(options.temporal, options.temporal_strength, frame_rate(path))


def plan_segments(path: Path, seconds: float, warmup: float = 0.0) -> list[Segment]:
    """Segments of about `seconds`, each decoding from `warmup` seconds before its start."""
    keys, tb = keyframe_times(path)
    if not keys:
        raise MediaError(f"{path}: no keyframes found")
    step = int(seconds / tb)
    starts = [keys[0]]
    for k in keys[1:]:
        if k - starts[-1] >= step:
            starts.append(k)
    warm = int(warmup / tb)
    return [Segment(i, s, starts[i + 1] if i + 1 < len(starts) else None, max(keys[0], s - warm))
            for i, s in enumerate(starts)]


def work_dir(root: Path, source: Path, fingerprint: str) -> Path:
    tag = hashlib.sha1(f"{source.resolve()}|{fingerprint}".encode()).hexdigest()[:12]
    return root / WORK / f"{source.stem}-{tag}"


def segment_path(folder: Path, seg: Segment, output: Path | None = None) -> Path:
    """NUT keeps any time base (MKV rounds to 1 ms); a WebM film's VP9 parts go in Matroska,
    which the WebM output rounds to 1 ms anyway (PyAV's NUT muxer cannot finish VP9)."""
    ext = ".mkv" if output is not None and output.suffix.lower() == ".webm" else ".nut"
    return folder / f"seg-{seg.index:05d}{ext}"


def join_segments(source: Path, parts: list[Path], output: Path, overwrite: bool,
                  check=None) -> tuple[int, float | None]:
    """Stream-copy the segments' video and the source's audio/subtitles into `output`.

    Returns (frames, start time of the last frame). `check(frames, last_time)` runs before the
    file is published under its final name (it may raise: then nothing is published)."""
    tmp = partial_path(output)
    out = None
    output.parent.mkdir(parents=True, exist_ok=True)
    try:
        with av.open(str(source)) as src:
            out = av.open(str(tmp), "w")
            vout, others, mapping = _joined_streams(source, src, parts[0], out)
            frames, last = _mux_merged(src, parts, out, vout, others, mapping)
            out.close()
            out = None
        written = _video_packets(tmp)
        if written != frames:    # a muxer that drops or merges packets: never published as done
            raise MediaError(f"{source}: the joined film holds {written} frames of the {frames} colorized")
        if check is not None:
            check(frames, last)
        publish(tmp, output, overwrite)
    except av.FFmpegError as e:
        raise MediaError(f"{source}: joining segments failed ({e})") from None
    finally:
        if out is not None:
            try:
                out.close()
            except Exception:  # the partial file is discarded below anyway
                pass
        discard(tmp)
    return frames, last


def _joined_streams(source: Path, src, first_part: Path, out):
    """The joined film's streams: the parts' video (the source's time base, frame rate and
    rotation), the source's audio and subtitles. Returns (video stream, others, index mapping)."""
    out.metadata.update(src.metadata)
    sv = src.streams.video[0]
    with av.open(str(first_part)) as first:
        vout = out.add_stream_from_template(first.streams.video[0])
    vout.time_base = sv.time_base   # the source's, so no timestamp moves
    rate = sv.average_rate or sv.guessed_rate
    if rate:            # NUT parts carry no frame rate: MKV would declare its 1 kHz clock
        vout.codec_context.framerate = rate
        try:
            vout.average_rate = rate
        except (AttributeError, TypeError):
            pass
    matrix = source_display_matrix(source)
    if matrix:          # a part's container (NUT) holds no rotation: the source's is applied
        vout.set_display_matrix(matrix)
    others = [s for s in src.streams if s.type in ("audio", "subtitle")]
    mapping = {s.index: out.add_stream_from_template(s) for s in others}
    out.start_encoding()
    return vout, others, mapping


def _mux_merged(src, parts: list[Path], out, vout, others: list, mapping: dict) -> tuple[int, float | None]:
    """The parts' video packets and the source's others, merged by decode time; (frames, last pts time)."""
    def video_packets():
        for part in parts:
            with av.open(str(part)) as c:
                for p in c.demux(c.streams.video[0]):
                    if p.dts is not None:
                        yield float(p.dts * p.time_base), 0, p

    def other_packets():
        for p in (src.demux(others) if others else ()):
            if p.dts is not None:
                yield float(p.dts * p.time_base), 1, p

    frames, last = 0, None
    for _, kind, p in heapq.merge(video_packets(), other_packets(), key=lambda x: (x[0], x[1])):
        if kind == 0:
            p.stream = vout
            frames += 1
            if p.pts is not None:
                t = float(p.pts * p.time_base)
                last = t if last is None else max(last, t)
        else:
            p.stream = mapping[p.stream.index]
        out.mux(p)
    return frames, last


def source_display_matrix(path: Path) -> list[int] | None:
    """The display matrix (rotation) of a film's first video frame (its own open of the file: the
    join's demuxer must not be moved)."""
    from colorize_cli.io.video import display_matrix

    try:
        with av.open(str(path)) as c:
            for frame in c.decode(c.streams.video[0]):
                return display_matrix(frame)
    except (av.FFmpegError, IndexError):
        return None
    return None


def _video_packets(path: Path) -> int:
    with av.open(str(path)) as c:
        return sum(1 for p in c.demux(c.streams.video[0]) if p.size)


def declared_frames(path: Path) -> int:
    """The film's frame count as its container declares it (0 when it does not say)."""
    with av.open(str(path)) as c:
        return c.streams.video[0].frames or 0


def finish_film(source: Path, parts: list[Path], output: Path, folder: Path, overwrite: bool,
                allow_truncated: bool = False, warnings: list | None = None) -> int:
    """Join the segments, check the whole film is there (the rule of VideoSource.missing, on the
    joined frames), remove the work folder; returns frames."""
    import shutil

    from colorize_cli.io.video import VideoSource

    def check(frames, last):
        declared = declared_frames(source)
        if declared and frames > declared:
            raise MediaError(f"{source}: joined {frames} frames, the film has {declared}")
        with VideoSource(source) as src:
            problem = src.missing(frames, last)
        if problem and not allow_truncated:
            raise MediaError(f"{source}: truncated or damaged: {problem} (--allow-truncated keeps what is there)")
        if problem and warnings is not None:
            warnings.append(f"truncated source, kept as is: {problem}")

    frames, _ = join_segments(source, parts, output, overwrite, check)
    shutil.rmtree(folder, ignore_errors=True)
    try:
        folder.parent.rmdir()      # the job's .colorize-work, once no other film's parts are in it
    except OSError:
        pass
    return frames
