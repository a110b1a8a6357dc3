"""Job manifest: one SQLite row per output (or film segment) in the output folder.

A row is keyed by its output, written relative to the job's folder, so a job folder that is moved
is still itself, and a job remembers every file it wrote: the same source written in two layouts
or two formats has two rows. The source is recorded (absolute) beside it; whether an output is
done is decided by the source's fingerprint (its bytes), so a moved input folder is not redone.

SQLite rather than JSONL: every status change is an atomic, durable transaction (a kill -9 can
never leave a torn record), rows are updated in place instead of appended and compacted, several
writers (local threads, a Ray driver) are serialised by the database, and `sqlite3` can read it.
"""
from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from colorize_cli.files import file_sha256, fingerprint, require_regular, resolved  # noqa: F401 (fingerprint: used by jobs)

NAME = "colorize-manifest.sqlite"

SCHEMA = """
CREATE TABLE IF NOT EXISTS items (
    source TEXT NOT NULL, segment INTEGER NOT NULL DEFAULT -1,
    fingerprint TEXT NOT NULL, config TEXT NOT NULL, kind TEXT NOT NULL,
    status TEXT NOT NULL, output TEXT NOT NULL,
    output_sha256 TEXT, output_size INTEGER, output_mtime_ns INTEGER,
    frames INTEGER DEFAULT 0, seconds REAL DEFAULT 0, error TEXT, updated REAL,
    PRIMARY KEY (output, segment)
);
CREATE TABLE IF NOT EXISTS job (key TEXT PRIMARY KEY, value TEXT);
"""


def key(path: str | Path) -> str:
    """The manifest's text for a path: absolute, and valid UTF-8 whatever the file system holds
    (bytes that are not UTF-8 appear as \\xNN), so any file name can be recorded."""
    raw = os.fsencode(resolved(path))
    return raw.decode("utf-8", "backslashreplace")


def config_hash(settings: dict) -> str:
    return hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode()).hexdigest()[:16]


@dataclass
class Record:
    source: str
    segment: int
    fingerprint: str
    config: str
    kind: str
    status: str
    output: str
    output_sha256: str | None
    output_size: int | None
    output_mtime_ns: int | None
    frames: int
    seconds: float
    error: str | None
    updated: float | None


