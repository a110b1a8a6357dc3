"""Colour hints for photos (issue #24): the file formats and their errors, no hints = automatic
output, no leak across a luma edge, hints part of the item's configuration."""
import json

import numpy as np
import pytest
import torch
from PIL import Image

from colorize_cli.colorspace import rgb_to_lab


def _lab(rgb8):
    return rgb_to_lab(torch.from_numpy(np.ascontiguousarray(rgb8)).permute(2, 0, 1)[None].float() / 255)[0].numpy()


def _scene(path, w=160, h=96):
    """Two grey squares of different lightness, side by side: a strong luma edge between them."""
    a = np.full((h, w), 70, np.uint8)
    a[:, w // 2:] = 190
    Image.fromarray(a).save(path)
    return path


def test_a_hint_colours_its_square_and_not_the_neighbour(tmp_path, cli, random_weights):
    src = _scene(tmp_path / "scene.png")
    hints = tmp_path / "scene.json"
    hints.write_text(json.dumps({"points": [[40, 48, "#c02020", 4]]}))
    auto, hinted = tmp_path / "auto.png", tmp_path / "hinted.png"
    assert cli("run", src, "-o", auto, "--weights", random_weights).returncode == 0
    r = cli("run", src, "-o", hinted, "--weights", random_weights, "--hints", hints, "--json")
    assert r.returncode == 0, r.stderr
    assert any("1 hint from" in w for w in json.loads(r.stdout.splitlines()[0])["warnings"])
    A, H = _lab(np.asarray(Image.open(auto).convert("RGB"))), _lab(np.asarray(Image.open(hinted).convert("RGB")))
    want = _lab(np.array([[[0xc0, 0x20, 0x20]]], np.uint8))[1:, 0, 0]
    left = H[1:, 10:86, 8:72].reshape(2, -1).mean(1)          # the whole hinted square, far corners too
    assert np.abs(left - want).max() < 12, (left, want)
    assert np.abs(A[1:, 10:86, 8:72].reshape(2, -1).mean(1) - want).max() > 20   # the network alone did not
    right_a, right_h = A[1:, :, 88:], H[1:, :, 88:]                # across the edge: unchanged
    assert np.abs(right_a - right_h).mean() < 1.5
    assert np.abs(H[0] - A[0]).max() < 1.0                          # L is the photo's


def test_a_hint_image_paints_strokes(tmp_path, cli, random_weights):
    src = _scene(tmp_path / "scene.png")
    layer = np.zeros((48, 80, 4), np.uint8)                       # half size: scaled to the photo
    layer[20:28, 5:35] = (30, 60, 200, 255)
    Image.fromarray(layer, "RGBA").save(tmp_path / "scene_hints.png")
    out = tmp_path / "out.png"
    r = cli("run", src, "-o", out, "--weights", random_weights, "--hints", tmp_path / "scene_hints.png")
    assert r.returncode == 0, r.stderr
    H = _lab(np.asarray(Image.open(out).convert("RGB")))
    want = _lab(np.array([[[30, 60, 200]]], np.uint8))[1:, 0, 0]
    assert np.abs(H[1:, 10:86, 8:72].reshape(2, -1).mean(1) - want).max() < 15


BAD = [
    ("notjson.json", b"{points: [", "not a JSON hint file"),
    ("shape.json", json.dumps({"points": [[1, 2]]}).encode(), "each point is"),
    ("outside.json", json.dumps({"points": [[500, 2, "#ffffff"]]}).encode(), "outside the 160x96 image"),
    ("colour.json", json.dumps({"points": [[1, 2, "red"]]}).encode(), "\"#rrggbb\""),
    ("radius.json", json.dumps({"points": [[1, 2, "#ff0000", -1]]}).encode(), "radius"),
    ("keys.json", json.dumps({"dots": []}).encode(), "a hint file holds"),
    ("frames.json", json.dumps({"frames": {"0": [[1, 2, "#ff0000"]]}}).encode(), "for films"),
]


@pytest.mark.parametrize("name,data,words", BAD, ids=[b[0] for b in BAD])
def test_bad_hint_files_are_one_line_and_exit_2(tmp_path, cli, random_weights, name, data, words):
    src = _scene(tmp_path / "scene.png")
    bad = tmp_path / name
    bad.write_bytes(data)
    r = cli("run", src, "-o", tmp_path / "out.png", "--weights", random_weights, "--hints", bad)
    assert r.returncode == 2, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and name in r.stderr and words in r.stderr, r.stderr
    assert not (tmp_path / "out.png").exists()


def test_hint_images_of_another_aspect_or_without_alpha(tmp_path, cli, random_weights):
    src = _scene(tmp_path / "scene.png")
    Image.new("RGBA", (50, 50)).save(tmp_path / "square.png")
    Image.new("RGB", (160, 96)).save(tmp_path / "opaque.png")
    for name, words in (("square.png", "aspect"), ("opaque.png", "alpha")):
        r = cli("run", src, "-o", tmp_path / "out.png", "--weights", random_weights, "--hints", tmp_path / name)
        assert r.returncode == 2 and words in r.stderr and name in r.stderr, r.stderr


def test_no_hints_is_the_automatic_output_and_a_changed_hint_file_redoes_only_its_item(
        tmp_path, cli, random_weights):
    src = tmp_path / "in"
    src.mkdir()
    for name in ("a", "b"):
        _scene(src / f"{name}.png")
    hints = tmp_path / "hints"
    hints.mkdir()
    (hints / "a.json").write_text(json.dumps({"points": [[40, 48, "#20c020"]]}))
    assert cli("run", src, "-o", tmp_path / "plain", "--weights", random_weights).returncode == 0
    r = cli("run", src, "-o", tmp_path / "out", "--weights", random_weights, "--hints", hints)
    assert r.returncode == 0, r.stderr
    # b has no hint file: byte for byte the automatic output; a differs
    assert (tmp_path / "out" / "b.png").read_bytes() == (tmp_path / "plain" / "b.png").read_bytes()
    assert (tmp_path / "out" / "a.png").read_bytes() != (tmp_path / "plain" / "a.png").read_bytes()
    r = cli("run", src, "-o", tmp_path / "out", "--dry-run", "--hints", hints, "--weights", random_weights)
    assert "1 hint from" in r.stdout and "2 done" in r.stdout.replace(",", ""), r.stdout
    (hints / "a.json").write_text(json.dumps({"points": [[40, 48, "#2020c0"]]}))
    r = cli("run", src, "-o", tmp_path / "out", "--weights", random_weights, "--hints", hints, "--json")
    rows = [json.loads(x) for x in r.stdout.splitlines() if '"source"' in x]
    status = {row["source"].rsplit("/", 1)[1]: row["status"] for row in rows}
    assert status == {"a.png": "done", "b.png": "skipped"}, status


def test_api_hints(random_weights):
    from colorize_cli.api import Colorizer
    from colorize_cli.errors import UsageError

    img = np.full((64, 96), 80, np.uint8)
    with Colorizer(weights=str(random_weights), engine="cpu") as cz:
        auto = cz.colorize_array(img)
        assert np.array_equal(cz.colorize_array(img, hints=[]), auto)
        red = cz.colorize_array(img, hints=[(10, 10, (200, 20, 20))])
        assert _lab(red)[1].mean() > _lab(auto)[1].mean() + 10
        with pytest.raises(UsageError):
            cz.colorize_array(img, hints=[(500, 10, (200, 20, 20))])
        with pytest.raises(UsageError):
            cz.colorize_array(img, hints=[(5, 10, (300, 20, 20))])
