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


def _rgb16(h=48, w=64):
    y, x = np.mgrid[0:h, 0:w]
    return np.dstack([x * 1000 + 3, y * 1300 + 7, (x + y) * 550 + 11]).astype(np.uint16)


def _L16(rgb):
    import torch

    from colorize_cli.colorspace import rgb_to_lab

    t = torch.from_numpy(rgb.astype(np.float64) / 65535).permute(2, 0, 1)[None]
    return rgb_to_lab(t)[0, 0].numpy()


def _read16(path):
    import cv2

    a = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    assert a.dtype == np.uint16, a.dtype
    return a[..., [2, 1, 0]] if a.shape[2] == 3 else a[..., [2, 1, 0, 3]]


def test_16bit_rgb_and_rgba_png_stay_16bit_with_their_metadata(tmp_path, cli, random_weights):
    from PIL import ImageCms

    from media import png16

    rgb = _rgb16()
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    exif = Image.Exif()
    exif[0x010F] = "ScanCo"           # Make
    src = png16(tmp_path / "deep.png", rgb, dpi=600, icc=icc, exif=exif.tobytes())
    alpha = (np.arange(48 * 64).reshape(48, 64) * 21).astype(np.uint16)
    src_a = png16(tmp_path / "deep_a.png", rgb, alpha=alpha)
    out = tmp_path / "out"
    r = cli("run", src, src_a, "-o", out, "--weights", random_weights)
    assert r.returncode == 0, r.stderr
    got = _read16(out / "deep.png")
    assert got.shape == (48, 64, 3)
    assert np.abs(_L16(got) - _L16(rgb)).max() < 1.0        # L kept at 16-bit precision
    with Image.open(out / "deep.png") as im:
        assert round(im.info["dpi"][0]) == 600
        assert im.info.get("icc_profile") == icc
        assert im.getexif().get(0x010F) == "ScanCo"
    got_a = _read16(out / "deep_a.png")
    assert got_a.shape == (48, 64, 4) and np.array_equal(got_a[..., 3], alpha)


def test_pages_and_animation_are_refused_not_dropped(tmp_path, cli, random_weights):
    src = tmp_path / "in"
    src.mkdir()
    pages = [Image.new("L", (40, 30), 60 * i) for i in range(3)]
    pages[0].save(src / "scan.tif", save_all=True, append_images=pages[1:])
    pages[0].convert("RGB").save(src / "anim.png", save_all=True, append_images=[p.convert("RGB") for p in pages[1:]])
    pages[0].convert("RGB").save(src / "anim.webp", save_all=True, append_images=[p.convert("RGB") for p in pages[1:]],
                                 lossless=True)
    Image.new("L", (40, 30), 99).save(src / "one.tif")
    r = cli("run", src, "-o", tmp_path / "out", "--weights", random_weights)
    assert r.returncode == 1
    for name, what in (("scan.tif", "3 pages"), ("anim.png", "3 frames"), ("anim.webp", "3 frames")):
        line = [ln for ln in r.stderr.splitlines() if name in ln]
        assert line and what in line[0], r.stderr
        assert not (tmp_path / "out" / name).exists()
    assert (tmp_path / "out" / "one.tif").is_file()
