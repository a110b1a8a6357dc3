"""`colorize preview` follows run's rules: it never replaces an input or a file it did not write,
and every bad input or option is one line and a non-zero exit (issue #23 items 1 and 17)."""
import os

import av
import numpy as np
from PIL import Image

from media import make_clip


def _photo(path):
    Image.new("L", (64, 48), 90).save(path)
    return path


def test_preview_never_writes_over_its_input(tmp_path, cli, random_weights):
    film = make_clip(tmp_path / "film.mp4", frames=12, size=(96, 64))
    before = film.read_bytes()
    for extra in ([], ["--overwrite"]):       # not even with --overwrite
        r = cli("preview", film, "-o", film, "--frames", "2", "--weights", random_weights, *extra)
        assert r.returncode == 2, r.stderr
        assert "film.mp4" in r.stderr and "input" in r.stderr and "Traceback" not in r.stderr
        assert film.read_bytes() == before
    photo = _photo(tmp_path / "p.png")
    before = photo.read_bytes()
    r = cli("preview", photo, "-o", photo, "--weights", random_weights)
    assert r.returncode == 2 and photo.read_bytes() == before
    assert not list(tmp_path.glob(".*partial*"))


def test_preview_keeps_an_existing_file_unless_overwrite(tmp_path, cli, random_weights):
    photo = _photo(tmp_path / "p.png")
    notes = tmp_path / "notes.png"
    notes.write_bytes(b"my notes")
    r = cli("preview", photo, "-o", notes, "--weights", random_weights)
    assert r.returncode == 2 and "notes.png" in r.stderr and "--overwrite" in r.stderr
    assert notes.read_bytes() == b"my notes"
    r = cli("preview", photo, "-o", notes, "--weights", random_weights, "--overwrite")
    assert r.returncode == 0, r.stderr
    assert Image.open(notes).format == "PNG"


def test_preview_output_format_follows_the_name(tmp_path, cli, random_weights):
    photo = _photo(tmp_path / "p.png")
    for name, fmt in (("s.jpg", "JPEG"), ("s.webp", "WEBP"), ("s.png", "PNG")):
        r = cli("preview", photo, "-o", tmp_path / name, "--weights", random_weights)
        assert r.returncode == 0, r.stderr
        assert Image.open(tmp_path / name).format == fmt
    r = cli("preview", photo, "-o", tmp_path / "s.txt", "--weights", random_weights)
    assert r.returncode == 2 and "s.txt" in r.stderr and not (tmp_path / "s.txt").exists()


def test_preview_bad_inputs_and_options_are_one_line(tmp_path, cli, random_weights):
    photo = _photo(tmp_path / "p.png")
    empty_dir = tmp_path / "emptyd"
    empty_dir.mkdir()
    r = cli("preview", photo, "-o", empty_dir, "--weights", random_weights)
    assert r.returncode == 2 and "emptyd" in r.stderr and "Traceback" not in r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["emptyd", "p.png"]
    r = cli("preview", photo, "-o", tmp_path / "s.png", "--width", "0", "--weights", random_weights)
    assert r.returncode == 2 and "Traceback" not in r.stderr and not (tmp_path / "s.png").exists()

    fifo = tmp_path / "pipe.mp4"
    os.mkfifo(fifo)                      # opening it would block for ever
    r = cli("preview", fifo, "-o", tmp_path / "s.png", "--weights", random_weights)
    assert r.returncode == 1 and "pipe.mp4" in r.stderr and "not a regular file" in r.stderr

    audio = tmp_path / "voice.m4a"
    with av.open(str(audio), "w") as out:
        a = out.add_stream("aac", rate=48000)
        a.layout = "mono"
        for i in range(10):
            f = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
            f.sample_rate, f.pts = 48000, i * 1024
            for p in a.encode(f):
                out.mux(p)
        for p in a.encode():
            out.mux(p)
    r = cli("preview", audio, "-o", tmp_path / "s.png", "--weights", random_weights)
    assert r.returncode == 1 and "voice.m4a: no video stream" in r.stderr

    zero = tmp_path / "zero.mkv"
    with av.open(str(zero), "w") as out:
        v = out.add_stream("libx264", rate=24)
        v.width, v.height, v.pix_fmt = 64, 48, "yuv420p"
        out.start_encoding()
    assert zero.stat().st_size > 0
    r = cli("preview", zero, "-o", tmp_path / "s.png", "--weights", random_weights)
    assert r.returncode == 1 and "zero.mkv" in r.stderr and "no frames" in r.stderr
    assert not (tmp_path / "s.png").exists() and not list(tmp_path.glob(".*partial*"))
