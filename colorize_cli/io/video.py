"""Video in and out with PyAV, in process: no ffmpeg subprocess, no frames on disk.

VideoSource demuxes once: video packets are decoded to frames, audio and subtitle packets are
handed on untouched. VideoSink re-encodes the video, remuxes the other streams packet for
packet, and writes under a partial name that is renamed only when the file is complete.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from colorize_cli.errors import MediaError
from colorize_cli.files import require_regular
from colorize_cli.formats import CODEC_FOR_EXT, DEFAULT_CODEC, QSCALE_CODECS
from colorize_cli.io.atomic import discard, partial_path, publish
from colorize_cli.options import CRF_RANGE, RunOptions

PASSTHROUGH = ("audio", "subtitle")
# Planar Y'CbCr layouts we edit in place; anything else is converted to the nearest one.
PLANAR = {"yuv420p", "yuvj420p", "yuv422p", "yuvj422p", "yuv444p", "yuvj444p",
          "yuv420p10le", "yuv422p10le", "yuv444p10le", "yuv420p12le", "yuv422p12le", "yuv444p12le"}
# AVColorSpace values -> our matrix names (unspecified: decided by frame height).
MATRIX = {1: "bt709", 5: "bt601", 6: "bt601", 9: "bt2020", 10: "bt2020"}
# Containers that cannot carry B-frames' reordered timestamps: encode without B-frames.
NO_BFRAMES = {".avi", ".flv", ".mpg", ".mpeg", ".vob", ".m2v", ".ts", ".m2ts"}   # TS: B-frames shift every pts
# Containers that index frames by a constant rate: their time base is 1 / frame rate.
RATE_TIMED = {".avi", ".mpg", ".mpeg", ".vob", ".m2v"}


def working_format(name: str, bits: int) -> str:
    """The planar Y'CbCr format a decoded frame is edited in."""
    if name in PLANAR:
        return name
    if name.startswith("gray") or name.startswith("ya"):
        return "yuv420p" if bits <= 8 else "yuv420p10le"
    if name.startswith(("nv12", "nv21")):
        return "yuv420p"
    if name.startswith(("nv16", "yuyv422", "uyvy422")):
        return "yuv422p"
    if name.startswith("p010"):
        return "yuv420p10le"
    return "yuv444p" if bits <= 8 else "yuv444p10le"


def format_bits(fmt: av.VideoFormat) -> int:
    return max(c.bits for c in fmt.components)


