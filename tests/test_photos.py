"""Photos: formats, bit depth, metadata, orientation, luminance kept."""
import numpy as np
import pytest
from PIL import Image

from colorize_cli.colorspace import rgb_to_lab
from media import colourful_frame


def _L(arr):
    import torch

    top = 65535.0 if arr.dtype == np.uint16 else 255.0
    t = torch.from_numpy(arr.astype(np.float32) / top).permute(2, 0, 1)[None]
    return rgb_to_lab(t)[0, 0].numpy()


def _gray(w=200, h=150):
    return colourful_frame(3, w, h).mean(-1).astype(np.uint8)


@pytest.mark.parametrize("ext", ["png", "tif", "webp", "bmp"])
def test_lossless_formats_keep_lightness(tmp_path, cli, random_weights, ext):
    src = tmp_path / f"photo.{ext}"
    Image.fromarray(_gray()).save(src, **({"lossless": True} if ext == "webp" else {}))
    r = cli("run", src, "--weights", random_weights)
    assert r.returncode == 0, r.stderr
    out = np.asarray(Image.open(tmp_path / f"photo_color.{ext}").convert("RGB"))
    assert out.shape == (150, 200, 3)
    gray3 = np.repeat(_gray()[..., None], 3, -1)
    assert np.abs(_L(out) - _L(gray3)).max() <= 1.0


def test_jpeg_keeps_exif_icc_dpi_and_orientation(tmp_path, cli, random_weights):
    from PIL import ImageCms

    img = Image.fromarray(colourful_frame(0, 120, 80))  # a colour (sepia-like) photo is fine too
    exif = Image.Exif()
    exif[0x0112] = 6            # rotate 90 CW to display
    exif[0x010F] = "TestCam"    # Make
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    src = tmp_path / "scan.jpg"
    img.save(src, exif=exif, icc_profile=icc, dpi=(600, 600), quality=95)
    r = cli("run", src, "--weights", random_weights)
    assert r.returncode == 0, r.stderr
    out = Image.open(tmp_path / "scan_color.jpg")
    assert out.size == (80, 120)  # EXIF orientation applied
    assert out.getexif().get(0x010F) == "TestCam" and out.getexif().get(0x0112, 1) == 1
    assert out.info.get("icc_profile") == icc
    assert tuple(round(d) for d in out.info["dpi"]) == (600, 600)


def test_sixteen_bit_tiff_gives_sixteen_bit(tmp_path, cli, random_weights):
    g16 = (np.linspace(0, 65535, 160 * 120).reshape(120, 160)).astype(np.uint16)
    src = tmp_path / "deep.tif"
    Image.fromarray(g16).save(src)  # Pillow stores uint16 as mode I;16
    r = cli("run", src, "--weights", random_weights)
    assert r.returncode == 0, r.stderr
    import av

    with av.open(str(tmp_path / "deep_color.tif")) as c:
        frame = next(c.decode(video=0))
    assert frame.format.name.startswith("rgb48")
    out = frame.to_ndarray(format="rgb48le")
    assert out.dtype == np.uint16 and out.shape == (120, 160, 3)
    assert np.abs(_L(out) - _L(np.repeat(g16[..., None], 3, -1))).max() <= 1.0


def test_decompression_bomb_refused(tmp_path, cli, random_weights):
    src = tmp_path / "huge.png"
    Image.new("L", (4000, 3000)).save(src)
    r = cli("run", src, "--weights", random_weights, "--max-pixels", "1000000")
    assert r.returncode == 1
    assert "huge.png" in r.stderr and "too large" in r.stderr
    assert not (tmp_path / "huge_color.png").exists()


def test_api_array_keeps_lightness(random_weights):
    from colorize_cli.api import Colorizer

    cz = Colorizer(weights=random_weights)
    gray = _gray(64, 48)
    out = cz.colorize_array(gray)
    assert out.shape == (48, 64, 3) and out.dtype == np.uint8
    assert np.abs(_L(out) - _L(np.repeat(gray[..., None], 3, -1))).max() <= 1.0


def test_folder_tree_mirrored_with_mixed_media(tmp_path, cli, random_weights):
    from media import make_clip

    root = tmp_path / "archive"
    (root / "a" / "b").mkdir(parents=True)
    Image.fromarray(_gray(64, 48)).save(root / "x.png")
    Image.fromarray(_gray(64, 48)).save(root / "a" / "b" / "x.png")  # same name, other folder
    make_clip(root / "a" / "film.mp4", frames=6, audio=False)
    (root / "notes.txt").write_text("not media")
    out = tmp_path / "colored"
    r = cli("run", root, "-o", out, "--weights", random_weights, "--json")
    assert r.returncode == 0, r.stderr
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == \
        ["a/b/x.png", "a/film.mp4", "colorize-manifest.sqlite", "x.png"]
    lines = r.stdout.strip().splitlines()
    assert len(lines) == 4 and '"summary"' in lines[-1]


def test_grey_photos_take_l_from_one_table_with_the_same_values():
    """The grey fast path (one lookup per pixel) gives exactly the L of the full RGB path, and a
    single coloured pixel off the sparse probe grid makes an image colour."""
    import numpy as np

    from colorize_cli.colour import is_gray, rgb_to_L

    rng = np.random.default_rng(3)
    for dtype, top in ((np.uint8, 255), (np.uint16, 65535)):
        g = rng.integers(0, top + 1, (37, 53), dtype=np.int64).astype(dtype)
        rgb = np.repeat(g[..., None], 3, -1)
        assert is_gray(rgb)
        assert np.array_equal(rgb_to_L(rgb), rgb_to_L(rgb, gray=False))
        rgb[1, 1, 2] = rgb[1, 1, 2] ^ 1          # (1, 1) is not on the probe grid
        assert not is_gray(rgb)



def test_chroma_limit_table_is_built_once_when_photos_start_together(monkeypatch, tmp_path):
    """Photos computed ahead start in threads at once: the gamut table (~0.7 s to build) must be
    built once, the other threads waiting for it, not once per thread."""
    import threading

    from colorize_cli.colour import photos as chroma

    builds = []
    real = chroma._build_chroma_limit_table

    def slow_build():
        builds.append(1)
        threading.Event().wait(0.2)      # widen the window in which a second thread could start a build
        return real()

    monkeypatch.setenv("COLORIZE_CACHE", str(tmp_path))      # an empty cache: the table is built
    monkeypatch.setattr(chroma, "_CMAX", None)
    monkeypatch.setattr(chroma, "_build_chroma_limit_table", slow_build)
    tables = []
    threads = [threading.Thread(target=lambda: tables.append(chroma.chroma_limit_table())) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(builds) == 1 and len(tables) == 3 and all(t is tables[0] for t in tables)
    # the next process finds it in the cache folder: not built again, the same table
    monkeypatch.setattr(chroma, "_CMAX", None)
    again = chroma.chroma_limit_table()
    assert len(builds) == 1 and np.array_equal(again, tables[0])
