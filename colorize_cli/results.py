"""What a job says about each input: one ItemResult, and one rule mapping an error to it."""
from __future__ import annotations

import errno
from dataclasses import asdict, dataclass, field

from colorize_cli.errors import ColorizeError

DISK_ERRORS = (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EFBIG)


@dataclass
class ItemResult:
    source: str
    output: str
    kind: str
    status: str                    # done | skipped | failed
    frames: int = 0
    seconds: float = 0.0
    fps: float = 0.0
    stage_ms: dict = field(default_factory=dict)
    error: str | None = None
    warnings: list = field(default_factory=list)
    threads: int | None = None     # CPU threads the job was given (colorize_cli.threads)

    @classmethod
    def of(cls, item, status: str = "done", **kw) -> "ItemResult":
        return cls(str(item.source), str(item.output), item.kind, status, **kw)

    def to_dict(self) -> dict:
        return asdict(self)

    def fail(self, error: str) -> "ItemResult":
        self.status, self.error = "failed", error
        return self

    def timed(self, seconds: float) -> "ItemResult":
        self.seconds = round(seconds, 3)
        self.fps = round(self.frames / self.seconds, 2) if self.frames and self.seconds else 0.0
        return self


DONE_EARLIER = "done in an earlier run (manifest)"


def error_text(item, exc: BaseException) -> str:
    """The one line an item's failure is reported as; the file named is the one at fault (a full
    disk is the output's problem, an unreadable file the source's)."""
    if isinstance(exc, ColorizeError) or (isinstance(exc, FileExistsError) and exc.errno is None):
        return str(exc)     # our own words (publish's "appeared while colorizing")
    if isinstance(exc, (FileExistsError, NotADirectoryError)) and exc.filename:
        return f"{exc.filename}: a file is in the way where a folder is needed (not a folder)"
    if isinstance(exc, MemoryError):
        return f"{item.source}: out of memory"
    if isinstance(exc, OSError):
        where = item.output if exc.errno in DISK_ERRORS else (exc.filename or item.source)
        return f"{where}: {exc.strerror or exc}"
    return f"{item.source}: unexpected error ({type(exc).__name__}: {exc})"
