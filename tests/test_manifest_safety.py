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
