"""The manifest under hostile use (issue #23 items 2, 11): a reset only under the job lock and
never in a dry run; a read-only job folder can still be read; lock and reset errors are one line."""
import os

import numpy as np
from PIL import Image

from colorize_cli.jobs.lock import JobLock
from colorize_cli.jobs.manifest import NAME


def _photos(folder, n=3):
    folder.mkdir()
    for i in range(n):
        Image.fromarray(np.full((40, 56), 40 * i + 20, np.uint8)).save(folder / f"p{i}.png")
    return folder


def test_reset_manifest_waits_for_the_job_lock(tmp_path, cli, random_weights):
    src, out = _photos(tmp_path / "in"), tmp_path / "out"
    assert cli("run", src, "-o", out, "--weights", random_weights).returncode == 0
    manifest = out / NAME
    before = manifest.read_bytes()
    other = JobLock(out).acquire()          # another job is writing here
    try:
        r = cli("run", src, "-o", out, "--weights", random_weights, "--reset-manifest")
    finally:
        other.release()
    assert r.returncode == 2 and "another colorize job is writing here" in r.stderr
    assert manifest.read_bytes() == before
    assert not list(out.glob(NAME + ".damaged-*"))


def test_dry_run_never_resets_the_manifest(tmp_path, cli, random_weights):
    src, out = _photos(tmp_path / "in"), tmp_path / "out"
    assert cli("run", src, "-o", out, "--weights", random_weights).returncode == 0
    r = cli("run", src, "-o", out, "--dry-run", "--reset-manifest")
    assert r.returncode == 0, r.stderr
    assert (out / NAME).is_file() and not list(out.glob(NAME + ".damaged-*"))
    r = cli("run", src, "-o", out, "--weights", random_weights)   # still done, still ours
    assert r.returncode == 0 and "done 0" in r.stderr.replace(",", "")


def test_read_only_job_folder_status_and_reset(tmp_path, cli, random_weights):
    if os.geteuid() == 0:
        import pytest

        pytest.skip("root ignores permission bits") if not _root_can_be_denied(tmp_path) else None
    src, out = _photos(tmp_path / "in"), tmp_path / "out"
    assert cli("run", src, "-o", out, "--weights", random_weights).returncode == 0
    out.chmod(0o555)
    try:
        r = cli("status", out)
        assert r.returncode == 0, r.stderr
        assert "3" in r.stdout + r.stderr and "unable to open" not in r.stderr
        r = cli("run", src, "-o", out, "--weights", random_weights, "--reset-manifest")
        assert r.returncode == 2 and "Traceback" not in r.stderr and str(out) in r.stderr
        assert len(r.stderr.strip().splitlines()) == 1
        assert (out / NAME).is_file()
    finally:
        out.chmod(0o755)


def _root_can_be_denied(tmp_path) -> bool:
    probe = tmp_path / "probe"
    probe.mkdir()
    probe.chmod(0o555)
    try:
        (probe / "x").write_text("x")
        return False
    except PermissionError:
        return True
    finally:
        probe.chmod(0o755)


def test_status_counts_an_interrupted_item_once(tmp_path):
    from colorize_cli.jobs.manifest import Manifest

    out = tmp_path / "out"
    m = Manifest(out)
    m.set_job(total_items=3)
    for i, status in enumerate(("done", "running", "failed")):
        src = tmp_path / f"p{i}.png"
        src.write_bytes(b"x")
        m.mark(src, out / f"p{i}.png", "image", "fp", "cfg", status)
    m.close()
    m = Manifest(out, readonly=True)
    s = m.summary()               # nobody holds the lock: the running row's run is gone
    assert (s["done"], s["failed"], s["interrupted"], s["running"], s["pending"]) == (1, 1, 1, 0, 0)


def test_a_moved_job_is_still_itself(tmp_path, cli, random_weights):
    """Issue #23 item 12: outputs are keyed relative to the job folder, sources by their bytes."""
    import shutil

    src, out = _photos(tmp_path / "in"), tmp_path / "out"
    assert cli("run", src, "-o", out, "--weights", random_weights).returncode == 0
    shutil.move(out, tmp_path / "moved")
    r = cli("run", src, "-o", tmp_path / "moved", "--weights", random_weights)
    assert r.returncode == 0 and "nothing to do" in r.stderr, r.stderr
    shutil.move(src, tmp_path / "in2")                       # the input folder moved too
    r = cli("run", tmp_path / "in2", "-o", tmp_path / "moved", "--weights", random_weights)
    assert r.returncode == 0 and "nothing to do" in r.stderr, r.stderr


def test_a_job_remembers_every_file_it_wrote(tmp_path, cli, random_weights):
    """Issue #23 item 13: one row per output, so other formats and layouts stay the job's own."""
    src, out = _photos(tmp_path / "in"), tmp_path / "out"
    common = ["--weights", random_weights]
    assert cli("run", src, "-o", out, *common).returncode == 0
    assert cli("run", src, "-o", out, "--format", "webp", *common).returncode == 0
    r = cli("run", src, "-o", out, *common)
    assert r.returncode == 0 and "nothing to do" in r.stderr, r.stderr
    sub = src / "sub"
    sub.mkdir()
    Image.fromarray(np.full((40, 56), 99, np.uint8)).save(sub / "s.png")
    out2 = tmp_path / "out2"
    assert cli("run", src, sub, "-o", out2, *common).returncode == 0
    r = cli("run", src, sub, "-o", out2, *common)
    assert r.returncode == 0 and "nothing to do" in r.stderr, r.stderr
    a, b = tmp_path / "A", tmp_path / "B"
    _photos(a, 2), _photos(b, 2)
    out3 = tmp_path / "out3"
    assert cli("run", a, b, "-o", out3, *common).returncode == 0
    assert cli("run", a, "-o", out3, *common).returncode == 0   # another layout: new files, no conflict
    r = cli("status", out3)
    assert r.stdout.startswith("2/2 done"), r.stdout


def test_a_first_layout_manifest_is_migrated(tmp_path, cli, random_weights):
    import sqlite3

    src, out = _photos(tmp_path / "in"), tmp_path / "out"
    assert cli("run", src, "-o", out, "--weights", random_weights).returncode == 0
    db = sqlite3.connect(out / NAME)          # rewrite it as the first layout had it
    rows = db.execute("SELECT * FROM items").fetchall()
    db.executescript("DROP TABLE items; CREATE TABLE items (source TEXT NOT NULL, segment INTEGER NOT NULL "
                     "DEFAULT -1, fingerprint TEXT NOT NULL, config TEXT NOT NULL, kind TEXT NOT NULL, status TEXT "
                     "NOT NULL, output TEXT NOT NULL, output_sha256 TEXT, output_size INTEGER, output_mtime_ns "
                     "INTEGER, frames INTEGER DEFAULT 0, seconds REAL DEFAULT 0, error TEXT, updated REAL, "
                     "PRIMARY KEY (source, segment));")
    for r in rows:
        r = list(r)
        r[6] = str(out / r[6])                # absolute outputs, as before
        db.execute("INSERT INTO items VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", r)
    db.commit()
    db.close()
    r = cli("run", src, "-o", out, "--weights", random_weights)
    assert r.returncode == 0 and "nothing to do" in r.stderr, r.stderr
