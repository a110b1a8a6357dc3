"""Colour hints: the two file forms, their checks, and hint colours drawn at a working size.

- JSON points: {"points": [[x, y, "#rrggbb"], [x, y, "#rrggbb", radius], ...]}: x, y in the
  input's pixels after EXIF orientation, origin top-left; radius in pixels (default 3).
- A hint image (PNG, WebP or TIFF with alpha) of the photo's aspect, any size (scaled to the
  photo): every pixel with alpha >= 128 is a hint of its colour (strokes painted on a layer).
- Films: {"frames": {"FRAME": [[x, y, "#rrggbb"], ...], "t=SECONDS": [...]}}, FRAME a 0-based
  index in presentation order.

Only a hint's a, b are used: L stays the photo's. Every problem is a UsageError naming the file.
"""
from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from colorize_cli.errors import UsageError

DEFAULT_RADIUS = 3.0
HINT_IMAGE_EXTS = (".png", ".webp", ".tif", ".tiff")
HINT_EXTS = (".json", *HINT_IMAGE_EXTS)
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    rgb: tuple[int, int, int]
    radius: float = DEFAULT_RADIUS


@dataclass
class Hints:
    """The hints of one input: points (photos), a painted image, or points per frame (films)."""
    source: str                                   # the file they came from ("" from the API)
    points: list[Point] = field(default_factory=list)
    image: np.ndarray | None = None               # (h, w, 4) uint8 RGBA
    frames: dict = field(default_factory=dict)    # frame index or "t=SECONDS" -> [Point]
    digest: str = ""                              # sha256 of the file: part of the item's configuration

    @property
    def count(self) -> int:
        if self.image is not None:
            return int((self.image[..., 3] >= 128).sum())
        return len(self.points) + sum(len(v) for v in self.frames.values())

    def describe(self) -> str:
        if self.image is not None:
            return f"hint image ({self.count} hint pixels)"
        n = self.count
        shots = f" on {len(self.frames)} frames" if self.frames else ""
        return f"{n} hint{'s' if n != 1 else ''}{shots}"

    def check_size(self, width: int, height: int) -> None:
        """Points inside the image; a hint image of the image's aspect (within 1 %)."""
        for p in self.points + [q for v in self.frames.values() for q in v]:
            if not (0 <= p.x < width and 0 <= p.y < height):
                raise UsageError(f"{self.source}: point ({p.x:g}, {p.y:g}) is outside the "
                                 f"{width}x{height} image")
        if self.image is not None:
            h, w = self.image.shape[:2]
            if abs(w / h - width / height) > 0.01 * (width / height):
                raise UsageError(f"{self.source}: hint image is {w}x{h}, not of the input's aspect "
                                 f"({width}x{height})")

    def check_frames(self, frames: int, duration: float | None) -> None:
        for k in self.frames:
            if isinstance(k, int) and frames and k >= frames:
                raise UsageError(f"{self.source}: frame {k} is beyond the film's {frames} frames")
            if isinstance(k, float) and duration and k > duration:
                raise UsageError(f"{self.source}: t={k:g} s is beyond the film's {duration:.2f} s")


def _point(raw, where: str) -> Point:
    if not isinstance(raw, (list, tuple)) or len(raw) not in (3, 4):
        raise UsageError(f"{where}: each point is [x, y, \"#rrggbb\"] or [x, y, \"#rrggbb\", radius], "
                         f"not {json.dumps(raw)[:60]}")
    x, y, colour = raw[:3]
    radius = raw[3] if len(raw) == 4 else DEFAULT_RADIUS
    for name, v in (("x", x), ("y", y), ("radius", radius)):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise UsageError(f"{where}: {name} must be a number, not {json.dumps(v)}")
    if radius <= 0 or radius > 10_000:
        raise UsageError(f"{where}: radius must be above 0 (pixels), not {radius:g}")
    if not isinstance(colour, str) or not _COLOUR.match(colour):
        raise UsageError(f"{where}: colour must be \"#rrggbb\", not {json.dumps(colour)}")
    rgb = tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return Point(float(x), float(y), rgb, float(radius))


def _frame_key(k: str, where: str):
    if k.startswith("t="):
        try:
            t = float(k[2:])
        except ValueError:
            t = float("nan")
        if not math.isfinite(t) or t < 0:
            raise UsageError(f"{where}: frame key {k!r} must be \"t=SECONDS\" with SECONDS >= 0")
        return t
    if not k.isdigit():
        raise UsageError(f"{where}: frame key {k!r} must be a 0-based frame index or \"t=SECONDS\"")
    return int(k)


