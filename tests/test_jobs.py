"""Archive mode: manifest, resume after kill -9, changed settings/inputs, dry-run, status, names."""
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

import numpy as np
import pytest
from PIL import Image

from media import colourful_frame, make_clip


def _archive(root, n=30, video=True):
    root.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        sub = root / f"box{i % 3}"
        sub.mkdir(exist_ok=True)
        Image.fromarray(colourful_frame(i, 96, 64).mean(-1).astype(np.uint8)).save(sub / f"p{i:03d}.png")
    if video:
        make_clip(root / "reel.mkv", frames=40, size=(160, 96))
    return root


def _files(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*")
            if p.is_file() and "manifest" not in p.name}


def _film_content(path):
    """What a film carries, without the container's random ids (Matroska's SegmentUID)."""
    import av

    with av.open(str(path)) as c:
        frames = [(f.pts, [bytes(p) for p in f.planes]) for f in c.decode(video=0)]
    with av.open(str(path)) as c:
        audio = [bytes(p) for p in c.demux(c.streams.audio) if p.size]
    return frames, audio


def _manifest_rows(folder):
    with sqlite3.connect(folder / "colorize-manifest.sqlite") as db:
        return db.execute("SELECT source, status, output, output_sha256 FROM items").fetchall()


def test_kill_then_resume_gives_identical_outputs(tmp_path, cli, random_weights):
    src = _archive(tmp_path / "archive", n=60)
    ref = tmp_path / "ref"
    assert cli("run", src, "-o", ref, "--weights", random_weights).returncode == 0
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "colorize_cli", "run", str(src), "-o", str(out), "--weights", str(random_weights)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline and len(list(out.rglob("*.png"))) < 10:
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    partial_done = len(list(out.rglob("p*.png")))
    assert 0 < partial_done < 60
    r = cli("run", src, "-o", out, "--weights", random_weights, "--json")
    assert r.returncode == 0, r.stderr
    lines = [json.loads(x) for x in r.stdout.splitlines()]
    assert sum(x.get("status") == "skipped" for x in lines) >= partial_done - 1
    got, want = _files(out), _files(ref)
    assert set(got) == set(want) and not any(".partial" in k for k in got)
    for k in want:
        if k.endswith(".png"):
            assert got[k] == want[k], k
    rows = _manifest_rows(out)
    assert len(rows) == 61 and all(status == "done" for _, status, _, _ in rows)
    from colorize_cli.jobs.manifest import file_sha256
    from pathlib import Path
    assert all(file_sha256(out / o) == sha for _, _, o, sha in rows)   # outputs relative to the job folder


def test_rerun_skips_changed_setting_or_input_redone(tmp_path, cli, random_weights):
    src = _archive(tmp_path / "a", n=4, video=False)
    out = tmp_path / "o"
    assert cli("run", src, "-o", out, "--weights", random_weights).returncode == 0
    r = cli("run", src, "-o", out, "--weights", random_weights, "--json")
    assert json.loads(r.stdout.splitlines()[-1])["summary"]["skipped"] == 4
    # a changed input is redone, the others skipped
    Image.fromarray(np.zeros((64, 96), np.uint8)).save(src / "box0" / "p000.png")
    r = cli("run", src, "-o", out, "--weights", random_weights, "--json")
    s = json.loads(r.stdout.splitlines()[-1])["summary"]
    assert (s["done"], s["skipped"]) == (1, 3)
    # a changed setting redoes everything (and may replace the job's own outputs)
    r = cli("run", src, "-o", out, "--weights", random_weights, "--saturation", "0.5", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout.splitlines()[-1])["summary"]["done"] == 4
    # an output edited by hand is the user's now: a conflict (exit 2), replaced only with --overwrite
    (out / "box1" / "p001.png").write_bytes(b"tampered")
    r = cli("run", src, "-o", out, "--weights", random_weights, "--saturation", "0.5", "--json")
    assert r.returncode == 2 and "p001.png" in r.stderr
    assert (out / "box1" / "p001.png").read_bytes() == b"tampered"
    r = cli("run", src, "-o", out, "--weights", random_weights, "--saturation", "0.5", "--json", "--overwrite")
    assert json.loads(r.stdout.splitlines()[-1])["summary"]["done"] == 1