def plane_view(plane, dtype) -> np.ndarray:
    """Writable (height, width) numpy view of a frame plane, line padding excluded."""
    item = np.dtype(dtype).itemsize
    arr = np.frombuffer(memoryview(plane), dtype=dtype)
    return arr.reshape(plane.height, plane.line_size // item)[:, : plane.width]


def display_matrix(frame: av.VideoFrame) -> list[int] | None:
    for sd in frame.side_data:
        if sd.type.name == "DISPLAYMATRIX":
            return list(struct.unpack("<9i", bytes(sd)[:36]))
    return None


@dataclass
class FrameTags:
    """Colour description of the source, applied to the output stream."""
    fmt: str
    bits: int
    full_range: bool
    matrix: str
    colorspace: int
    color_range: int
    color_primaries: int
    color_trc: int
    display_matrix: list[int] | None

    @classmethod
    def of(cls, frame: av.VideoFrame) -> "FrameTags":
        bits = format_bits(frame.format)
        fmt = working_format(frame.format.name, bits)
        full = frame.color_range == 2 or fmt.startswith("yuvj")
        matrix = MATRIX.get(frame.colorspace) or ("bt709" if frame.height >= 720 else "bt601")
        return cls(fmt, format_bits(av.VideoFormat(fmt)), full, matrix, frame.colorspace,
                   frame.color_range, frame.color_primaries, frame.color_trc, display_matrix(frame))


@dataclass(frozen=True)
class Decoded:
    """A decoded video frame; `warmup` frames only prime temporal smoothing (never written)."""
    frame: av.VideoFrame
    warmup: bool = False


@dataclass(frozen=True)
class Passthrough:
    """An audio or subtitle packet, copied to the output untouched."""
    packet: av.Packet


class VideoSource:
    """Demux + decode one file. Iterating yields Decoded frames and Passthrough packets."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        if require_regular(self.path).st_size == 0:   # only regular files are opened (a FIFO would block)
            raise MediaError(f"{self.path}: empty file (0 bytes)")
        try:
            self.container = av.open(str(self.path), metadata_errors="ignore")
        except av.FFmpegError as e:
            raise MediaError(f"{self.path}: not a readable media file ({_reason(e)})") from None
        if not self.container.streams.video:
            self.container.close()
            raise MediaError(f"{self.path}: no video stream")
        self.video = self.container.streams.video[0]
        if self.video.codec_context is None:
            self.container.close()
            raise MediaError(f"{self.path}: unsupported video codec")
        self.video.thread_type = "AUTO"
        self.passthrough = [s for s in self.container.streams if s.type in PASSTHROUGH]
        # streams the output will not carry: said in a note, never dropped silently
        self.dropped = [f"stream #{s.index} ({s.type}, {s.codec_context.name if s.codec_context else 'unknown'})"
                        for s in self.container.streams if s is not self.video and s not in self.passthrough]
        self.frames_declared = self.video.frames or None
        self.decoded = 0
        self.last_time: float | None = None
        self.window: tuple[int, int | None, int] | None = None

    def set_window(self, start: int, end: int | None, warm_start: int) -> None:
        """Only frames with start <= pts < end (stream time base); [warm_start, start) as warm-up.

        Used for film segments: no passthrough packets; warm-up frames prime temporal smoothing.
        """
        self.window = (start, end, warm_start)
        self.passthrough = []

    def check_complete(self, allow_truncated: bool = False) -> str | None:
        """Raise if the file ended early (see `missing`); with allow_truncated, return the note."""
        if self.window is not None:
            return None  # a segment: the join checks the whole film
        problem = self.missing(self.decoded, self.last_time)
        if problem and not allow_truncated:
            raise MediaError(f"{self.path}: truncated or damaged: {problem} (--allow-truncated keeps what is there)")
        return f"truncated source, kept as is: {problem}" if problem else None

    def missing(self, frames: int, last_time: float | None) -> str | None:
        """What is missing when `frames` frames were decoded, the last starting at `last_time`:
        fewer frames than the stream declares, or a last frame ending before the declared end by
        more than 2 frame intervals (the stream's own duration) or 0.5 s (only the container's,
        which may include longer audio)."""
        if self.frames_declared and frames < self.frames_declared:
            return f"decoded {frames} of {self.frames_declared} frames"
        v = self.video
        rate = float(v.average_rate or v.guessed_rate or 25)
        if v.duration:
            expected, tol = float(v.duration * v.time_base), 2 / rate
        elif self.container.duration:
            expected, tol = self.container.duration / av.time_base, max(0.5, 2 / rate)
        else:
            return None
        if last_time is None:
            return f"no frames of {expected:.2f}s"
        start = float(v.start_time * v.time_base) if v.start_time else 0.0
        ended = last_time + 1 / rate
        if start + expected - ended > tol:
            return f"video ends at {ended:.2f}s of {start + expected:.2f}s ({frames} frames)"
        return None

    @property
    def estimated_frames(self) -> int | None:
        if self.frames_declared:
            return self.frames_declared
        if self.video.duration and self.video.average_rate:
            return int(self.video.duration * self.video.time_base * self.video.average_rate)
        if self.container.duration and self.video.average_rate:
            return int(self.container.duration / av.time_base * self.video.average_rate)
        return None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        self.container.close()

    def __iter__(self):
        if self.window is not None:
            yield from self._iter_window()
            return
        streams = [self.video, *self.passthrough]
        try:
            for packet in self.container.demux(streams):
                if packet.stream is self.video:
                    for frame in packet.decode():
                        self.decoded += 1
                        if frame.time is not None:
                            self.last_time = float(frame.time)
                        yield Decoded(frame)
                elif packet.dts is not None:
                    yield Passthrough(packet)
        except av.FFmpegError as e:
            raise MediaError(f"{self.path}: decoding failed after {self.decoded} frames ({_reason(e)})") from None


    REORDER_SLACK = 32  # frames decoded past the window's end, for leading B-frames of open GOPs

    def _iter_window(self):
        start, end, warm = self.window
        if warm > (self.video.start_time or 0):
            self.container.seek(warm, stream=self.video, backward=True)
        past_end = 0
        try:
            for packet in self.container.demux(self.video):
                for frame in packet.decode():
                    pts = frame.pts
                    if pts is None or pts < warm:
                        continue
                    if end is not None and pts >= end:
                        past_end += 1
                        if past_end > self.REORDER_SLACK:
                            return
                        continue
                    if pts < start:
                        yield Decoded(frame, warmup=True)
                        continue
                    self.decoded += 1
                    self.last_time = float(frame.time)
                    yield Decoded(frame)
        except av.FFmpegError as e:
            raise MediaError(f"{self.path}: decoding failed after {self.decoded} frames ({_reason(e)})") from None


def encode_frames(container, stream, frames) -> int:
    """Encode `frames` (VideoFrames, in order; pts 0, 1, 2, ...) into `stream` of `container`, then
    flush the encoder. For clips made on the fly (benchmarks, tests, scripts). Returns the count."""
    n = 0
    for n, frame in enumerate(frames, 1):
        frame.pts = n - 1
        for packet in stream.encode(frame):
            container.mux(packet)
    for packet in stream.encode():
        container.mux(packet)
    return n


_CONTAINER_CHECKS: dict = {}


def check_container(output: Path, codec: str | None) -> None:
    """UsageError when a film named `output` cannot be written with `codec` (or the encoder its
    extension takes): the encoder is missing from this PyAV build, or the container cannot hold
    it (`--codec libx264 -o x.webm`, `x.gif`). Probed once per (extension, codec) in a scratch
    folder; nothing is written beside the output."""
    import tempfile

    from colorize_cli.errors import UsageError

    ext = Path(output).suffix.lower()
    codec = codec or CODEC_FOR_EXT.get(ext, DEFAULT_CODEC)
    key = (ext, codec)
    if key not in _CONTAINER_CHECKS:
        problem = None
        if codec not in av.codecs_available:
            problem = f"the encoder {codec} is not available in this PyAV build"
        else:
            with tempfile.TemporaryDirectory(prefix="colorize-probe-") as d:
                try:
                    with av.open(str(Path(d) / f"probe{ext}"), "w") as c:
                        c.add_stream(codec, rate=24)
                except (av.FFmpegError, ValueError, TypeError) as e:
                    problem = f"a {ext or 'file without extension'} film cannot hold {codec} video ({_reason(e)})"
        _CONTAINER_CHECKS[key] = problem
    if _CONTAINER_CHECKS[key]:
        raise UsageError(f"{output}: {_CONTAINER_CHECKS[key]}; choose another --codec or output extension")


X264_LOOKAHEAD = {"veryfast": 10, "faster": 20, "fast": 30, "medium": 40, "slow": 50, "slower": 60,
                  "veryslow": 60, "placebo": 60}      # x264's own rc-lookahead per preset (frames)
LOOKAHEAD_BYTES = 120_000_000     # x264 keeps about 4 bytes per pixel per look-ahead frame


def lookahead(preset: str, pixels: int) -> int | None:
    """x264's rate-control look-ahead, capped so that its frames take at most LOOKAHEAD_BYTES
    (never under 10 frames, never over the preset's own): medium takes 32 at 720p (its own 40 up
    to 1024x576), 14 at 1080p, 10 at 4K. 120 MB rather than 160 since the default renders at 224:
    its network holds about 35 MB more per frame than at 128. None: the preset's own value stands. Measured on a 2 s 1080p film: 40 -> 20 frames took
    the encoder's peak from 481 to 320 MB (scripts/x264_memory.py)."""
    own = X264_LOOKAHEAD.get(preset)
    if own is None or pixels <= 0:
        return None
    cap = max(10, LOOKAHEAD_BYTES // (4 * pixels))
    return cap if cap < own else None


class VideoSink:
    """Encoder + muxer writing `output` atomically. Opened lazily on the first frame."""

    def __init__(self, output: Path, source: VideoSource, options: RunOptions, overwrite: bool,
                 no_bframes: bool = False):
        self.output = Path(output)
        self.tmp = partial_path(self.output)
        self.source = source
        self.options = options   # codec, crf, preset: the run's validated options
        self.no_bframes = no_bframes   # segments: monotonic timestamps across joins
        self.overwrite = overwrite
        self.container = None
        self.stream = None
        self.stream_map = {}
        self.encoded = 0
        self.codec = None
        self.muxed: dict[int, int] = {}   # source stream index -> packets copied
        self.warnings: list[str] = [f"{d} not copied: the output holds the colorized video and the audio "
                                    f"and subtitle streams" for d in source.dropped]

    def open(self, tags: FrameTags, width: int, height: int) -> None:
        self.output.parent.mkdir(parents=True, exist_ok=True)
        src = self.source.video
        self.codec, pix_fmt = self._choose_codec(tags)
        pix_fmt = self._fit_size(pix_fmt, width, height)
        try:
            self.container = av.open(str(self.tmp), "w")
            self.container.metadata.update(self.source.container.metadata)
            rate = src.average_rate or src.guessed_rate or Fraction(25)
            stream = self.container.add_stream(self.codec, rate=rate, options=self._options(width * height))
            stream.width, stream.height, stream.pix_fmt = width, height, pix_fmt
            # MPEG-1/2/4 Part 2 take only a frame-rate time base (a segment part of an .mpg film too)
            timed = self.output.suffix.lower() in RATE_TIMED or self.codec in QSCALE_CODECS
            tb = 1 / Fraction(rate) if timed else src.time_base
            stream.time_base = tb
            stream.codec_context.time_base = tb
            stream.thread_type = "AUTO"
            if src.sample_aspect_ratio:
                stream.codec_context.sample_aspect_ratio = src.sample_aspect_ratio
            cc = stream.codec_context
            cc.color_range = tags.color_range or (2 if tags.full_range else 1)
            cc.colorspace, cc.color_primaries, cc.color_trc = tags.colorspace, tags.color_primaries, tags.color_trc
            if tags.display_matrix:
                stream.set_display_matrix(tags.display_matrix)
            for k, v in src.metadata.items():
                if k.lower() not in ("encoder", "handler_name", "vendor_id", "duration"):
                    stream.metadata[k] = v
            self.stream = stream
            for s in self.source.passthrough:
                self.stream_map[s.index] = self.container.add_stream_from_template(s)
            self.container.start_encoding()
        except (av.FFmpegError, ValueError, TypeError) as e:
            self.fail()
            raise MediaError(f"{self.source.path}: cannot write {self.output.suffix} with {self.codec} "
                             f"and the source's streams ({_reason(e)})") from None

    def _choose_codec(self, tags: FrameTags) -> tuple[str, str]:
        ext = self.output.suffix.lower()
        codec = self.options.codec or CODEC_FOR_EXT.get(ext, DEFAULT_CODEC)
        if not self.options.codec and self.options.crf == 0 and codec in QSCALE_CODECS:
            if ext == ".avi":
                codec = "ffv1"          # --crf 0 promises exact luma: AVI holds the lossless FFV1
            else:
                self.warnings.append(f"--crf 0: {codec} has no lossless mode; written at its finest "
                                     f"quantiser (use .mkv for an exact copy of the luma)")
        if codec not in av.codecs_available:
            raise MediaError(f"{self.output}: encoder {codec!r} is not available in this PyAV build")
        formats = [f.name for f in (av.Codec(codec, "w").video_formats or [])]
        if tags.fmt in formats or not formats:
            return codec, tags.fmt
        if tags.bits > 8 and not self.options.codec:
            for alt in ("libx265", "ffv1"):
                if alt in av.codecs_available and tags.fmt in [f.name for f in av.Codec(alt, "w").video_formats]:
                    self.warnings.append(f"{tags.bits}-bit source: encoding with {alt} to keep the bit depth")
                    return alt, tags.fmt
        fallback = tags.fmt.replace("yuvj", "yuv").split("p1")[0].rstrip("p") + "p"
        fallback = fallback if fallback in formats else formats[0]
        self.warnings.append(f"{codec} cannot write {tags.fmt}; writing {fallback}")
        return codec, fallback

    def _fit_size(self, pix_fmt: str, width: int, height: int) -> str:
        """4:2:0 needs even sizes and 4:2:2 an even width: an odd-sized film is written 4:4:4
        (same pixels, nothing cropped or padded), and a note says so."""
        fmt = av.VideoFormat(pix_fmt, width, height)
        sub_w = len(fmt.components) > 2 and fmt.components[1].width < fmt.components[0].width
        sub_h = len(fmt.components) > 2 and fmt.components[1].height < fmt.components[0].height
        if not ((sub_w and width % 2) or (sub_h and height % 2)):
            return pix_fmt
        full = pix_fmt.replace("420", "444").replace("422", "444")
        formats = [f.name for f in (av.Codec(self.codec, "w").video_formats or [])]
        if full in formats:
            self.warnings.append(f"odd frame size {width}x{height}: written as {full} ({pix_fmt} needs even "
                                 f"sizes); every pixel kept")
            return full
        raise MediaError(f"{self.source.path}: {self.codec} cannot write an odd frame size {width}x{height} "
                         f"in {pix_fmt}; use --codec ffv1 or libx265")

    def _options(self, pixels: int = 0) -> dict:
        opts = {}
        if self.codec in CRF_RANGE and self.options.crf is not None:
            opts["crf"] = str(self.options.crf)
            if self.codec.startswith("libvpx"):
                opts["b"] = "0"
            if self.options.crf == 0 and self.codec == "libx264":
                del opts["crf"]         # CRF 0 is lossless only at 8 bits (x264's QP goes below 0 at 10)
                opts["qp"] = "0"
        if self.codec in QSCALE_CODECS and self.options.crf is not None:
            q = max(1, min(31, round(self.options.crf / 8)))      # CRF 18 -> 2 (near transparent)
            opts.update(flags="+qscale", global_quality=str(q * 118), qmin="1")   # 118 = FF_QP2LAMBDA
        if self.codec in ("libx264", "libx265") and self.options.preset:
            opts["preset"] = self.options.preset
        if self.codec == "libx264":
            look = lookahead(self.options.preset or "medium", pixels)
            if look is not None:
                opts["rc-lookahead"] = str(look)
        no_b = self.no_bframes or self.output.suffix.lower() in NO_BFRAMES
        if self.codec == "libx265":
            opts["x265-params"] = "log-level=error" + (":bframes=0" if no_b else "") \
                + (":lossless=1" if self.options.crf == 0 else "")
        elif no_b:
            opts["bf"] = "0"
        return opts

    def write_frame(self, frame: av.VideoFrame) -> None:
        try:
            for packet in self.stream.encode(frame):
                self.container.mux(packet)
        except av.FFmpegError as e:
            raise MediaError(f"{self.output}: encoding failed at frame {self.encoded} ({_reason(e)})") from None
        self.encoded += 1

    def mux_packet(self, packet) -> None:
        out = self.stream_map.get(packet.stream.index)
        if out is None:
            return
        index = packet.stream.index
        packet.stream = out
        self.muxed[index] = self.muxed.get(index, 0) + 1
        try:
            self.container.mux(packet)
        except av.FFmpegError as e:
            raise MediaError(f"{self.source.path}: cannot copy a {out.type} packet ({_reason(e)})") from None

    def missing_streams(self) -> list[str]:
        """Copied streams that lost packets: none at all, or (audio) fewer than the stream declares.
        Subtitle tracks may declare an empty closing sample that is never a packet: not counted."""
        lost = []
        for s in self.source.passthrough:
            n = self.muxed.get(s.index, 0)
            if not n:
                lost.append(f"{s.type} stream #{s.index} (no packets)")
            elif s.type == "audio" and s.frames and n < s.frames:
                lost.append(f"{s.type} stream #{s.index} ({n} of {s.frames} packets)")
        return lost

    def finish(self) -> None:
        """Flush, close and publish under the final name."""
        try:
            for packet in self.stream.encode(None):
                self.container.mux(packet)
            self.container.close()
        except av.FFmpegError as e:
            self.fail()
            copied = sorted({s.codec_context.name for s in self.source.passthrough if s.codec_context})
            hint = (f"; a {self.output.suffix} file may not hold the copied {', '.join(copied)} stream(s): "
                    f"write .mkv (or .mov) instead") if copied else ""
            raise MediaError(f"{self.output}: finishing the file failed ({_reason(e)}){hint}") from None
        self.container = None
        publish(self.tmp, self.output, self.overwrite)

    def fail(self) -> None:
        if self.container is not None:
            try:
                self.container.close()
            except Exception:  # closing a broken muxer may raise; the file is discarded anyway
                pass
            self.container = None
        discard(self.tmp)


def _reason(err: Exception) -> str:
    msg = getattr(err, "strerror", None) or str(err)
    return msg.split(":")[-1].strip() if isinstance(msg, str) else str(err)
