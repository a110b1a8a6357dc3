"""Small real media made with PyAV for the tests."""
from __future__ import annotations

import struct
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from colorize_cli.io.video import encode_frames


def colourful_frame(i: int, w: int, h: int) -> np.ndarray:
    """Moving colour bars and a gradient: real chroma and motion."""
    x = np.arange(w)[None, :, None]
    y = np.arange(h)[:, None, None]
    hue = ((x + 3 * i) * 6 // max(w, 1)) % 6
    palette = np.array([[220, 40, 40], [40, 200, 60], [40, 60, 220], [230, 210, 40], [200, 40, 200], [40, 200, 210]])
    img = palette[hue[..., 0]] * (0.4 + 0.6 * y / h)
    return np.broadcast_to(img, (h, w, 3)).astype(np.uint8)


def make_clip(path: Path, frames: int = 24, size=(160, 120), rate: int = 24, audio: bool = True,
              subtitle: bool = False, rotation: int | None = None, pts: list[int] | None = None,
              time_base: Fraction | None = None, gray: bool = False, codec: str = "libx264",
              pix_fmt: str = "yuv420p") -> Path:
    w, h = size
    with av.open(str(path), "w") as out:
        v = out.add_stream(codec, rate=rate)
        v.width, v.height, v.pix_fmt = w, h, pix_fmt
        if codec == "libx264":
            v.options = {"preset": "ultrafast", "crf": "20"}
        if time_base:
            v.codec_context.time_base = time_base
            v.time_base = time_base
        if rotation is not None:
            v.set_display_rotation(rotation)
        a = s = None
        if audio:
            a = out.add_stream("aac", rate=48000)
            a.layout = "stereo"
        if subtitle:
            s = out.add_mux_stream("mov_text" if path.suffix in (".mp4", ".mov") else "subrip")
            s.time_base = Fraction(1, 1000)
        for i in range(frames):
            img = colourful_frame(i, w, h)
            if gray:
                img = np.repeat(img.mean(-1, keepdims=True).astype(np.uint8), 3, -1)
            f = av.VideoFrame.from_ndarray(img, format="rgb24")
            f.pts = pts[i] if pts else i
            if time_base:
                f.time_base = time_base
            for p in v.encode(f):
                out.mux(p)
        for p in v.encode():
            out.mux(p)
        if a is not None:
            n = int(48000 * frames / rate)
            t = 0
            while t < n:
                samples = (0.2 * np.sin(np.arange(t, t + 1024) * 0.03)).astype(np.float32)
                af = av.AudioFrame.from_ndarray(np.stack([samples, samples]), format="fltp", layout="stereo")
                af.sample_rate, af.pts = 48000, t
                t += 1024
                for p in a.encode(af):
                    out.mux(p)
            for p in a.encode():
                out.mux(p)
        if s is not None:
            for k, text in enumerate([b"first line", b"second line"]):
                payload = struct.pack(">H", len(text)) + text if s.codec_context is None or \
                    path.suffix in (".mp4", ".mov") else text
                pk = av.Packet(payload)
                pk.stream, pk.pts, pk.dts, pk.duration = s, k * 400, k * 400, 300
                pk.time_base = s.time_base
                out.mux(pk)
    return path


def grayscale_copy(src: Path, dst: Path, max_frames: int = 30, width: int | None = None) -> Path:
    """A gray H.264 copy (Cb = Cr = 128) of a real clip's first frames."""
    with av.open(str(src)) as inp, av.open(str(dst), "w") as out:
        vin = inp.streams.video[0]
        v = out.add_stream("libx264", rate=vin.average_rate)
        w, h = vin.width, vin.height
        if width:
            w, h = width, round(vin.height * width / vin.width / 2) * 2
        v.width, v.height, v.pix_fmt = w, h, "yuv420p"
        v.options = {"preset": "ultrafast", "crf": "18"}
        def gray(frame):
            a = frame.reformat(width=w, height=h, format="yuv420p").to_ndarray()
            a[h:] = 128
            return av.VideoFrame.from_ndarray(a, format="yuv420p")
        encode_frames(out, v, (gray(f) for f, _ in zip(inp.decode(vin), range(max_frames))))
    return dst


def video_frames(path: Path) -> list[av.VideoFrame]:
    with av.open(str(path)) as c:
        return list(c.decode(video=0))


def frame_times(path: Path) -> list[float]:
    return [float(f.time) for f in video_frames(path)]


def packets_bytes(path: Path, kind: str) -> list[bytes]:
    with av.open(str(path)) as c:
        streams = [s for s in c.streams if s.type == kind]
        return [bytes(p) for p in c.demux(streams) if p.size]


def y_plane(frame: av.VideoFrame) -> np.ndarray:
    return frame.to_ndarray(format="gray") if frame.format.name.startswith("gray") else \
        np.asarray(frame.planes[0]).reshape(frame.planes[0].height, -1)[:, :frame.width]


def chroma_planes(frame: av.VideoFrame) -> np.ndarray:
    p1, p2 = frame.planes[1], frame.planes[2]
    u = np.frombuffer(memoryview(p1), np.uint8).reshape(p1.height, -1)[:, :p1.width]
    v = np.frombuffer(memoryview(p2), np.uint8).reshape(p2.height, -1)[:, :p2.width]
    return np.stack([u, v]).astype(int)


def png16(path: Path, rgb: np.ndarray, alpha: np.ndarray | None = None, dpi: int | None = None,
          icc: bytes | None = None, exif: bytes | None = None) -> Path:
    """A 16-bit RGB(A) PNG written chunk by chunk (Pillow cannot write one), with optional
    pHYs (dpi), iCCP and eXIf chunks."""
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    h, w, _ = rgb.shape
    px = rgb.astype(">u2") if alpha is None else np.dstack([rgb, alpha]).astype(">u2")
    raw = b"".join(b"\0" + px[y].tobytes() for y in range(h))
    out = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 16, 2 if alpha is None else 6, 0, 0, 0))
    if icc:
        out += chunk(b"iCCP", b"icc\0\0" + zlib.compress(icc))
    if dpi:
        ppm = round(dpi / 0.0254)
        out += chunk(b"pHYs", struct.pack(">IIB", ppm, ppm, 1))
    if exif:
        out += chunk(b"eXIf", exif)
    out += chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
    path.write_bytes(out)
    return path


def scene_film(path, n=40, cut=30, w=192, h=128, gop=48):
    """A textured square moving right 2 px a frame over a dark background; a cut at `cut` to a
    bright scene with the square elsewhere."""
    yy, xx = np.mgrid[0:40, 0:40]
    tex = (150 + 30 * np.sin(xx / 3.0) * np.sin(yy / 3.0)).astype(np.uint8)
    with av.open(str(path), "w") as out:
        v = out.add_stream("libx264", rate=24, options={"crf": "10", "preset": "ultrafast", "g": str(gop)})
        v.width, v.height, v.pix_fmt = w, h, "yuv420p"
        def frame(i):
            if i < cut:
                img = np.full((h, w), 25, np.uint8)
                img[44:84, 20 + 2 * i:60 + 2 * i] = tex
            else:
                img = np.full((h, w), 215, np.uint8)
                img[10:50, 120:160] = tex
            return av.VideoFrame.from_ndarray(np.repeat(img[..., None], 3, -1), format="rgb24")
        encode_frames(out, v, (frame(i) for i in range(n)))
    return path
