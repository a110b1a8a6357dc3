"""Sampling frames/photos and drawing gray | colour contact sheets."""
from __future__ import annotations

from pathlib import Path

import av
import numpy as np
from PIL import Image

from colorize_cli.errors import MediaError, OutputExistsError, UsageError
from colorize_cli.files import require_regular, resolved
from colorize_cli.io.atomic import discard, partial_path, publish
from colorize_cli.io.discover import discover, kind_of
from colorize_cli.io.image import read_photo

SHEET_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP"}


def check_sheet_output(source: str | Path, output: str | Path, overwrite: bool) -> str:
    """The sheet's image format, once `output` is known to be safe to write: never the input (nor
    a file inside an input folder that is a photo we read), never a folder, never an existing file
    without `overwrite`. Raises UsageError (exit 2) before anything is read or written."""
    raw = str(output)
    source, output = Path(source), Path(output)
    fmt = SHEET_FORMATS.get(output.suffix.lower())
    if raw.endswith(("/", "\\")) or output.is_dir():
        raise UsageError(f"{output}: is a folder; -o takes the contact sheet's file name (.png, .jpg or .webp)")
    if output.exists() or output.is_symlink():
        target = resolved(output)
        if target == resolved(source) or (source.is_dir() and target.is_relative_to(resolved(source))
                                           and kind_of(target)):
            raise UsageError(f"{output}: is the input; a preview never writes over its input")
    if fmt is None:
        raise UsageError(f"{output}: a contact sheet is written as .png, .jpg or .webp, not "
                         f"{output.suffix or 'a name without extension'}")
    if output.exists() or output.is_symlink():
        if not overwrite:
            raise OutputExistsError(f"{output}: already exists; not overwritten (--overwrite to replace it)")
    return fmt


def sample_frames(path: Path, count: int, labels: list | None = None) -> list[np.ndarray]:
    """`count` frames spread evenly over a film, decoded by seeking."""
    try:
        with av.open(str(path)) as c:
            if not c.streams.video:
                raise MediaError(f"{path}: no video stream")
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
                        if labels is not None:
                            t = float(frame.time or 0)
                            labels.append(f"{int(t // 60)}:{t % 60:05.2f}  {path.name}")
                        break
            return out
    except av.EOFError:
        raise MediaError(f"{path}: no frames (the file ends before its first frame)") from None
    except (av.FFmpegError, IndexError) as e:
        raise MediaError(f"{path}: cannot sample frames ({e})") from None


def sample_images(source: str | Path, count: int, labels: list | None = None) -> list[np.ndarray]:
    """Frames spread over a film, the first photos of a folder, or one photo; `labels` (a list)
    receives each one's name (and a film frame's time)."""
    labels = [] if labels is None else labels
    source = Path(source)
    if source.is_dir():
        items = [it for it in discover([source]) if it.kind == "image"][:count]  # sources only
        if not items:
            raise UsageError(f"{source}: no photos found")
        labels += [str(it.source.relative_to(source)) for it in items]
        return [_to8(read_photo(it.source).pixels) for it in items]
    if not source.exists() and not source.is_symlink():
        raise UsageError(f"{source}: no such file or folder")
    require_regular(source)          # a FIFO would block for ever
    if kind_of(source) == "image":
        labels.append(source.name)
        return [_to8(read_photo(source).pixels)]
    frames = sample_frames(source, count, labels)
    if not frames:
        raise MediaError(f"{source}: no frames could be decoded")
    return frames


def _to8(pixels: np.ndarray) -> np.ndarray:
    """8-bit sRGB (H, W, 3) of a photo's pixels (a grey file's one plane is tripled here, for the sheet)."""
    rgb = np.repeat(pixels[..., None], 3, -1) if pixels.ndim == 2 else pixels
    return (rgb >> 8).astype(np.uint8) if rgb.dtype == np.uint16 else rgb


LABEL = 16      # pixels of the caption strip above each row


def contact_sheet(pairs: list[tuple[np.ndarray, np.ndarray]], output: str | Path, width: int = 384,
                  fmt: str = "PNG", overwrite: bool = False, labels: list | None = None,
                  model: str | None = None) -> None:
    """gray | colour rows; with `labels`, each row has a caption: its name (and time) over the
    gray, "colour: MODEL" over the colour."""
    from PIL import ImageDraw

    rows = []
    for gray, colour in pairs:
        h = round(gray.shape[0] * width / gray.shape[1])
        g = Image.fromarray(gray).convert("L").convert("RGB").resize((width, h), Image.BILINEAR)
        c = Image.fromarray(colour).resize((width, h), Image.BILINEAR)
        rows.append((g, c))
    cap = LABEL if labels else 0
    W = 2 * width + 12
    H = sum(g.height + 6 + cap for g, _ in rows) + 6
    sheet = Image.new("RGB", (W, H), (24, 24, 24))
    draw = ImageDraw.Draw(sheet)
    y = 6
    for i, (g, c) in enumerate(rows):
        if cap:
            draw.text((6, y + 2), f"gray: {labels[i] if i < len(labels) else ''}"[:width // 6], fill=(220, 220, 220))
            draw.text((10 + width, y + 2), f"colour: {model or ''}"[:width // 6], fill=(220, 220, 220))
            y += cap
        sheet.paste(g, (4, y))
        sheet.paste(c, (8 + width, y))
        y += g.height + 6
    output = Path(output)
    tmp = partial_path(output)
    try:
        sheet.save(tmp, format=fmt, **({"quality": 92} if fmt == "JPEG" else {}))
        publish(tmp, output, overwrite=overwrite)
    except BaseException:
        discard(tmp)
        raise
