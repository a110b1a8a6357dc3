"""Small file helpers every layer may use: one sha256 of a file, the cache folder and its
whole-or-nothing writes, the check that an input is a regular file."""
from __future__ import annotations

import errno
import hashlib
import os
import stat
from pathlib import Path

from colorize_cli.errors import MediaError, UsageError


def file_sha256(path: str | Path) -> str:
    """sha256 of a file, read in 1 MiB chunks (films and weights never sit in memory whole)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


_HEAD = 1 << 16


def fingerprint(path: str | Path) -> str:
    """size, mtime and a hash of the first and last 64 KiB: cheap, and catches edits.
    Only a regular file is opened (MediaError otherwise: a FIFO would block the job)."""
    st = require_regular(path)
    h = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as f:
        h.update(f.read(_HEAD))
        if st.st_size > _HEAD:
            f.seek(max(_HEAD, st.st_size - _HEAD))
            h.update(f.read(_HEAD))
    return f"{st.st_size}:{st.st_mtime_ns}:{h.hexdigest()}"


def cache_root() -> Path:
    """$COLORIZE_CACHE, else $XDG_CACHE_HOME/colorize, else ~/.cache/colorize."""
    root = os.environ.get("COLORIZE_CACHE")
    if root:
        return Path(root)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "colorize"


def write_cache(path: Path, data: bytes) -> bool:
    """Write a cache file whole (a temporary file + rename) or not at all: a read-only or full
    cache folder costs the cache, never the run. Returns whether it was written."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(data)
        os.replace(tmp, path)
        return True
    except OSError:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass
        return False


def as_path(value, what: str = "a path") -> Path:
    """A path from str, bytes or os.PathLike (bytes as the file system's own, PEP 383); any
    other type is a UsageError naming what was expected."""
    if isinstance(value, (str, bytes, os.PathLike)):
        raw = os.fspath(value)
        return Path(os.fsdecode(raw) if isinstance(raw, bytes) else raw)
    raise UsageError(f"{what} must be a path (str, bytes or os.PathLike), not {type(value).__name__}")


def as_paths(values, what: str = "inputs") -> list[str]:
    """One path or an iterable of paths, as strings; None, numbers and mappings are UsageErrors."""
    if values is None:
        raise UsageError(f"no {what} given")
    if isinstance(values, (str, bytes, os.PathLike)):
        values = [values]
    elif isinstance(values, dict) or not hasattr(values, "__iter__"):
        raise UsageError(f"{what} must be a path or a list of paths, not {type(values).__name__}")
    return [str(as_path(v, f"each of the {what}")) for v in values]


def resolved(path: str | Path) -> Path:
    """The absolute path with symbolic links followed; a link loop (or a name the system cannot
    follow) is kept as written, made absolute: opening it later fails with its own line."""
    try:
        return Path(path).resolve()
    except (RuntimeError, OSError):
        return Path(os.path.abspath(path))


KIND_OF_MODE = {stat.S_ISFIFO: "a FIFO (named pipe)", stat.S_ISSOCK: "a socket", stat.S_ISCHR: "a character device",
                stat.S_ISBLK: "a block device", stat.S_ISDIR: "a folder"}


def require_regular(path: str | Path) -> os.stat_result:
    """stat of `path` when it is a regular file (symlinks followed); else MediaError naming it.
    Only regular files are opened: a FIFO would block the job forever."""
    path = Path(path)
    try:
        st = path.stat()
    except FileNotFoundError:
        if path.is_symlink():
            raise MediaError(f"{path}: broken symbolic link (its target {os.readlink(path)} does not exist)") from None
        raise MediaError(f"{path}: file not found") from None
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise MediaError(f"{path}: symbolic link loop (it leads back to itself); not read") from None
        raise MediaError(f"{path}: cannot read ({e.strerror or e})") from None
    if not stat.S_ISREG(st.st_mode):
        what = next((name for test, name in KIND_OF_MODE.items() if test(st.st_mode)), "not a regular file")
        raise MediaError(f"{path}: {what}, not a regular file; only regular files are read")
    return st
