"""Sampling frames/photos and drawing gray | colour contact sheets."""
from __future__ import annotations

from pathlib import Path

import av
import numpy as np
from PIL import Image

from colorize_cli.errors import MediaError, UsageError
from colorize_cli.io.discover import discover, kind_of
from colorize_cli.io.image import read_photo
from colorize_cli.io.atomic import partial_path, publish


def sample_frames(path: Path, count: int) -> list[np.ndarray]:
    """`count` frames spread evenly over a film, decoded by seeking."""
    try:
        with av.open(str(path)) as c:
            stream = c.streams.video[0]
            duration = float(stream.duration * stream.time_base) if stream.duration else \
                (c.duration / av.time_base if c.duration else 0)
            out = []
            for i in range(count):
                target = duration * (i + 0.5) / count
                c.seek(int(target / stream.time_base), stream=stream, backward=True)
                for frame in c.decode(stream):
                    if frame.time is None or frame.time >= target - 1e-3 or not duration:
                        out.append(frame.to_ndarray(format="rgb24"))
                        break
            return out
    except (av.FFmpegError, IndexError) as e:
        raise MediaError(f"{path}: cannot sample frames ({e})") from None


def sample_images(source: str | Path, count: int) -> list[np.ndarray]:
    source = Path(source)
    if source.is_dir():
        items = [it for it in discover([source]) if it.kind == "image"][:count]  # sources only
        if not items:
            raise UsageError(f"{source}: no photos found")
        return [_to8(read_photo(it.source).rgb) for it in items]
    if not source.exists():
        raise UsageError(f"{source}: no such file or folder")
    if kind_of(source) == "image":
        return [_to8(read_photo(source).rgb)]
    return sample_frames(source, count)


def _to8(rgb: np.ndarray) -> np.ndarray:
    return (rgb >> 8).astype(np.uint8) if rgb.dtype == np.uint16 else rgb


def contact_sheet(pairs: list[tuple[np.ndarray, np.ndarray]], output: str | Path, width: int = 384) -> None:
    rows = []
    for gray, colour in pairs:
        h = round(gray.shape[0] * width / gray.shape[1])
        g = Image.fromarray(gray).convert("L").convert("RGB").resize((width, h), Image.BILINEAR)
        c = Image.fromarray(colour).resize((width, h), Image.BILINEAR)
        rows.append((g, c))
    W = 2 * width + 12
    H = sum(g.height + 6 for g, _ in rows) + 6
    sheet = Image.new("RGB", (W, H), (24, 24, 24))
    y = 6
    for g, c in rows:
        sheet.paste(g, (4, y))
        sheet.paste(c, (8 + width, y))
        y += g.height + 6
    output = Path(output)
    tmp = partial_path(output)
    sheet.save(tmp, format="PNG")
    publish(tmp, output, overwrite=True)
