"""Every model whose weights ship in the package colorizes a photo and a film through `colorize
run --model NAME` (issue #30): the list is read from the zoo, so a model that starts shipping is
tested without editing this file."""
import numpy as np
import pytest
from PIL import Image

from colorize_cli.models import get_spec, list_models
from media import colourful_frame, make_clip, video_frames

SHIPPED = sorted(name for name in list_models() if get_spec(name).weights_source == "shipped")


def _chroma(rgb: np.ndarray) -> float:
    rgb = rgb.astype(np.float64)
    return float(np.abs(rgb - rgb.mean(axis=2, keepdims=True)).mean())


def test_the_design_example_and_the_default_ship():
    assert {"lite-unet", "pix2pix-densenet"} <= set(SHIPPED)


@pytest.mark.parametrize("name", SHIPPED)
def test_a_shipped_model_colorizes_a_photo_and_a_film(tmp_path, cli, name):
    gray = np.asarray(Image.fromarray(colourful_frame(0, 96, 64)).convert("L"))
    Image.fromarray(gray).save(tmp_path / "photo.png")
    r = cli("run", tmp_path / "photo.png", "-o", tmp_path / "photo-out.png", "--model", name, "--engine", "cpu")
    assert r.returncode == 0, r.stderr
    out = np.asarray(Image.open(tmp_path / "photo-out.png").convert("RGB"))
    assert out.shape == (64, 96, 3) and _chroma(out) > 0.5, _chroma(out)      # colour appeared
    film = make_clip(tmp_path / "film.mp4", frames=6, size=(96, 64), gray=True, audio=False)
    r = cli("run", film, "-o", tmp_path / "film-out.mp4", "--model", name, "--engine", "cpu")
    assert r.returncode == 0, r.stderr
    frames = [f.to_ndarray(format="rgb24") for f in video_frames(tmp_path / "film-out.mp4")]
    assert len(frames) == 6 and frames[0].shape == (64, 96, 3)
    assert np.mean([_chroma(f) for f in frames]) > 0.5