class Manifest:
    def __init__(self, folder: str | Path, readonly: bool = False):
        self.path = Path(folder) / NAME
        try:
            if readonly:
                self.db = self._connect_readonly()
                return
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(str(self.path), timeout=30, check_same_thread=False, isolation_level=None)
            self.db.execute("PRAGMA journal_mode=WAL")
            self._migrate()
            self.db.executescript(SCHEMA)
        except sqlite3.DatabaseError as e:
            from colorize_cli.errors import UsageError

            if not readonly and self.path.is_file() and self.path.stat().st_size == 0:
                self.path.unlink()   # we just created it (e.g. on a full disk): leave nothing behind
                raise UsageError(f"{self.path}: cannot create the job manifest ({e})") from None
            if readonly or "readonly" in str(e) or "unable to open" in str(e):
                raise UsageError(f"{self.path}: cannot open the job manifest ({e})") from None
            raise UsageError(f"{self.path}: the job manifest is damaged ({e}); rerun with --reset-manifest "
                             f"to set it aside and start the job's record afresh") from None

    def okey(self, path: str | Path) -> str:
        """An output's key: its path relative to the job's folder when inside it (a moved job
        folder keeps its keys), else absolute; valid UTF-8 whatever the file system holds."""
        full = resolved(path)
        try:
            rel = full.relative_to(resolved(self.path.parent))
        except ValueError:
            return key(full)
        return os.fsencode(rel.as_posix()).decode("utf-8", "backslashreplace")

    def _migrate(self) -> None:
        """A manifest of the first layout (one row per source, absolute outputs) becomes one row per
        output, keyed relative to the folder; nothing a job recorded is lost."""
        cols = self.db.execute("PRAGMA table_info(items)").fetchall()
        if not cols:
            return
        pk = [c[1] for c in sorted(cols, key=lambda c: c[5]) if c[5]]
        if pk == ["output", "segment"]:
            return
        with self.db:
            rows = self.db.execute("SELECT * FROM items").fetchall()
            self.db.execute("ALTER TABLE items RENAME TO items_v1")
            self.db.executescript(SCHEMA)
            for r in rows:
                r = list(r)
                r[6] = self.okey(os.fsdecode(r[6].encode("utf-8", "surrogateescape")))
                self.db.execute("INSERT OR REPLACE INTO items VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", r)
            self.db.execute("DROP TABLE items_v1")

    def _connect_readonly(self) -> sqlite3.Connection:
        """Read-only: `mode=ro`; in a folder we cannot write (no -shm can be made for the WAL),
        as an immutable file, which needs no lock files (nobody writes a read-only folder)."""
        from urllib.parse import quote

        uri = f"file:{quote(str(self.path))}"
        try:
            db = sqlite3.connect(f"{uri}?mode=ro", uri=True, check_same_thread=False, isolation_level=None)
            db.execute("SELECT count(*) FROM items").fetchone()
            return db
        except sqlite3.OperationalError:
            if os.access(self.path.parent, os.W_OK):
                raise
        db = sqlite3.connect(f"{uri}?mode=ro&immutable=1", uri=True, check_same_thread=False, isolation_level=None)
        db.execute("SELECT count(*) FROM items").fetchone()
        return db

    @classmethod
    def open_existing(cls, folder: str | Path) -> "Manifest | None":
        return cls(folder) if (Path(folder) / NAME).is_file() else None

    @classmethod
    def reset(cls, folder: str | Path) -> Path | None:
        """Move a (damaged) manifest aside as NAME.damaged-<time>; returns where it went."""
        path = Path(folder) / NAME
        if not path.is_file():
            return None
        aside = path.with_name(f"{NAME}.damaged-{int(time.time())}")
        path.replace(aside)
        for extra in ("-wal", "-shm"):
            Path(str(path) + extra).unlink(missing_ok=True)
        return aside

    def close(self) -> None:
        self.db.close()
        lock = getattr(self, "lock", None)
        if lock is not None:
            lock.release()

    def set_job(self, **values) -> None:
        with self.db:
            for k, v in values.items():
                self.db.execute("INSERT OR REPLACE INTO job VALUES (?, ?)", (k, json.dumps(v)))

    def job(self) -> dict:
        return {k: json.loads(v) for k, v in self.db.execute("SELECT key, value FROM job")}

    def get(self, output: Path, segment: int = -1) -> Record | None:
        """The row of an output (or of a film's segment part)."""
        row = self.db.execute("SELECT * FROM items WHERE output=? AND segment=?",
                              (self.okey(output), segment)).fetchone()
        return Record(*row) if row else None

    def records(self) -> list[Record]:
        return [Record(*r) for r in self.db.execute("SELECT * FROM items ORDER BY source, segment")]

    def is_done(self, source: Path, output: Path, fp: str, config: str, segment: int = -1,
                verify: bool = False) -> bool:
        """Done, same input bytes, same settings, and the output is still the file we wrote."""
        rec = self.get(output, segment)
        if rec is None or rec.status != "done" or rec.fingerprint != fp or rec.config != config:
            return False
        out = Path(output)
        if not out.is_file():
            return False
        st = out.stat()
        if st.st_size != rec.output_size:
            return False
        if verify or st.st_mtime_ns != rec.output_mtime_ns:
            return file_sha256(out) == rec.output_sha256
        return True

    def owns(self, source: Path, output: Path, segment: int = -1) -> bool:
        """True when `output` is the file this job wrote for `source` and nobody has changed it since
        (same size, and same mtime or same sha256): only then may redoing the source replace it."""
        rec = self.get(output, segment)
        out = Path(output)
        if rec is None or rec.output_sha256 is None or not out.is_file():
            return False
        st = out.stat()
        if st.st_size != rec.output_size:
            return False
        if not (st.st_mtime_ns == rec.output_mtime_ns or file_sha256(out) == rec.output_sha256):
            return False
        # written for this source: the same path, or (a moved input folder) the same bytes
        if rec.source == key(source):
            return True
        try:
            return fingerprint(source) == rec.fingerprint
        except Exception:   # noqa: BLE001 - an unreadable source is not this output's
            return False

    def mark(self, source: Path, output: Path, kind: str, fp: str, config: str, status: str,
             segment: int = -1, frames: int = 0, seconds: float = 0.0, error: str | None = None) -> None:
        sha = size = mtime = None
        out = Path(output)
        if status == "done" and out.is_file():
            sha, st = file_sha256(out), out.stat()
            size, mtime = st.st_size, st.st_mtime_ns
        else:   # redoing or failing keeps the identity of the file written earlier (still ours)
            rec = self.get(out, segment)
            if rec is not None:
                sha, size, mtime = rec.output_sha256, rec.output_size, rec.output_mtime_ns
        if error is not None:   # messages name files, whose names need not be UTF-8
            error = error.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        with self.db:
            self.db.execute("INSERT OR REPLACE INTO items VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                            (key(source), segment, fp, config, kind, status,
                             self.okey(out), sha, size, mtime, frames, seconds, error, time.time()))

    def claim(self, source: Path, output: Path, tmp: Path, fp: str | None = None) -> None:
        """Before `tmp` is renamed to `output`: record its identity in the source's row (status
        unchanged), so the output is recognisably this job's even if the run dies right after.
        With `fp` (the fingerprint admitted), a source changed on disk since then stops the
        publish: its output would be the old file's, recorded under the new one's fingerprint."""
        if fp and fingerprint(source) != fp:
            from colorize_cli.errors import MediaError

            raise MediaError(f"{source}: changed on disk while it was being colorized; not published "
                             f"(the next run colorizes the new file)")
        st = Path(tmp).stat()   # a rename keeps size and mtime
        with self.db:
            self.db.execute("UPDATE items SET output_sha256=?, output_size=?, output_mtime_ns=? "
                            "WHERE output=? AND segment=-1",
                            (file_sha256(Path(tmp)), st.st_size, st.st_mtime_ns, self.okey(output)))

    def recover(self) -> int:
        """At the start of a run (lock held): rows left `running` by a run that died are
        `interrupted` (redone by this run). Returns how many."""
        with self.db:
            return self.db.execute("UPDATE items SET status='interrupted' WHERE status='running'").rowcount

    def summary(self) -> dict:
        from colorize_cli.jobs.lock import JobLock

        job = self.job()
        # films count once (their own row, not their segments'); the rows of the latest run's
        # outputs only, when it said which (a renamed source's old row is history, not progress)
        rows = [r for r in self.records() if r.segment == -1]
        if "outputs" in job:
            current = set(job["outputs"])
            rows = [r for r in rows if r.output in current]
        counts: dict = {}
        for r in rows:
            counts[r.status] = counts.get(r.status, 0) + 1
        if counts.get("running") and not JobLock.held(self.path.parent):   # its run is gone
            counts["interrupted"] = counts.get("interrupted", 0) + counts.pop("running")
        frames = sum(r.frames for r in rows if r.status == "done")
        seconds = sum(r.seconds for r in rows if r.status == "done")
        total = job.get("total_items", sum(counts.values()))
        done = counts.get("done", 0)
        fps = frames / seconds if seconds else 0.0
        remaining = max(0, total - done - counts.get("failed", 0) - counts.get("skipped", 0))
        per_item = seconds / done if done else None
        return {"manifest": str(self.path), "total": total, "done": done, "failed": counts.get("failed", 0),
                "skipped": counts.get("skipped", 0),
                "running": counts.get("running", 0), "interrupted": counts.get("interrupted", 0),
                "pending": max(0, remaining - counts.get("running", 0) - counts.get("interrupted", 0)),
                "frames": frames, "fps": round(fps, 2),
                "eta_seconds": round(per_item * remaining, 1) if per_item is not None else None,
                "failures": [{"source": r.source, "error": r.error} for r in rows if r.status == "failed"]}
