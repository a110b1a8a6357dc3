"""The editor's pictures: each photo and each film frame at a preview size, colorized by the
engine with the hints of the moment, and the colours it suggests for a new point.

A preview runs the photo path (pipeline.image) on the preview-size luma, with the hints scaled to
it: hints are applied at the same working size (HINT_SIZE) as in a full run, so what the page
shows is what the run makes, smaller. Film hints are tracked with the run's own code
(pipeline.film_hints), on the same tracking-size frames, so they follow the motion as the run will.
"""
from __future__ import annotations

import threading
from pathlib import Path

import av
import numpy as np

from colorize_cli.errors import MediaError
from colorize_cli.hints import Hints, Point

PREVIEW_SIDE = 1024      # long side of a photo preview
FILM_SIDE = 480          # short side of a film frame's preview


def jpeg(img: np.ndarray, quality: int = 90) -> bytes:
    import cv2

    if img.ndim == 3:
        img = img[..., ::-1]
    ok, buf = cv2.imencode(".jpg", np.ascontiguousarray(img), [cv2.IMWRITE_JPEG_QUALITY, quality])
    return buf.tobytes()


def unjpeg(data: bytes, flags: int | None = None) -> np.ndarray:
    import cv2

    return cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_GRAYSCALE if flags is None else flags)


def shrink(gray: np.ndarray, scale: float) -> np.ndarray:
    import cv2

    if scale >= 1.0:
        return gray
    H, W = gray.shape
    return cv2.resize(gray, (max(1, round(W * scale)), max(1, round(H * scale))), interpolation=cv2.INTER_AREA)


def scaled(points: list[Point], s: float) -> Hints:
    """Points in a picture's full-size pixels -> the same points on a copy scaled by s."""
    return Hints("editor", points=[Point((p.x + 0.5) * s - 0.5, (p.y + 0.5) * s - 0.5, p.rgb, p.radius * s)
                                   for p in points])


class PhotoView:
    """One photo as the editor shows it: its luma at the preview size and its full size."""

    def __init__(self, path: Path):
        from colorize_cli.io.image import read_photo

        px = read_photo(Path(path)).pixels
        if px.ndim == 3:
            import cv2

            px = cv2.cvtColor(px, cv2.COLOR_RGB2GRAY)
        if px.dtype == np.uint16:
            px = (px >> 8).astype(np.uint8)
        self.height, self.width = px.shape
        self.scale = min(1.0, PREVIEW_SIDE / max(self.width, self.height))
        self.gray = shrink(px, self.scale)


class FilmView:
    """A film decoded once: per frame its pts, time, shot, a preview (JPEG) and the tracking-size
    frame (PNG, lossless: the tracker sees what the run's tracker sees)."""

    def __init__(self, path: Path):
        import cv2

        from colorize_cli.pipeline.film_hints import is_cut, tracking_frame

        self.path = Path(path)
        self.pts, self.times, self.views, self.tracks, self.cuts = [], [], [], [], []
        self.shot_of: list[int] = []
        prev = None
        try:
            with av.open(str(self.path)) as c:
                s = c.streams.video[0]
                s.thread_type = "AUTO"
                self.rate = float(s.average_rate or 0) or None
                for f in c.decode(s):
                    g = f.to_ndarray(format="gray")
                    self.height, self.width = g.shape
                    small = tracking_frame(g)
                    if is_cut(prev, small) and self.pts:
                        self.cuts.append(len(self.pts))
                    prev = small
                    self.scale = min(1.0, FILM_SIDE / min(self.width, self.height))
                    self.pts.append(f.pts)
                    self.times.append(float(f.time) if f.time is not None else None)
                    self.shot_of.append(len(self.cuts))
                    self.views.append(jpeg(shrink(g, self.scale), 92))
                    self.tracks.append(cv2.imencode(".png", small)[1].tobytes())
        except (av.FFmpegError, OSError) as e:
            raise MediaError(f"{self.path}: cannot read the film ({e})") from None
        if not self.pts:
            raise MediaError(f"{self.path}: the film has no frames")
        self._tracked: dict = {}

    def gray(self, frame: int) -> np.ndarray:
        return unjpeg(self.views[frame])

    def shots(self) -> list[list]:
        """The film's shots as pipeline.film_hints.follow_hints takes them: (pts, time, None)."""
        out: list[list] = []
        for i, (p, t) in enumerate(zip(self.pts, self.times)):
            if i == 0 or i in self.cuts:
                out.append([])
            out[-1].append((p, t, None))
        return out

    def tracked(self, hints: Hints) -> dict[int, list[Point]]:
        """pts -> the points that reach that frame (the run's tracker); cached per hint set."""
        from colorize_cli.pipeline.film_hints import follow_hints

        if hints.digest not in self._tracked:
            shots = self.shots()

            def keep(order, needed):
                for n, (si, fi) in enumerate(order):
                    if si in needed:
                        shots[si][fi] = (*shots[si][fi][:2], unjpeg(self.tracks[n]))
            if len(self._tracked) >= 8:
                self._tracked.pop(next(iter(self._tracked)))
            self._tracked[hints.digest] = follow_hints(shots, (self.width, self.height), hints, keep) \
                if hints.frames else {}
        return self._tracked[hints.digest]


