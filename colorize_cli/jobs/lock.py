"""One job at a time per output folder: an advisory lock held while a run writes there.

flock(2) locks die with their process, so a run killed by kill -9 leaves no stale lock: the
next run simply gets it. The lock file holds the holder's pid and host for the message.
"""
from __future__ import annotations

import os
import socket
from pathlib import Path

from colorize_cli.errors import UsageError

NAME = ".colorize-lock"


class JobLock:
    def __init__(self, folder: str | Path):
        self.path = Path(folder) / NAME
        self.fd: int | None = None

    def acquire(self) -> "JobLock":
        import fcntl

        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as e:
            raise UsageError(f"{self.path.parent}: cannot take the job lock ({e.strerror or e})") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "another process"
            os.close(fd)
            raise UsageError(f"{self.path.parent}: another colorize job is writing here ({holder}); "
                             f"wait for it to finish or stop it") from None
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"pid {os.getpid()} on {socket.gethostname()}".encode(), 0)
        except OSError:
            pass    # a full disk: the lock holds all the same, only the holder's name is missing
        self.fd = fd
        return self

    @staticmethod
    def held(folder: str | Path) -> bool:
        """Is a job writing to `folder` right now? (read-only check; a dead holder holds nothing)"""
        import fcntl

        path = Path(folder) / NAME
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            return False
        except BlockingIOError:
            return True
        finally:
            os.close(fd)

    def release(self) -> None:
        """Remove the lock file (while still holding it, so no other run is using it), then drop
        the lock: a finished job leaves only its outputs and its manifest."""
        if self.fd is not None:
            try:
                self.path.unlink()
            except OSError:
                pass
            os.close(self.fd)   # closing drops the flock
            self.fd = None