def parse_json(data: bytes, where: str) -> Hints:
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise UsageError(f"{where}: not a JSON hint file ({e.__class__.__name__}: {e})") from None
    if not isinstance(doc, dict) or not ({"points", "frames"} & set(doc)) or set(doc) - {"points", "frames"}:
        raise UsageError(f"{where}: a hint file holds {{\"points\": [...]}} (photos) or "
                         f"{{\"frames\": {{...}}}} (films)")
    h = Hints(where, digest=hashlib.sha256(data).hexdigest())
    points = doc.get("points", [])
    if not isinstance(points, list):
        raise UsageError(f"{where}: \"points\" must be a list")
    h.points = [_point(p, where) for p in points]
    frames = doc.get("frames", {})
    if not isinstance(frames, dict):
        raise UsageError(f"{where}: \"frames\" must be an object of frame -> points")
    for k, pts in frames.items():
        if not isinstance(pts, list):
            raise UsageError(f"{where}: frame {k!r} must hold a list of points")
        h.frames[_frame_key(k, where)] = [_point(p, where) for p in pts]
    return h


def parse_image(path: Path, data: bytes) -> Hints:
    import io

    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as img:
            if "A" not in img.getbands() and not (img.mode == "P" and "transparency" in img.info):
                raise UsageError(f"{path}: a hint image needs an alpha channel (paint the hints on a "
                                 f"transparent layer)")
            rgba = np.asarray(img.convert("RGBA"))
    except UsageError:
        raise
    except (OSError, ValueError, SyntaxError) as e:
        raise UsageError(f"{path}: not a readable hint image ({e})") from None
    return Hints(str(path), image=rgba, digest=hashlib.sha256(data).hexdigest())


def load_hints(path: str | Path) -> Hints:
    """A hint file by its extension (.json, or an image with alpha); UsageError naming it."""
    path = Path(path)
    if path.suffix.lower() not in HINT_EXTS:
        raise UsageError(f"{path}: hint files are .json or an image with alpha ({', '.join(HINT_IMAGE_EXTS)})")
    try:
        data = path.read_bytes()
    except OSError as e:
        raise UsageError(f"{path}: cannot read the hint file ({e.strerror or e})") from None
    if path.suffix.lower() == ".json":
        return parse_json(data, str(path))
    return parse_image(path, data)


def from_points(points, where: str = "hints") -> Hints:
    """Hints from the API: [(x, y, (r, g, b)), ...] or [(x, y, "#rrggbb"[, radius]), ...]."""
    out = []
    for p in points:
        if isinstance(p, (list, tuple)) and len(p) >= 3 and isinstance(p[2], (list, tuple)):
            if len(p[2]) != 3 or not all(isinstance(c, (int, np.integer)) and 0 <= c <= 255 for c in p[2]):
                raise UsageError(f"{where}: a colour is (r, g, b) with each 0-255, not {p[2]!r}")
            p = [p[0], p[1], "#%02x%02x%02x" % tuple(int(c) for c in p[2]), *p[3:]]
        out.append(_point(list(p), where))
    return Hints(where, points=out, digest=hashlib.sha256(repr(out).encode()).hexdigest())


def draw(hints: Hints, width: int, height: int, w: int, h: int, points: list[Point] | None = None):
    """The hints drawn at a working size (w, h) of an image whose full size is (width, height):
    (rgb (h, w, 3) float32 in 0-1, weight (h, w) float32 in 0-1). A point covers its disc (at
    least one working pixel); a hint image is scaled to the working size (alpha >= 128 counts)."""
    rgb = np.zeros((h, w, 3), np.float32)
    weight = np.zeros((h, w), np.float32)
    if hints.image is not None:
        import cv2

        img = cv2.resize(hints.image, (w, h), interpolation=cv2.INTER_NEAREST)
        mask = img[..., 3] >= 128
        rgb[mask] = img[mask, :3] / 255.0
        weight[mask] = 1.0
        return rgb, weight
    sx, sy = w / width, h / height
    for p in hints.points if points is None else points:
        cx, cy = (p.x + 0.5) * sx - 0.5, (p.y + 0.5) * sy - 0.5
        r = max(p.radius * min(sx, sy), 0.5)
        x0, x1 = max(0, int(np.floor(cx - r))), min(w, int(np.ceil(cx + r)) + 1)
        y0, y1 = max(0, int(np.floor(cy - r))), min(h, int(np.ceil(cy + r)) + 1)
        yy, xx = np.mgrid[y0:y1, x0:x1]             # the disc's box only
        disc = (xx - cx) ** 2 + (yy - cy) ** 2 <= r * r
        if not disc.any():
            y, x = min(h - 1, max(0, round(cy))), min(w - 1, max(0, round(cx)))
            y0, x0, disc = y, x, np.ones((1, 1), bool)
            y1, x1 = y + 1, x + 1
        rgb[y0:y1, x0:x1][disc] = np.array(p.rgb, np.float32) / 255.0
        weight[y0:y1, x0:x1][disc] = 1.0
    return rgb, weight


def hint_ab(rgb: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """The a, b (2, h, w) of drawn hint colours (zero where there is no hint); only hinted
    pixels are converted (colour.lab.rgb_to_lab)."""
    from colorize_cli.colour.lab import rgb_to_lab

    out = np.zeros((2, *weight.shape), np.float32)
    mask = weight > 0
    if mask.any():
        out[:, mask] = rgb_to_lab(rgb[mask].astype(np.float64))[:, 1:].T
    return out
