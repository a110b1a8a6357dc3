"""Stage timing: `with stage_clock(times, "chroma"):` adds the block's seconds to times["chroma"]."""
from __future__ import annotations

import time
from contextlib import contextmanager


@contextmanager
def stage_clock(times: dict | None, key: str):
    """Add the seconds the block took to times[key] (nothing when times is None), even on error."""
    t = time.perf_counter()
    try:
        yield
    finally:
        if times is not None:
            times[key] = times.get(key, 0.0) + time.perf_counter() - t
