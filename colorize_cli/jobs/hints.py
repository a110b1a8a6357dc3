"""Which hint file each item of a job takes, all read and checked before any work starts.

`--hints FILE`: the hints of the one input. `--hints DIR`: each input's hints are
DIR/<the output's path relative to the job's output folder> with the suffix .json, .png, .webp,
.tif or .tiff (for `colorize run gray/ -o out/ --hints hints/`, gray/a/b.tif takes hints/a/b.json);
an input without one runs automatic.
"""
from __future__ import annotations

from pathlib import Path

from colorize_cli.errors import UsageError
from colorize_cli.hints import HINT_EXTS, Hints, load_hints


def hint_file(item, hints: Path, root: Path | None) -> Path | None:
    if hints.is_file():
        return hints
    out = Path(item.output)
    rel = out.relative_to(root) if root is not None and out.is_relative_to(root) else Path(out.name)
    for ext in HINT_EXTS:
        candidate = hints / rel.with_suffix(ext)
        if candidate.is_file():
            return candidate
    return None


def plan_hints(items: list, hints: str | None, root: Path | None) -> dict:
    """source -> Hints for every item that has a hint file; UsageError (one line naming the file)
    for a bad one, before any model loads."""
    if hints is None:
        return {}
    hints = Path(hints)
    if hints.is_file() and len(items) > 1:
        raise UsageError(f"{hints}: one hint file for {len(items)} inputs; give a folder of hint files "
                         f"(DIR/<output's relative path>.json)")
    found = {}
    for it in items:
        path = hint_file(it, hints, root)
        if path is None:
            continue
        h = load_hints(path)
        check_item_hints(h, it)
        found[it.source] = h
    return found


def check_item_hints(h: Hints, item) -> None:
    """A hint file fits its item: the right form for a photo or a film, points inside the
    picture, frames within the film (UsageError naming the file)."""
    if item.kind == "image":
        if h.frames:
            raise UsageError(f"{h.source}: \"frames\" hints are for films; {item.source} is a photo")
        h.check_size(*_photo_size(item.source))
        return
    if h.points or h.image is not None:
        raise UsageError(f"{h.source}: {item.source} is a film: its hints go under \"frames\" "
                         f"({{\"frames\": {{\"0\": [[x, y, \"#rrggbb\"]]}}}})")
    frames, seconds, size = _film_facts(item.source)
    h.check_size(*size)
    h.check_frames(frames, seconds)


def _film_facts(path: Path) -> tuple[int, float | None, tuple[int, int]]:
    """(frames, seconds, (width, height)) as the container declares them, from one open
    (0 / None / no limit when it does not say or cannot be read: the item then fails on its own)."""
    import av

    try:
        with av.open(str(path)) as c:
            v = c.streams.video[0]
            seconds = float(v.duration * v.time_base) if v.duration else \
                (c.duration / av.time_base if c.duration else None)
            return v.frames or 0, seconds, (v.width, v.height)
    except (av.FFmpegError, IndexError, OSError):
        return 0, None, (1 << 30, 1 << 30)


def _photo_size(path: Path) -> tuple[int, int]:
    """(width, height) after EXIF orientation, from the header only."""
    from PIL import Image

    from colorize_cli.files import require_regular

    require_regular(path)
    try:
        with Image.open(path) as img:
            w, h = img.size
            if img.getexif().get(0x0112, 1) in (5, 6, 7, 8):
                w, h = h, w
    except (OSError, ValueError, SyntaxError):
        return 1 << 30, 1 << 30     # unreadable: the item fails with its own line when it runs
    return w, h
