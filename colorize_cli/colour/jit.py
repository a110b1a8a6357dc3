"""Whether the compiled kernels (`colour.kernels`, numba) run: decided here, without importing
numba until they do.

Importing numba and loading its cached kernels costs a process about 0.4 s; the kernels save
12 ms on a 640x480 photo's colour step and 140 ms on a 12-megapixel one (measured, README
Install). A job therefore takes them when it has enough to do (a film, or JOB_PHOTOS photos and
more: `choose_for`); a one-photo run stays on the OpenCV/numpy path and never imports numba. The
two paths agree within 1 code value (tested). Without numba, or with COLORIZE_JIT=0, the
OpenCV/numpy path always runs.
"""
from __future__ import annotations

import importlib.util
import os

JOB_PHOTOS = 16       # photos from which a job pays numba's import back (0.4 s against 12-140 ms each)

_job_choice: bool | None = None     # the running job's choice (choose_for); None: no job set one


def available() -> bool:
    """numba installed and not switched off (COLORIZE_JIT=0)."""
    return os.environ.get("COLORIZE_JIT", "1").strip() != "0" and importlib.util.find_spec("numba") is not None


def use(jit: bool | None = None) -> bool:
    """The one answer to "compiled kernels or OpenCV/numpy?": `jit` when the caller chose, else
    the running job's choice, else available()."""
    if jit is not None:
        return bool(jit)
    if _job_choice is not None:
        return _job_choice and available()
    return available()


def choose_for(photos: int, films: int) -> bool | None:
    """Set a job's choice (the kernels when it has a film or JOB_PHOTOS photos, where numba is
    there) until `restore(returned value)` at the job's end; returns the choice it replaced."""
    global _job_choice
    before, _job_choice = _job_choice, films > 0 or photos >= JOB_PHOTOS
    return before


def restore(before: bool | None) -> None:
    global _job_choice
    _job_choice = before


def kernels():
    """The compiled kernels module (imports numba on first use)."""
    import colorize_cli.colour.kernels as k

    return k