def test_corrupt_and_empty_files_reported_rest_finished(tmp_path, cli, random_weights):
    src = _archive(tmp_path / "a", n=3, video=False)
    (src / "zero.jpg").write_bytes(b"")
    (src / "bad.mp4").write_bytes(b"\x00" * 5000)
    out = tmp_path / "o"
    r = cli("run", src, "-o", out, "--weights", random_weights)
    assert r.returncode == 1
    assert "zero.jpg" in r.stderr and "bad.mp4" in r.stderr
    assert len(list(out.rglob("p*.png"))) == 3
    s = cli("status", out, "--json")
    info = json.loads(s.stdout)
    assert (info["done"], info["failed"], info["total"]) == (3, 2, 5)


def test_unwritable_output_fails_before_work(tmp_path, cli, random_weights):
    src = _archive(tmp_path / "a", n=2, video=False)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    r = cli("run", src, "-o", blocker / "sub", "--weights", random_weights)
    assert r.returncode == 2 and "not writable" in r.stderr


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_read_only_output_folder(tmp_path, cli, random_weights):
    src = _archive(tmp_path / "a", n=2, video=False)
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    r = cli("run", src, "-o", ro, "--weights", random_weights)
    assert r.returncode == 2 and "not writable" in r.stderr


def test_odd_names_lists_and_globs(tmp_path, cli, random_weights):
    d = tmp_path / "in"
    d.mkdir()
    names = ["with space.png", "ünïcødé 写真.png", "-dash.png"]
    for n in names:
        Image.fromarray(np.full((30, 40), 90, np.uint8)).save(d / n)
    out = tmp_path / "out"
    listing = tmp_path / "list.txt"
    listing.write_text(f"{d / names[0]}\n# a comment\n{d / names[1]}\n")
    r = cli("run", f"@{listing}", str(d / "-*.png"), "-o", out, "--weights", random_weights)
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in out.glob("*.png")) == sorted(names)
    r = cli("run", "--weights", random_weights, "--", str(d / "-dash.png"))
    assert r.returncode == 0 and (d / "-dash_color.png").is_file()


def test_dry_run_plans_5000_files_without_model(tmp_path, cli):
    """(How fast is a benchmark's business, never a test's.)"""
    d = tmp_path / "big"
    d.mkdir()
    tiny = Image.new("L", (8, 8), 50)
    for i in range(5000):
        tiny.save(d / f"{i:05d}.png")
    from colorize_cli.models import get_spec

    assert not get_spec("eccv16").has_weights   # so a run that loaded the model would fail
    r = cli("run", d, "-o", tmp_path / "out", "--dry-run", "--json", "--model", "eccv16")
    assert r.returncode == 0, r.stderr
    plan = json.loads(r.stdout.splitlines()[-1])["plan"]
    assert plan["items"] == 5000 and plan["frames"] == 5000
    assert not (tmp_path / "out").exists()


def test_api_progress_callback_and_results(tmp_path, random_weights):
    from colorize_cli.api import Colorizer

    src = _archive(tmp_path / "a", n=3, video=True)
    seen = []
    results = list(Colorizer(weights=random_weights).run([src], tmp_path / "o", on_item=seen.append))
    assert len(results) == len(seen) == 4 and all(r.status == "done" for r in results)
    assert sum(r.frames for r in results) == 43


def test_twenty_random_kills_then_resume_equal_one_clean_run(tmp_path, cli, random_weights):
    """kill -9 at random moments (seeded) of a job over photos and a segmented film, resumed each
    time: every output present once, byte-identical to an uninterrupted run, nothing partial."""
    src = _archive(tmp_path / "archive", n=24, video=False)
    make_clip(src / "reel.mkv", frames=96, size=(160, 96), codec="ffv1", audio=True)
    args = ["--weights", str(random_weights), "--codec", "ffv1", "--segment-seconds", "1"]
    ref = tmp_path / "ref"
    assert cli("run", src, "-o", ref, *args).returncode == 0
    want = _files(ref)
    rng = np.random.default_rng(42)
    kills, cycle = 0, 0
    while kills < 20:
        cycle += 1
        out = tmp_path / f"out{cycle}"
        cmd = [sys.executable, "-m", "colorize_cli", "run", str(src), "-o", str(out), *map(str, args)]
        for _ in range(50):
            proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            deadline = time.time() + 120
            while time.time() < deadline and proc.poll() is None and not (out / "colorize-manifest.sqlite").exists():
                time.sleep(0.01)
            time.sleep(rng.uniform(0.0, 1.2))
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGKILL)
                kills += 1
            proc.wait()
            if proc.returncode == 0:
                break
        r = cli("run", src, "-o", out, *args, "--json")      # and a last resume, uninterrupted
        assert r.returncode == 0, r.stderr
        got = _files(out)
        assert set(got) == set(want), sorted(set(got) ^ set(want))   # same names, no .partial files
        for k in want:
            if k.endswith(".mkv"):
                assert _film_content(out / k) == _film_content(ref / k), k
            else:
                assert got[k] == want[k], k
        assert all(status == "done" for _, status, _, _ in _manifest_rows(out))
        assert not list((out / ".colorize-work").rglob("*.nut")) if (out / ".colorize-work").exists() else True