class Views:
    """The pictures of every item, made on first use and kept (a few photos, every opened film),
    and the engine that colours them (one call at a time)."""

    def __init__(self, colorizer, paths: list[Path], kinds: list[str], keep_photos: int = 8):
        self.cz, self.paths, self.kinds = colorizer, paths, kinds
        self.lock = threading.Lock()
        self._photos: dict[int, PhotoView] = {}
        self._films: dict[int, FilmView] = {}
        self._auto: dict[tuple, np.ndarray] = {}     # (item, frame) -> the automatic preview, for suggest
        self.keep_photos = keep_photos

    def photo(self, index: int) -> PhotoView:
        with self.lock:
            if index not in self._photos:
                if len(self._photos) >= self.keep_photos:
                    self._photos.pop(next(iter(self._photos)))
                self._photos[index] = PhotoView(self.paths[index])
            return self._photos[index]

    def film(self, index: int) -> FilmView:
        with self.lock:
            if index not in self._films:
                self._films[index] = FilmView(self.paths[index])
            return self._films[index]

    def close(self) -> None:
        """Free the engine once the call in progress (if any) is done."""
        with self.lock:
            self.cz.close()
            self.cz = None

    def colour(self, gray: np.ndarray, hints: Hints | None) -> np.ndarray:
        with self.lock:
            if self.cz is None:
                raise MediaError("the editor is stopping")
            return self.cz.colorize_array(gray, hints=hints if hints is not None and hints.count else None)

    def render_photo(self, index: int, hints: Hints) -> bytes:
        v = self.photo(index)
        return jpeg(self.colour(v.gray, scaled(hints.points, v.scale)))

    def render_frame(self, index: int, frame: int, hints: Hints) -> tuple[bytes, list[Point]]:
        """A film frame coloured with the hints that reach it, and those points (full size)."""
        f = self.film(index)
        with self.lock:
            points = f.tracked(hints).get(f.pts[frame], [])
        return jpeg(self.colour(f.gray(frame), scaled(points, f.scale))), points

    def suggest(self, index: int, x: float, y: float, frame: int | None = None) -> list[str]:
        """Colours for a new point at (x, y) (full-size pixels): the model's own colour there
        first, then it more saturated, then a palette of common colours at the point's lightness."""
        from colorize_cli.editor.palette import suggestions

        if frame is None:
            v = self.photo(index)
            gray, s = v.gray, v.scale
        else:
            f = self.film(index)
            gray, s = f.gray(frame), f.scale
        h, w = gray.shape
        px, py = min(w - 1, max(0, round((x + 0.5) * s - 0.5))), min(h - 1, max(0, round((y + 0.5) * s - 0.5)))
        key = (index, frame)
        if key not in self._auto:          # every click asks: the automatic colours are made once
            if len(self._auto) >= 16:
                self._auto.pop(next(iter(self._auto)))
            self._auto[key] = self.colour(gray, None)
        auto = self._auto[key]
        y0, y1, x0, x1 = max(0, py - 1), py + 2, max(0, px - 1), px + 2
        return suggestions(auto[y0:y1, x0:x1].reshape(-1, 3).mean(0), float(gray[py, px]))
