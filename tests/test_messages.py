"""What a user reads (issue #28): one line when nothing is left, a line per item in a log, true
per-item figures, no encoder or tracer chatter."""
import json
import subprocess
import sys

import numpy as np
from PIL import Image

from conftest import run_cli


def _photos(folder, n=4):
    folder.mkdir()
    for i in range(n):
        Image.fromarray(np.full((40, 56), 30 * i + 20, np.uint8)).save(folder / f"p{i}.png")
    return folder


def test_a_finished_job_says_so_in_one_line_and_loads_no_model(tmp_path, cli, random_weights, monkeypatch):
    src = _photos(tmp_path / "in")
    out = tmp_path / "out"
    assert cli("run", src, "-o", out, "--weights", random_weights).returncode == 0
    from colorize_cli.pipeline import session

    def no_model(*a, **k):
        raise AssertionError("a model was loaded for a finished job")
    monkeypatch.setattr(session.Session, "__init__", no_model)
    r = cli("run", src, "-o", out, "--weights", random_weights)
    assert r.returncode == 0, r.stderr
    lines = r.stderr.strip().splitlines()
    assert "nothing to do: all 4 item(s)" in r.stderr and len(lines) <= 2, r.stderr
    assert "note:" not in r.stderr


def test_without_a_terminal_each_finished_item_is_a_line(tmp_path, cli, random_weights):
    src = _photos(tmp_path / "in", n=2)
    r = cli("run", src, "-o", tmp_path / "out", "--weights", random_weights)
    assert r.returncode == 0
    for i in range(2):
        assert any(f"p{i}.png -> " in ln and ln.rstrip().endswith(" s") for ln in r.stderr.splitlines()), r.stderr


def test_photos_computed_ahead_report_their_real_time(tmp_path, random_weights, monkeypatch):
    """The look-ahead's decode and colour seconds count in the item's time. No clock is read: the
    photo work reports fixed stage seconds, the item's own clock is stopped, so an item computed
    ahead reports exactly those seconds (without the fix it reported none of them)."""
    import types

    from colorize_cli.api import Colorizer, RunOptions
    from colorize_cli.pipeline import item as item_module

    src = _photos(tmp_path / "in", n=4)
    work = item_module.photo_work

    def fixed(session, item, options, *more):
        photo, rgb, _ = work(session, item, options, *more)
        return photo, rgb, {"decode": 5.0, "infer": 7.0}          # as if they took 12 s ahead

    monkeypatch.setattr(item_module, "photo_work", fixed)
    monkeypatch.setattr(item_module, "time", types.SimpleNamespace(perf_counter=lambda: 0.0))   # a stopped clock
    cz = Colorizer(weights=str(random_weights), engine="cpu", threads=2)
    res = list(cz.run([src], tmp_path / "out", RunOptions(photos_ahead=2)))
    ahead = [r for r in res if r.source.endswith(("p1.png", "p2.png", "p3.png"))]   # p0 is done in turn
    expected = 5.0 + 7.0      # the injected stage seconds, nothing measured
    assert ahead and all(r.seconds == expected for r in ahead), [(r.source, r.seconds) for r in res]


def test_no_x265_chatter_from_the_encoder_probe(tmp_path):
    r = run_cli("doctor")
    assert r.returncode == 0
    assert "x265 [info]" not in r.stderr and "CRF-28" not in r.stderr


def test_models_fits_80_columns(cli, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    r = cli("models")
    assert r.returncode == 0
    lines = r.stdout.splitlines()
    assert lines and max(len(ln) for ln in lines) <= 80, max(lines, key=len)
    assert "…" not in r.stdout and any(ln.startswith("lite-unet (default)") for ln in lines)
    from colorize_cli.models import get_spec        # a trainable model shows its measured gain
    gain = get_spec("eccv16").reference_card()["seed_comparison"]["val_256"]["gain_db"]
    assert f"our 200-step run: {gain:+.2f} dB" in " ".join(r.stdout.split())


def test_a_dry_run_on_a_new_folder_estimates_from_earlier_jobs(tmp_path, cli, random_weights, monkeypatch):
    monkeypatch.setenv("COLORIZE_CACHE", str(tmp_path / "cache"))
    src = _photos(tmp_path / "in")
    r = cli("run", src, "-o", tmp_path / "new0", "--dry-run", "--weights", random_weights)
    assert "time unknown" in r.stdout
    assert cli("run", src, "-o", tmp_path / "out", "--weights", random_weights).returncode == 0
    r = cli("run", src, "-o", tmp_path / "new", "--dry-run", "--weights", random_weights)
    assert r.returncode == 0 and "fps (from earlier jobs on this machine)" in r.stdout, r.stdout


def test_progress_in_a_terminal_ends_with_the_summary(tmp_path, cli, random_weights, monkeypatch):
    import io

    from rich.console import Console

    from colorize_cli.cli import common, run as run_cmd

    buf = io.StringIO()
    console = Console(file=buf, force_terminal=True, width=100)
    monkeypatch.setattr(common, "err_console", console)
    monkeypatch.setattr(run_cmd, "err_console", console)
    monkeypatch.setattr(run_cmd, "show_progress", lambda: True)
    src = _photos(tmp_path / "in", n=2)
    r = cli("run", src, "-o", tmp_path / "out", "--weights", random_weights)
    assert r.returncode == 0
    import re

    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", buf.getvalue())
    lines = [ln for ln in text.splitlines() if ln.strip()]
    assert lines[-1].startswith("done 2"), lines[-3:]          # the summary after the last redraw
    last_bar = [ln for ln in lines if ln.startswith("p1.png")][-1]
    assert "1/1" in last_bar and "fps" not in last_bar, last_bar   # a photo's bar ends full, no film fps
    assert run_cmd.short_name("deepremaster_a-bomb_blast_effects_part.mp4", 30).endswith("_part.mp4")
    assert len(run_cmd.short_name("x" * 100 + ".tiff", 40)) == 40


def test_the_onnx_export_prints_no_tracer_warnings(tmp_path):
    """pix2pix-densenet's first CPU run exported ONNX with pages of TracerWarning source listings."""
    import warnings

    from colorize_cli.engines.onnx_export import export_onnx
    from colorize_cli.models import create_model

    model = create_model("pix2pix-densenet", weights=None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        export_onnx(model, tmp_path / "m.onnx", 64, 64)
    assert (tmp_path / "m.onnx").stat().st_size > 0
    noisy = [w for w in caught if "Tracer" in type(w.message).__name__ or "Tracer" in str(w.category)]
    assert not noisy, [str(w.message)[:80] for w in noisy]


def test_every_run_option_says_its_default():
    from colorize_cli.options import ModelOptions, RunOptions, cli_fields

    for cls in (RunOptions, ModelOptions):
        for f in cli_fields(cls):
            if f.metadata["type"] is bool:
                continue            # a flag: off unless given
            assert "default" in f.metadata["help"], (cls.__name__, f.name, f.metadata["help"])