def test_two_runs_at_once_one_works_the_other_says_why(tmp_path, cli, random_weights):
    src = _archive(tmp_path / "archive", n=12, video=False)
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "colorize_cli", "run", str(src), "-o", str(out), "--weights", str(random_weights)]
    procs = [subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    codes = sorted((p.wait(), p.stderr.read()) for p in procs)
    assert codes[0][0] == 0
    assert codes[1][0] in (0, 2)   # the second either found the job finished, or was refused
    if codes[1][0] == 2:
        assert "another colorize job is writing here" in codes[1][1]
    assert len(list(out.rglob("*.png"))) == 12 and not list(out.rglob("*.partial*"))
    assert all(status == "done" for _, status, _, _ in _manifest_rows(out))


def test_a_full_disk_fails_cleanly_and_resumes(tmp_path, cli, random_weights):
    """Writes beyond a file-size limit fail like a full disk (EFBIG): the run reports failures in
    one line each, leaves no partial file, and a later run completes to the clean result."""
    import resource

    src = _archive(tmp_path / "archive", n=9, video=False)
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (700, 900), np.uint8)).save(src / "big.png")
    ref, out = tmp_path / "ref", tmp_path / "out"
    assert cli("run", src, "-o", ref, "--weights", random_weights).returncode == 0

    def small_disk():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (300_000, 300_000))   # the big photo cannot fit
    cmd = [sys.executable, "-m", "colorize_cli", "run", str(src), "-o", str(out), "--weights", str(random_weights)]
    r = subprocess.run(cmd, capture_output=True, text=True, preexec_fn=small_disk, timeout=300)
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr[-2000:]
    assert "big.png" in r.stderr and not list(out.rglob("*.partial*"))
    assert cli("run", src, "-o", out, "--weights", random_weights).returncode == 0
    assert _files(out) == _files(ref)


def test_photos_computed_ahead_are_written_in_order_and_equal_to_one_at_a_time(tmp_path, monkeypatch):
    """With two threads a CPU run decodes and colorizes the next photos in threads while it writes
    the one before; the results still come in order, a damaged photo still fails alone with its
    own line, and the files are those of a run that does one photo at a time."""
    import threading
    from pathlib import Path

    from media import colourful_frame

    from colorize_cli.api import Colorizer, RunOptions
    from colorize_cli.pipeline import item as item_module

    src = tmp_path / "in"
    src.mkdir()
    for i in range(7):
        Image.fromarray(colourful_frame(i * 5, 64, 48)).convert("L").save(src / f"p{i}.png")
    (src / "p3.png").write_bytes(b"\x89PNG\r\n\x1a\n not a png")
    threads_seen: list = []
    work = item_module.photo_work

    def spy(session, item, options, *more):
        threads_seen[-1].append(threading.current_thread().name)
        return work(session, item, options, *more)

    monkeypatch.setattr(item_module, "photo_work", spy)
    outs = {}
    for k, (n, depth) in enumerate(((2, None), (1, None), (2, 0))):
        threads_seen.append([])
        cz = Colorizer("baseline-cnn", "cpu", batch_size=1, threads=n)
        results = list(cz.run([src], tmp_path / f"out{k}", RunOptions(photos_ahead=depth)))
        assert [Path(r.source).name for r in results] == [f"p{i}.png" for i in range(7)]
        assert [r.status for r in results] == ["done"] * 3 + ["failed"] + ["done"] * 3
        assert "p3.png" in results[3].error and len(results[3].error.splitlines()) == 1
        outs[k] = {p.name: np.asarray(Image.open(p)) for p in (tmp_path / f"out{k}").glob("*.png")}
        assert not list((tmp_path / f"out{k}").glob("*partial*"))
    assert sorted(outs[0]) == sorted(outs[1]) == sorted(outs[2]) and len(outs[1]) == 6
    assert all(np.array_equal(outs[0][name], outs[1][name]) for name in outs[1])
    assert sum(name.startswith("photo") for name in threads_seen[0]) >= 5   # two threads: ahead
    assert threads_seen[1] == threads_seen[2] == ["MainThread"] * 7            # one thread, or 0 ahead


