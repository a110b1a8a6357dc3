"""Atomic publish: write under a temporary name next to the target, rename when complete."""
from __future__ import annotations

import contextvars
import os
from pathlib import Path

# Called as hook(tmp, final) just before a finished file is renamed into place: a job records the
# file's identity first, so a crash between the rename and its bookkeeping still leaves a file
# the job can prove it wrote (set per item by jobs.runner; a context variable, so per thread).
before_publish: contextvars.ContextVar = contextvars.ContextVar("before_publish", default=None)


# Set to a list by a process that must not publish itself (a Ray worker): publish() then checks as
# usual and appends (tmp, final) instead of renaming; the driver, which owns the job's manifest,
# records the file's identity and renames it (`publish_staged`).
defer_publish: contextvars.ContextVar = contextvars.ContextVar("defer_publish", default=None)


NAME_MAX = 255


def partial_path(final: Path) -> Path:
    """`film.mp4` -> `.film.partial.mp4` (the real suffix stays, so muxers pick the format). A
    name too long for that keeps a shortened stem and a hash of the whole name, so every final
    name that fits has a partial name that fits."""
    name = f".{final.stem}.partial{final.suffix}"
    if len(os.fsencode(name)) <= NAME_MAX:
        return final.with_name(name)
    import hashlib

    tag = hashlib.sha1(os.fsencode(final.name)).hexdigest()[:12]
    room = NAME_MAX - len(os.fsencode(f".-{tag}.partial{final.suffix}"))
    stem = os.fsencode(final.stem)[:max(room, 0)].decode(errors="ignore") if room > 0 else ""
    return final.with_name(f".{stem}-{tag}.partial{final.suffix}")


def publish(tmp: Path, final: Path, overwrite: bool) -> None:
    if not overwrite and final.exists():
        tmp.unlink(missing_ok=True)
        raise FileExistsError(f"{final}: appeared while colorizing; not overwritten")
    staged = defer_publish.get()
    if staged is not None:
        staged.append((str(tmp), str(final)))
        return
    hook = before_publish.get()
    if hook is not None:
        hook(tmp, final)
    os.replace(tmp, final)


def publish_staged(staged: list, overwrite: bool) -> None:
    """Publish what a deferred publish() left as (tmp, final) pairs (before_publish runs first);
    on any error every pair not yet published is discarded and the error raised."""
    try:
        while staged:
            tmp, final = staged[0]
            publish(Path(tmp), Path(final), overwrite)
            staged.pop(0)
    except BaseException:
        for tmp, _ in staged:
            discard(Path(tmp))
        raise


def discard(tmp: Path) -> None:
    try:
        tmp.unlink()
    except FileNotFoundError:
        pass
