"""Hints on a film's frame follow the shot, forward and backward, and stop at a cut (issue #24)."""
import json

import av
import numpy as np
import torch

from colorize_cli.colorspace import rgb_to_lab
from colorize_cli.io.video import encode_frames
from media import scene_film


def _ab(frame, box):
    rgb = frame.to_ndarray(format="rgb24")
    lab = rgb_to_lab(torch.from_numpy(rgb).permute(2, 0, 1)[None].float() / 255)[0].numpy()
    y0, y1, x0, x1 = box
    return lab[1:, y0:y1, x0:x1].reshape(2, -1).mean(1)


def test_a_frame_hint_colours_its_shot_and_nothing_after_the_cut(tmp_path, cli, random_weights):
    src = scene_film(tmp_path / "film.mkv")
    hints = tmp_path / "film.json"
    # frame 10: the square spans x 40-80, y 44-84; its centre (60, 64)
    hints.write_text(json.dumps({"frames": {"10": [[60, 64, "#2050d0", 6]]}}))
    auto, hinted = tmp_path / "auto.mkv", tmp_path / "hinted.mkv"
    common = ["--weights", random_weights, "--crf", "0", "--preset", "ultrafast"]
    assert cli("run", src, "-o", auto, *common).returncode == 0
    r = cli("run", src, "-o", hinted, *common, "--hints", hints)
    assert r.returncode == 0, r.stderr
    want = rgb_to_lab(torch.tensor([0x20, 0x50, 0xd0]).float().view(1, 3, 1, 1) / 255)[0, 1:, 0, 0].numpy()
    with av.open(str(auto)) as a, av.open(str(hinted)) as b:
        fa, fb = list(a.decode(video=0)), list(b.decode(video=0))
    assert len(fa) == len(fb) == 40
    for i in (0, 5, 10, 20, 29):          # backward and forward of the hinted frame, in the shot
        x0 = 20 + 2 * i
        box = (54, 74, x0 + 12, x0 + 28)
        err_h = np.abs(_ab(fb[i], box) - want).max()
        err_a = np.abs(_ab(fa[i], box) - want).max()
        assert err_h < 15 and err_h < err_a - 10, (i, err_h, err_a)
    for i in (30, 35, 39):                # after the cut: the automatic film's colour
        box = (20, 40, 130, 150)
        assert np.abs(_ab(fb[i], box) - _ab(fa[i], box)).max() < 2.0, i


def test_segmented_hinted_film_equals_the_continuous_one(tmp_path, cli, random_weights):
    src = scene_film(tmp_path / "film.mkv", n=60, cut=60)
    regop = tmp_path / "gop.mkv"       # keyframes every 12 frames: several segments
    with av.open(str(src)) as i, av.open(str(regop), "w") as o:
        v = o.add_stream("libx264", rate=24, options={"g": "12", "preset": "ultrafast", "crf": "10"})
        v.width, v.height, v.pix_fmt = 192, 128, "yuv420p"
        for f in i.decode(video=0):
            for p in v.encode(f):
                o.mux(p)
        for p in v.encode():
            o.mux(p)
    hints = tmp_path / "h.json"
    hints.write_text(json.dumps({"frames": {"30": [[100, 64, "#d03020", 6]]}}))
    common = ["--weights", random_weights, "--codec", "ffv1", "--hints", hints]
    assert cli("run", regop, "-o", tmp_path / "whole.mkv", *common).returncode == 0
    r = cli("run", regop, "-o", tmp_path / "seg", *common, "--segment-seconds", "1")
    assert r.returncode == 0, r.stderr
    with av.open(str(tmp_path / "whole.mkv")) as a, av.open(str(tmp_path / "seg" / "gop.mkv")) as b:
        fa = [f.to_ndarray(format="yuv444p") for f in a.decode(video=0)]
        fb = [f.to_ndarray(format="yuv444p") for f in b.decode(video=0)]
    assert len(fa) == len(fb) == 60
    assert max(int(np.abs(x.astype(int) - y).max()) for x, y in zip(fa, fb)) <= 2


def _colour_pan(path, n=12, w=320, h=240):
    """Four coloured quadrants with a luma texture (so points can be tracked), panning 2 px a frame."""
    rng = np.random.default_rng(0)
    tex = 0.55 + 0.45 * rng.random((h // 8, (w + 2 * n) // 8)).repeat(8, 0).repeat(8, 1)
    colours = np.array([[[200, 40, 40], [40, 180, 60]], [[50, 70, 210], [220, 200, 40]]], float)
    quad = colours[(np.arange(h) >= h // 2).astype(int)[:, None], (np.arange(w + 2 * n) >= (w + 2 * n) // 2).astype(int)[None, :]]
    scene = (quad * tex[..., None]).clip(0, 255).astype(np.uint8)
    with av.open(str(path), "w") as out:
        v = out.add_stream("libx264", rate=24, options={"crf": "10", "preset": "ultrafast"})
        v.width, v.height, v.pix_fmt = w, h, "yuv420p"
        encode_frames(out, v, (av.VideoFrame.from_ndarray(np.ascontiguousarray(scene[:, 2 * i:2 * i + w]),
                                                          format="rgb24") for i in range(n)))
    return path


def test_eval_video_has_a_hinted_shot_row(tmp_path, cli):
    """`colorize eval --video CLIP --hints K`: K true-colour points on one frame lift the rest of
    the shot, measured through the run path (shipped baseline-cnn)."""
    clip = _colour_pan(tmp_path / "pan.mp4")
    r = cli("eval", "--video", clip, "--hints", "0,6", "--frames", "12", "--model", "baseline-cnn",
            "--engine", "cpu", "--json")
    assert r.returncode == 0, r.stderr
    (row,) = json.loads(r.stdout)["hinted_shots"]
    assert (row["points"], row["shot_frames"], row["frames"], row["leak_after_cut"]) == (6, 12, 12, None)
    assert row["psnr_hinted"] > row["psnr_auto"] + 1.0, row