def _grey_photos(folder, n: int):
    folder.mkdir()
    for i in range(n):
        Image.fromarray(np.full((48, 64), 40, np.uint8)).save(folder / f"p{i}.png")
    return folder


def _replace_after_read(monkeypatch, item_module, name: str, ahead_only=lambda: True) -> list:
    """photo_work spied: the first time `name` has been read (where ahead_only() holds), the file
    is replaced by a brighter one. Returns the list that records the replacement."""
    work = item_module.photo_work
    replaced = []

    def spy(session, item, options, *more):
        out = work(session, item, options, *more)
        if item.source.name == name and ahead_only() and not replaced:
            Image.fromarray(np.full((48, 64), 210, np.uint8)).save(item.source)   # replaced after the read
            replaced.append(True)
        return out

    monkeypatch.setattr(item_module, "photo_work", spy)
    return replaced


def test_a_photo_replaced_after_the_look_ahead_read_it_is_colorized_from_the_new_file(tmp_path, monkeypatch):
    """Issue #23 item 3: the look-ahead decoded the old file, the runner admitted the new one; the
    output must be the new file's and the manifest must never call the old content done."""
    import threading

    from pathlib import Path

    from colorize_cli.api import Colorizer, RunOptions
    from colorize_cli.colorspace import rgb_to_lab
    from colorize_cli.pipeline import item as item_module
    import torch

    src = _grey_photos(tmp_path / "in", 4)
    replaced = _replace_after_read(monkeypatch, item_module, "p2.png",
                                   ahead_only=lambda: threading.current_thread().name.startswith("photo"))
    cz = Colorizer("baseline-cnn", "cpu", batch_size=1, threads=2)
    results = list(cz.run([src], tmp_path / "out", RunOptions(photos_ahead=2)))
    assert replaced, "the look-ahead never read p2 (nothing tested)"
    by = {Path(r.source).name: r for r in results}
    assert all(r.status == "done" for n, r in by.items() if n != "p2.png"), [r.error for r in results]
    if by["p2.png"].status != "done":
        # the runner admitted p2 before the look-ahead's read finished (a loaded machine): then the
        # publish sees the replacement and refuses; the next run colorizes the new file
        assert "changed on disk" in by["p2.png"].error, by["p2.png"].error
        results = list(cz.run([src], tmp_path / "out", RunOptions(photos_ahead=2)))
        assert {Path(r.source).name: r.status for r in results}["p2.png"] == "done"
    rgb = np.asarray(Image.open(tmp_path / "out" / "p2.png").convert("RGB"))
    L_out = rgb_to_lab(torch.from_numpy(rgb).permute(2, 0, 1)[None].float() / 255)[0, 0].mean()
    L_new = rgb_to_lab(torch.full((1, 3, 1, 1), 210 / 255))[0, 0].mean()
    assert abs(float(L_out - L_new)) < 1.0
    r = list(cz.run([src], tmp_path / "out", RunOptions(photos_ahead=2)))   # and the rerun agrees
    assert [x.status for x in r] == ["skipped"] * 4


def test_a_photo_replaced_while_it_is_colorized_is_not_published(tmp_path, monkeypatch):
    """The publish re-checks the source: replaced after its admission and its read, the output
    (the old file's colours) is not published and the manifest does not call it done."""
    from pathlib import Path

    from colorize_cli.api import Colorizer, RunOptions
    from colorize_cli.pipeline import item as item_module

    src = _grey_photos(tmp_path / "in", 2)
    replaced = _replace_after_read(monkeypatch, item_module, "p1.png")
    cz = Colorizer("baseline-cnn", "cpu", batch_size=1, threads=1)
    by = {Path(r.source).name: r for r in cz.run([src], tmp_path / "out", RunOptions(photos_ahead=0))}
    assert by["p0.png"].status == "done"
    assert by["p1.png"].status == "failed" and "changed on disk" in by["p1.png"].error
    assert not (tmp_path / "out" / "p1.png").exists() and not list((tmp_path / "out").glob(".*partial*"))
    by = {Path(r.source).name: r.status for r in cz.run([src], tmp_path / "out", RunOptions(photos_ahead=0))}
    assert by == {"p0.png": "skipped", "p1.png": "done"}
