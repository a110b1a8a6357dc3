"""Photos under hostile input (issue #23 items 9, 10)."""
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from PIL import Image

from colorize_cli.errors import MediaError
from colorize_cli.io.image import read_photo


def test_the_pixel_limit_holds_when_photos_are_read_in_parallel(tmp_path):
    paths = []
    for i in range(6):          # 3000 x 3000 one-bit PNGs: small files, 9 MP each
        p = tmp_path / f"big{i}.png"
        Image.new("1", (3000, 3000), i % 2).save(p)
        paths.append(p)
    small = tmp_path / "small.png"
    Image.new("L", (100, 100), 7).save(small)

    def read(p):
        try:
            read_photo(p, max_pixels=1_000_000 if p != small else 10_000_000)
            return "read"
        except MediaError as e:
            assert "too large" in str(e)
            return "refused"
    for _ in range(4):
        with ThreadPoolExecutor(7) as pool:
            got = list(pool.map(read, [*paths, small] * 3))
        assert got == (["refused"] * 6 + ["read"]) * 3


def test_bomb_limit_in_a_folder_run_with_look_ahead(tmp_path, cli, random_weights):
    src = tmp_path / "in"
    src.mkdir()
    for i in range(4):
        Image.new("1", (3000, 3000), 1).save(src / f"big{i}.png")
    r = cli("run", src, "-o", tmp_path / "out", "--weights", random_weights, "--max-pixels", "1000000")
    assert r.returncode == 1
    assert sum("too large" in ln for ln in r.stderr.splitlines()) == 4
    assert "DecompressionBomb" not in r.stderr
