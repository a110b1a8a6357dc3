"""This machine's measured speed per model and engine, kept in the cache folder, so a dry run on a
new output folder can estimate its time from earlier jobs (frames per second, photos counted as
one frame each)."""
from __future__ import annotations

import json

from colorize_cli.files import cache_root, write_cache


def _path():
    return cache_root() / "speed.json"


def _load() -> dict:
    try:
        return json.loads(_path().read_text())
    except (OSError, ValueError):
        return {}


def record(model: str, engine: str, frames: int, seconds: float) -> None:
    """Add a run's done frames and seconds (kept: the last 10,000 frames' worth at most)."""
    if frames <= 0 or seconds <= 0:
        return
    data = _load()
    key = f"{model}|{engine}"
    old = data.get(key, {"frames": 0, "seconds": 0.0})
    f, s = old["frames"] + frames, old["seconds"] + seconds
    if f > 10_000:          # recent runs weigh more: scale the past down
        k = 10_000 / f
        f, s = int(f * k), s * k
    data[key] = {"frames": f, "seconds": round(s, 3)}
    write_cache(_path(), json.dumps(data, indent=1).encode())   # a read-only cache costs the estimate


def fps(model: str, engine: str) -> float | None:
    rec = _load().get(f"{model}|{engine}")
    if not rec or not rec.get("seconds"):
        return None
    return round(rec["frames"] / rec["seconds"], 2)
