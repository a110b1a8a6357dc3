"""Nothing lost (issue 10): a job replaces only files it wrote itself, for that same source, and
still unchanged since it wrote them. Through the API (no subprocess): these are job-logic tests."""
import numpy as np
import pytest
from PIL import Image

from colorize_cli.api import Colorizer, RunOptions
from colorize_cli.errors import OutputExistsError


def _photo(path, seed=0):
    rng = np.random.default_rng(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(rng.integers(0, 255, (24, 32), dtype=np.uint8)).save(path)
    return path


@pytest.fixture(scope="module")
def cz(random_weights):
    return Colorizer(weights=random_weights, engine="cpu")


def _statuses(results):
    return {r.source.rsplit("/", 1)[-1]: r.status for r in results}


def test_skip_existing_never_replaces_a_users_file(tmp_path, cz):
    src, out = tmp_path / "in", tmp_path / "out"
    _photo(src / "a.png"), _photo(src / "b.png", 1)
    out.mkdir()
    (out / "a.png").write_bytes(b"MINE")
    got = _statuses(cz.run([src], out, RunOptions(skip_existing=True)))
    assert got == {"a.png": "skipped", "b.png": "done"}
    assert (out / "a.png").read_bytes() == b"MINE"
    # the manifest must not have adopted the user's file: a plain rerun still calls it a conflict
    with pytest.raises(OutputExistsError, match="a.png"):
        list(cz.run([src], out, RunOptions()))
    assert (out / "a.png").read_bytes() == b"MINE"


def test_two_jobs_into_one_folder_do_not_replace_each_other(tmp_path, cz):
    a, b, out = _photo(tmp_path / "A" / "x.png"), _photo(tmp_path / "B" / "x.png", 5), tmp_path / "out"
    assert _statuses(cz.run([a.parent], out)) == {"x.png": "done"}
    first = (out / "x.png").read_bytes()
    with pytest.raises(OutputExistsError, match="x.png"):
        list(cz.run([b.parent], out))
    assert (out / "x.png").read_bytes() == first


def test_user_edited_output_is_a_conflict_not_overwritten(tmp_path, cz):
    src, out = tmp_path / "in", tmp_path / "out"
    _photo(src / "a.png")
    assert _statuses(cz.run([src], out)) == {"a.png": "done"}
    Image.fromarray(np.zeros((24, 32, 3), np.uint8)).save(out / "a.png")   # the user retouched it
    edited = (out / "a.png").read_bytes()
    with pytest.raises(OutputExistsError, match="a.png"):
        list(cz.run([src], out))
    assert (out / "a.png").read_bytes() == edited
    assert _statuses(cz.run([src], out, RunOptions(overwrite=True))) == {"a.png": "done"}
    assert (out / "a.png").read_bytes() != edited


def test_own_output_is_redone_when_the_input_changes(tmp_path, cz):
    src, out = tmp_path / "in", tmp_path / "out"
    _photo(src / "a.png")
    assert _statuses(cz.run([src], out)) == {"a.png": "done"}
    before = (out / "a.png").read_bytes()
    _photo(src / "a.png", seed=9)
    assert _statuses(cz.run([src], out)) == {"a.png": "done"}     # ours, unchanged: replaced
    assert (out / "a.png").read_bytes() != before


def test_output_folder_inside_the_input_is_not_colorized_again(tmp_path, cz):
    src = tmp_path / "in"
    _photo(src / "a.png")
    for _ in range(3):
        results = list(cz.run([src], src / "colored"))
        assert [r.source for r in results] == [str(src / "a.png")]
    assert not (src / "colored" / "colored").exists()


def test_a_dot_in_the_output_folder_name_keeps_archive_mode(tmp_path, cz):
    src, out = tmp_path / "in", tmp_path / "colored.v1"
    _photo(src / "a.png")
    assert _statuses(cz.run([src], out)) == {"a.png": "done"}
    assert (out / "colorize-manifest.sqlite").is_file() and (out / "a.png").is_file()
    assert _statuses(cz.run([src], out)) == {"a.png": "skipped"}     # resumed, not a conflict


def test_a_non_utf8_file_name_is_processed_and_resumed(tmp_path, cz):
    import os

    src, out = tmp_path / "in", tmp_path / "out"
    _photo(src / "ok.png")
    _photo(src / os.fsdecode(b"bad\xff.png"), 2)
    got = [r.status for r in cz.run([src], out)]
    assert got == ["done", "done"], got
    assert (out / os.fsdecode(b"bad\xff.png")).is_file()
    assert [r.status for r in cz.run([src], out)] == ["skipped", "skipped"]


def test_a_second_job_on_the_same_folder_is_refused_until_the_first_ends(tmp_path, cz):
    from colorize_cli.errors import UsageError
    from colorize_cli.jobs.lock import JobLock

    src, out = tmp_path / "in", tmp_path / "out"
    _photo(src / "a.png")
    other = JobLock(out).acquire()          # another run holding the folder
    try:
        with pytest.raises(UsageError, match="another colorize job is writing here"):
            list(cz.run([src], out))
        assert not (out / "a.png").exists()
    finally:
        other.release()
    assert _statuses(cz.run([src], out)) == {"a.png": "done"}   # a released (or dead) holder: go


def test_damaged_manifest_one_line_then_reset(tmp_path, cz, cli):
    from colorize_cli.errors import UsageError

    src, out = tmp_path / "in", tmp_path / "out"
    _photo(src / "a.png")
    out.mkdir()
    (out / "colorize-manifest.sqlite").write_bytes(b"this is not a database" * 100)
    with pytest.raises(UsageError, match="damaged.*--reset-manifest"):
        list(cz.run([src], out))
    r = cli("status", out)
    assert r.returncode == 2 and "colorize-manifest.sqlite" in r.stderr and "Traceback" not in r.stderr
    assert _statuses(cz.run([src], out, RunOptions(reset_manifest=True))) == {"a.png": "done"}
    assert list(out.glob("colorize-manifest.sqlite.damaged-*"))        # kept aside, not deleted
    r = cli("status", out, "--json")
    assert r.returncode == 0 and '"done": 1' in r.stdout


def test_a_full_disk_names_the_output_not_the_input(tmp_path, cz, monkeypatch):
    import errno

    import colorize_cli.io.image as image_io

    def full(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(image_io, "write_photo", full)
    src = _photo(tmp_path / "in" / "a.png")
    (res,) = cz.run([src], tmp_path / "out.png")
    assert res.status == "failed" and res.error == f"{tmp_path / 'out.png'}: No space left on device"
    assert not (tmp_path / "out.png").exists()


def test_dry_run_admits_items_as_the_real_run_does(tmp_path, cz, cli, random_weights):
    import json

    src, out = tmp_path / "in", tmp_path / "out"
    for i in range(3):
        _photo(src / f"p{i}.png", i)
    list(cz.run([src], out))

    def plan(*extra):
        r = cli("run", src, "-o", out, "--weights", random_weights, "--engine", "cpu", "--dry-run", "--json", *extra)
        assert r.returncode == 0, r.stderr
        lines = [json.loads(x) for x in r.stdout.splitlines()]
        return {x["source"].rsplit("/", 1)[-1]: x["state"] for x in lines[:-1]}, lines[-1]["plan"]

    states, summary = plan()
    assert set(states.values()) == {"done"} and summary["to_do"] == 0 and summary["existing_outputs"] == 3
    # nothing left to colorize: no frames for the plan's estimate (frames left / recorded speed;
    # speed itself is colorize bench's business, never asserted here)
    assert summary["frames"] == 0 and not summary["unknown_frames"]
    _photo(src / "p1.png", 7)                                         # a changed input
    states, summary = plan()
    assert states == {"p0.png": "done", "p1.png": "redo", "p2.png": "done"} and summary["to_do"] == 1
    states, summary = plan("--saturation", "0.5")                    # a changed setting: all redone
    assert set(states.values()) == {"redo"}
    assert [r.status for r in cz.run([src], out)] == ["skipped", "done", "skipped"]   # as planned


def test_status_calls_a_dead_runs_items_interrupted_and_a_new_run_redoes_them(tmp_path, cz):
    from colorize_cli.jobs.manifest import Manifest, fingerprint

    src, out = tmp_path / "in", tmp_path / "out"
    _photo(src / "a.png")
    b = _photo(src / "b.png", 1)
    list(cz.run([src], out))
    m = Manifest(out)                                   # a run that died while doing b.png
    rec = m.get(out / "b.png")                          # rows are keyed by output
    m.mark(b, out / "b.png", "image", fingerprint(b), rec.config, "running")
    s = m.summary()
    assert (s["running"], s["interrupted"]) == (0, 1)   # nobody holds the job's lock: not running
    m.close()
    (out / "b.png").unlink()
    assert _statuses(cz.run([src], out)) == {"a.png": "skipped", "b.png": "done"}
    m = Manifest(out)
    assert m.summary()["interrupted"] == 0 and m.get(out / "b.png").status == "done"
    m.close()


def test_weights_pick_their_model_and_a_wrong_pair_is_one_clear_line(tmp_path, cli, random_weights):
    """--weights without --model uses the model its card names; a mismatch is a usage error."""
    src = _photo(tmp_path / "a.png")
    r = cli("run", src, "-o", tmp_path / "b.png", "--weights", random_weights, "--json")
    assert r.returncode == 0, r.stderr
    r = cli("run", src, "-o", tmp_path / "c.png", "--weights", random_weights, "--model", "lite-unet")
    assert r.returncode == 2 and "not weights for LiteUNet" in r.stderr and "--model baseline-cnn" in r.stderr
    assert "Traceback" not in r.stderr and not (tmp_path / "c.png").exists()


def test_a_kill_between_publish_and_record_leaves_a_file_the_job_knows(tmp_path, cz, monkeypatch):
    """The output was renamed into place, then the process died before writing 'done': the
    resumed job must recognise the file as its own (exact identity recorded before the rename)."""
    from colorize_cli.jobs.manifest import Manifest

    src, out = tmp_path / "in", tmp_path / "out"
    _photo(src / "a.png")
    real = Manifest.mark

    def dies_before_done(self, *args, **kw):
        if args[5] == "done":
            raise KeyboardInterrupt
        return real(self, *args, **kw)
    monkeypatch.setattr(Manifest, "mark", dies_before_done)
    with pytest.raises(KeyboardInterrupt):
        list(cz.run([src], out))
    monkeypatch.setattr(Manifest, "mark", real)
    assert (out / "a.png").is_file()
    assert _statuses(cz.run([src], out)) == {"a.png": "done"}     # redone, not a conflict
    (out / "a.png").write_bytes(b"edited after the crash")        # but a changed file is not ours
    with pytest.raises(OutputExistsError):
        list(cz.run([src], out, RunOptions(saturation=0.5)))
