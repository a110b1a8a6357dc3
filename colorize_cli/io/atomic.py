"""Atomic publish: write under a temporary name next to the target, rename when complete."""
from __future__ import annotations

import os
from pathlib import Path


def partial_path(final: Path) -> Path:
    """`film.mp4` -> `.film.partial.mp4` (the real suffix stays, so muxers pick the format)."""
    return final.with_name(f".{final.stem}.partial{final.suffix}")


def publish(tmp: Path, final: Path, overwrite: bool) -> None:
    if not overwrite and final.exists():
        tmp.unlink(missing_ok=True)
        raise FileExistsError(f"{final}: appeared while colorizing; not overwritten")
    os.replace(tmp, final)


def discard(tmp: Path) -> None:
    try:
        tmp.unlink()
    except FileNotFoundError:
        pass
