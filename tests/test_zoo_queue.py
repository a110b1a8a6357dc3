"""The seed comparison's queue (scripts/train_zoo.py) in a tiny configuration: a model trained,
exported and installed, skipped when run again, then used by `colorize run` like a shipped one;
a model without weights says how to train them. (No training quality is asserted here.)"""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image

from media import make_clip, video_frames

ROOT = Path(__file__).resolve().parent.parent


def _run(args, env, cwd):
    return subprocess.run([sys.executable, *map(str, args)], capture_output=True, text=True, env=env, cwd=cwd,
                          timeout=900)


NAME = "pix2pix-mobilenet"     # a seed model whose int8 file is over 12 MB: it never ships


def test_the_queue_trains_installs_resumes_and_the_model_then_runs(tmp_path):
    data = tmp_path / "photos"
    data.mkdir()
    rng = np.random.default_rng(0)
    for i in range(6):
        Image.fromarray(rng.integers(0, 255, (40, 40, 3), dtype=np.uint8)).save(data / f"{i}.png")
    env = {**os.environ, "COLORIZE_CACHE": str(tmp_path / "cache")}
    queue = [ROOT / "scripts" / "train_zoo.py", "--data", data, "--out", tmp_path / "zoo", "--models", NAME,
             "--steps", "2", "--size", "32", "--eval-every", "1", "--install"]
    r = _run(queue, env, tmp_path)
    assert r.returncode == 0, r.stderr
    state = json.loads((tmp_path / "zoo" / "queue.json").read_text())[NAME]
    installed = tmp_path / "cache" / "models" / f"{NAME}.onnx"
    assert state["status"] == "done" and state["steps"] == 2 and state["placed"] == str(installed)
    card = json.loads(installed.with_suffix(".json").read_text())
    assert card["protocol"]["steps"] == 2 and card["protocol"]["crop"] == 32 and card["bytes"] == installed.stat().st_size
    assert card["render_size"] == 32                          # runs see photos at the scale it trained at
    older = {k: v for k, v in card.items() if k != "render_size"}
    installed.with_suffix(".json").write_text(json.dumps(older))      # as a card from before that rule
    before = installed.stat().st_mtime_ns
    again = _run(queue, env, tmp_path)                        # the same command resumes: nothing to redo
    assert again.returncode == 0 and f"{NAME}: done earlier" in again.stdout
    assert installed.stat().st_mtime_ns == before
    assert json.loads(installed.with_suffix(".json").read_text()) == {**older, "render_size": 32}   # stamped

    m = _run(["-m", "colorize_cli", "models", "--json"], env, tmp_path)
    rows = {row["name"]: row for row in map(json.loads, m.stdout.splitlines())}
    assert rows[NAME]["source"] == "installed" and rows["lite-unet"]["source"] == "shipped"
    assert rows["eccv16"]["source"] == "trainable"

    Image.fromarray(rng.integers(0, 255, (48, 64), dtype=np.uint8)).save(tmp_path / "g.png")
    make_clip(tmp_path / "f.mp4", frames=6, size=(64, 48), audio=False)
    run = _run(["-m", "colorize_cli", "run", "g.png", "f.mp4", "-o", "out/", "--model", NAME, "--engine", "cpu"],
               env, tmp_path)
    assert run.returncode == 0, run.stderr
    assert np.asarray(Image.open(tmp_path / "out" / "g.png")).shape == (48, 64, 3)
    assert len(video_frames(tmp_path / "out" / "f.mp4")) == 6

    missing = _run(["-m", "colorize_cli", "run", "g.png", "-o", "e.png", "--model", "eccv16"], env, tmp_path)
    assert missing.returncode == 2 and "scripts/train_zoo.py --models eccv16" in missing.stderr
    assert str(tmp_path / "cache" / "models") in missing.stderr and missing.stderr.count("\n") == 1


def test_ship_never_replaces_weights_that_ship_from_a_longer_training(tmp_path, monkeypatch):
    import importlib.util
    from argparse import Namespace
    from types import SimpleNamespace

    spec_ = importlib.util.spec_from_file_location("train_zoo", ROOT / "scripts" / "train_zoo.py")
    zoo = importlib.util.module_from_spec(spec_)
    spec_.loader.exec_module(zoo)
    monkeypatch.setenv("COLORIZE_CACHE", str(tmp_path / "cache"))
    made = tmp_path / "run" / "m.onnx"
    made.parent.mkdir()
    made.write_bytes(b"queue weights")
    made.with_suffix(".json").write_text(json.dumps({"protocol": {"made_by": "scripts/train_zoo.py"}}))
    shipped = tmp_path / "package" / "m.onnx"
    shipped.parent.mkdir()
    shipped.write_bytes(b"longer training")
    shipped.with_suffix(".json").write_text(json.dumps({"steps": 5000}))
    spec = SimpleNamespace(shipped_path=shipped)
    placed = zoo.place(spec, made, Namespace(ship=True, install=False))
    assert shipped.read_bytes() == b"longer training"                       # kept
    assert placed == str(tmp_path / "cache" / "models" / "m.onnx") and Path(placed).read_bytes() == b"queue weights"
    shipped.with_suffix(".json").write_text(json.dumps({"protocol": {"made_by": "scripts/train_zoo.py"}}))
    assert zoo.place(spec, made, Namespace(ship=True, install=False)) == str(shipped)   # the queue's own: replaced
    assert shipped.read_bytes() == b"queue weights"


def test_every_seed_model_ships_the_card_of_its_comparison_run():
    """Issue #30: each of the ten seed models has the card of its run under the one protocol
    (sha256, protocol, val numbers), whether its weights ship or not; a shipped queue file is the
    file that card describes, and `colorize models` shows a trainable model's measured gain."""
    import importlib.util

    from colorize_cli.files import file_sha256
    from colorize_cli.inventory import models
    from colorize_cli.models import get_spec

    spec_ = importlib.util.spec_from_file_location("train_zoo", ROOT / "scripts" / "train_zoo.py")
    zoo = importlib.util.module_from_spec(spec_)
    spec_.loader.exec_module(zoo)
    steps = set()
    for name in zoo.SEED_ZOO:
        card = get_spec(name).reference_card()
        assert card["model"] == name and card["protocol"]["made_by"] == "scripts/train_zoo.py", name
        assert card["protocol"]["crop"] == 128 and len(card["sha256"]) == 64
        val = card["seed_comparison"]["val_256"]
        assert abs(val["gain_db"] - (val["psnr"] - card["seed_comparison"]["gray_psnr"])) < 1e-3
        steps.add(card["protocol"]["steps"])
        shipped = get_spec(name).shipped_path
        if card["seed_comparison"]["shipped"]:
            assert file_sha256(shipped) == card["sha256"] and card["bytes"] <= zoo.SHIP_LIMIT
        else:
            assert card["bytes"] > zoo.SHIP_LIMIT or shipped.is_file()   # too big, or a longer training ships
    assert len(steps) == 1                                               # one budget for all ten
    rows = {r["name"]: r for r in models()}
    assert rows["inception-fusion"]["seed_comparison_gain_db"] == get_spec("inception-fusion").reference_card()[
        "seed_comparison"]["val_256"]["gain_db"]
