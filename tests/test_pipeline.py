"""Colour math, render sizes, temporal smoothing and scene cuts."""
import os

import pytest
import torch

from colorize_cli.colorspace import (gray_to_L, lab_to_rgb, lab_to_rgb_in_gamut, luma_to_gray, rgb_to_cbcr,
                                         rgb_to_lab)
from colorize_cli.pipeline.temporal import EMASmoother


def test_lab_round_trip_and_known_colour():
    x = torch.rand(2, 3, 8, 8)
    assert torch.allclose(lab_to_rgb(rgb_to_lab(x)), x, atol=1e-4)
    red = rgb_to_lab(torch.tensor([1.0, 0, 0]).view(1, 3, 1, 1)).flatten()
    assert torch.allclose(red, torch.tensor([53.24, 80.09, 67.20]), atol=0.05)


def test_gamut_mapping_keeps_lightness():
    L = torch.rand(1, 1, 16, 16) * 100
    ab = torch.randn(1, 2, 16, 16) * 90
    rgb = lab_to_rgb_in_gamut(L, ab)
    assert (rgb >= 0).all() and (rgb <= 1).all()
    assert (rgb_to_lab(rgb)[:, :1] - L).abs().max() < 0.2


def test_gray_luma_has_neutral_chroma():
    y = torch.arange(16, 236).float().view(1, 1, 1, -1)
    g = luma_to_gray(y, 8, False).expand(1, 3, 1, -1)
    cbcr = rgb_to_cbcr(g, "bt709", 8, False)
    assert (cbcr - 128).abs().max() < 1e-3
    assert gray_to_L(torch.tensor([0.0, 1.0])).tolist() == [0.0, 100.0]


def luma_to_L(y: torch.Tensor, bits: int, full: bool) -> torch.Tensor:
    """The torch reference: Y' codes -> L by the formula, no table."""
    return gray_to_L(luma_to_gray(y, bits, full))


def test_the_one_luma_table_matches_the_torch_formula():
    """colour.L_table (numpy, the one Y'->L table films and photos use) == the torch maths."""
    import numpy as np

    from colorize_cli.colour import L_table, luma_to_L as table_L

    for bits, full in [(8, False), (8, True), (10, False)]:
        y = torch.randint(0, 1 << bits, (5, 7))
        ref = luma_to_L(y, bits, full).numpy()
        assert np.abs(table_L(y.numpy().astype(np.uint8 if bits == 8 else np.uint16), bits, full) - ref).max() < 1e-4
        assert len(L_table(bits, full)) == 1 << bits


def test_render_shape_keeps_aspect_and_stride_and_is_bounded():
    from colorize_cli.models import get_spec

    spec = get_spec("baseline-cnn")          # stride 4
    own = spec.render_size()
    assert spec.render_shape(1080, 1920, 256) == (256, 456)
    h, w = spec.render_shape(242, 322, 128)
    assert h == 128 and w % 4 == 0 and abs(w / h - 322 / 242) < 0.05
    assert spec.render_shape(1, 1, 4096) == (own, own)        # not raised past the model's own size
    assert spec.render_shape(300, 400, 4096) == (300, 400)    # nor past the source's
    h, w = spec.render_shape(8, 8000, 256)                    # a 738-byte strip: bounded, not 256 x 256000
    assert w <= 4 * 256 and h * w <= 4 * 256 * 256


def test_strip_upsampling_matches_whole_image_and_torch():
    import numpy as np

    from colorize_cli.colour.photos import upsample_rows

    ab = torch.randn(1, 2, 7, 9)
    full = torch.nn.functional.interpolate(ab, size=(50, 61), mode="bilinear", align_corners=False)
    for c in range(2):
        strip = upsample_rows(ab[0, c].numpy(), 50, 61, 13, 40)
        assert np.abs(strip - full[0, c, 13:40].numpy()).max() < 1e-4


def test_ema_smooths_and_resets_at_scene_cuts():
    import numpy as np

    sm = EMASmoother(strength=0.5)
    dark, bright = np.full((1, 1, 8, 8), 20.0, np.float32), np.full((1, 1, 8, 8), 80.0, np.float32)
    first = sm(dark, np.zeros((1, 2, 8, 8), np.float32))
    second = sm(dark, np.full((1, 2, 8, 8), 10.0, np.float32))
    assert np.abs(first).max() == 0 and np.allclose(second, 5.0)
    cut = sm(bright, np.full((1, 2, 8, 8), 30.0, np.float32))
    assert np.allclose(cut, 30.0) and sm.cuts == 1


@pytest.mark.parametrize("jit", [False, True], ids=["opencv", "compiled"])
def test_cpu_chroma_path_matches_the_torch_math_within_one_code_value(jit):
    """CPU chroma planes (OpenCV, and the compiled kernel) == pipeline.color's math (area-mean L,
    bilinear ab) within 1 code value, for 4:2:0, 4:2:2 and 4:4:4, 8 and 10 bits, limited and full
    range, three matrices, odd sizes."""
    import numpy as np


    from colorize_cli.colour.jit import available as jit_available
    if jit and not jit_available():
        pytest.skip("numba not installed")
    import torch.nn.functional as F

    from colorize_cli.colour import chroma_planes

    torch.manual_seed(0)
    cases = [((90, 160), (45, 80), 8, False, "bt709"), ((90, 160), (90, 80), 8, True, "bt601"),
             ((90, 160), (90, 160), 10, False, "bt2020"), ((90, 160), (45, 80), 10, True, "bt709"),
             ((45, 81), (45, 81), 8, False, "bt709")]
    for (H, W), (ch, cw), bits, full, matrix in cases:
        lo, hi = (0, (1 << bits) - 1) if full else (16 << (bits - 8), 235 << (bits - 8))
        y = torch.randint(lo, hi + 1, (1, 1, H, W))
        y = F.avg_pool2d(y.float(), 3, 1, 1).round().long()          # natural images are smooth-ish
        ab = (torch.randn(1, 2, 24, 40) * 40).clamp(-110, 110)
        L = luma_to_L(y, bits, full).float()
        ref = rgb_to_cbcr(lab_to_rgb(torch.cat([F.adaptive_avg_pool2d(L, (ch, cw)),
                                                F.interpolate(ab, size=(ch, cw), mode="bilinear",
                                                              align_corners=False)], 1)), matrix, bits, full)
        s = 1 << (bits - 8)
        ref = ref.round().clamp(*((0, (1 << bits) - 1) if full else (16 * s, 240 * s)))[0].numpy()
        out = chroma_planes(L[0, 0].numpy(), ab[0].numpy(), (ch, cw), matrix, bits, full, jit=jit)
        assert out.shape == (2, ch, cw) and out.dtype == (np.uint8 if bits == 8 else np.uint16)
        assert np.abs(out.astype(int) - ref.astype(int)).max() <= 1, (bits, full, matrix)


def test_compiled_srgb_transfer_polynomial_is_exact_to_a_tiny_fraction_of_a_code():
    """The kernel's u^(5/3) polynomial (u = c^(1/4)) against c^(1/2.4) on the whole power segment
    of the sRGB transfer, evaluated in float32 as the kernel does: under 1e-5 (a code is 1/219)."""
    import numpy as np

    from colorize_cli.colour.kernels import GAMMA_POLY

    c = np.linspace(0.0031308, 1, 200_001)
    u = np.sqrt(np.sqrt(c.astype(np.float32)))
    p = np.zeros_like(u)
    for k in GAMMA_POLY[::-1]:
        p = p * u + np.float32(k)
    assert np.abs(p - c ** (1 / 2.4)).max() < 1e-5


KERNELS_ONCE = """
import json, numpy as np
from colorize_cli import colour
from colorize_cli.colour import kernels
from colorize_cli.colour.jit import available as jit_available
L = np.random.rand(90, 160).astype(np.float32) * 100
ab = (np.random.rand(2, 24, 40).astype(np.float32) - 0.5) * 100
colour.chroma_planes(L, ab, (90, 160), "bt709", 8, False, jit=True)
sites = colour.sites_from_codes(180, 320, (90, 160))
sites(np.full((180, 320), 100, np.uint8), colour.L_table(8, False), True, np.empty((90, 160), np.float32))
planes = kernels.planes
colour.photo_codes(L, ab[0], ab[1], np.empty((90, 160, 3), np.uint8), jit=True)
print(json.dumps({name: [sum(d.stats.cache_hits.values()), sum(d.stats.cache_misses.values())]
                  for name, d in (("planes", planes), ("sites", sites), ("photo", kernels.photo))}))
"""


def test_compiled_kernels_are_compiled_once_then_loaded_from_numbas_cache(tmp_path):
    """A new process loads the kernels from numba's on-disk cache instead of compiling them again
    (a compile costs ~1.5 s at the start of every film otherwise, and writes another cache file)."""
    import json
    import subprocess
    import sys


    from colorize_cli.colour.jit import available as jit_available
    if not jit_available():
        pytest.skip("numba not installed")
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "numba")}

    def once():
        out = subprocess.run([sys.executable, "-c", KERNELS_ONCE], env=env, capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout.strip().splitlines()[-1])

    def cached():
        return sorted(p.name for p in (tmp_path / "numba").rglob("*.nb*"))

    once()
    after_first = cached()
    second = once()
    assert all(hits >= 1 and misses == 0 for hits, misses in second.values()), second
    assert after_first and cached() == after_first      # the second run wrote no new entry


@pytest.mark.parametrize("jit", [False, True], ids=["opencv", "compiled"])
def test_photo_gamut_table_stays_within_delta_e_1_of_the_exact_search(jit):
    """The CPU photo path's chroma-limit table (OpenCV, and the compiled kernel, which maps only
    the pixels outside sRGB) against the exact in-gamut search (torch), on colours far outside
    sRGB too: the same colour (CIEDE2000 < 1 for 99.9 % of pixels), L kept."""
    import numpy as np

    from colorize_cli.tools.evaluate import ciede2000
    from colorize_cli.colour.jit import available as jit_available
    from colorize_cli.colour import lab_to_rgb_gamut, photo_codes

    if jit and not jit_available():
        pytest.skip("numba not installed")
    torch.manual_seed(1)
    L = torch.rand(1, 1, 64, 96) * 100
    ab = (torch.randn(1, 2, 64, 96) * 60).clamp(-110, 110)
    exact = lab_to_rgb_in_gamut(L, ab, steps=12)
    a, b = ab[0, 0].numpy().copy(), ab[0, 1].numpy().copy()
    if jit:     # ab at full size: the kernel's upsampling is the identity here; 16-bit codes
        fast = photo_codes(L[0, 0].numpy(), a, b, np.empty((64, 96, 3), np.uint16), jit=True) / 65535
    else:
        fast = lab_to_rgb_gamut(L[0, 0].numpy(), a, b)
    fast = torch.from_numpy(np.ascontiguousarray(fast.transpose(2, 0, 1)))[None].float()
    assert (fast >= 0).all() and (fast <= 1).all()
    d = ciede2000(rgb_to_lab(exact)[0], rgb_to_lab(fast)[0]).flatten()
    assert torch.quantile(d, 0.999) < 1.0, float(d.max())
    assert (rgb_to_lab(fast)[:, :1] - L).abs().max() < 1.0


def test_compiled_hue_is_atan2_to_a_thousandth_of_a_degree():
    """The photo kernel's hue (octant reduction + polynomial) against numpy's atan2 on a grid that
    has the axes, the diagonals, zero and tiny values; the table's columns are 1 degree apart."""
    import numpy as np

    from colorize_cli.colour import kernels

    from colorize_cli.colour.jit import available as jit_available
    if not jit_available():
        pytest.skip("numba not installed")
    v = np.concatenate([np.linspace(-120, 120, 241), [-1e-4, 1e-4, -3e-7, 3e-7]]).astype(np.float32)
    worst = 0.0
    for b in v:
        for a in v:
            got = float(kernels._hue_deg(b, a))
            want = np.degrees(np.arctan2(np.float64(b), np.float64(a))) % 360
            worst = max(worst, min(abs(got - want), 360 - abs(got - want)))
            assert 0 <= got <= 360
    assert worst < 1e-3, worst


@pytest.mark.parametrize("dtype", ["uint8", "uint16"])
def test_compiled_photo_path_equals_the_opencv_path(random_weights, dtype):
    """A whole photo through colorize_rgb, the compiled kernel against the OpenCV path: the
    same codes within 1 (8-bit; 16-bit: within 1/255 of the range), a real photo when the shared
    data is there, with saturation 2 so that many pixels leave sRGB and are mapped."""
    import numpy as np
    from PIL import Image

    from colorize_cli.api import Colorizer
    from colorize_cli.colour.jit import available as jit_available
    from colorize_cli.pipeline.image import colorize_rgb

    if not jit_available():
        pytest.skip("numba not installed")
    from conftest import SHARED

    photos = sorted((SHARED / "val").glob("*.jpg"))[:1]
    if photos:
        rgb = np.asarray(Image.open(photos[0]).convert("RGB"))
    else:
        rng = np.random.default_rng(0)
        rgb = np.kron(rng.integers(0, 255, (30, 40, 3), dtype=np.uint8), np.ones((8, 8, 1), np.uint8))
    if dtype == "uint16":
        rgb = rgb.astype(np.uint16) * 257
    predictor = Colorizer("baseline-cnn", "cpu", weights=random_weights).predictor
    got = colorize_rgb(rgb, predictor, saturation=2.0, jit=True)
    ref = colorize_rgb(rgb, predictor, saturation=2.0, jit=False)
    assert got.shape == ref.shape == rgb.shape and got.dtype == rgb.dtype
    tol = 1 if dtype == "uint8" else 257
    assert np.abs(got.astype(np.int64) - ref.astype(np.int64)).max() <= tol


def test_cpu_network_input_from_half_size_L_matches_the_full_size_one(random_weights):
    """Films on a CPU shrink the network's input from L at the 4:2:0 chroma sites; the GPU path
    (ChromaPredictor.predict) shrinks the full-resolution L. The two inputs must agree closely, or
    a film would colour differently on the two machines."""
    import numpy as np
    import torch.nn.functional as F

    from colorize_cli.api import Colorizer
    from colorize_cli.pipeline.frames import network_input

    predictor = Colorizer("baseline-cnn", "cpu", weights=random_weights).predictor
    torch.manual_seed(0)
    H, W = 360, 640
    y = torch.randint(16, 236, (2, 1, H // 8, W // 8)).float()
    y = F.interpolate(y, size=(H, W), mode="bicubic", align_corners=False)      # edges and texture
    y = (y + torch.randn_like(y) * 6).round().clamp(16, 235).to(torch.uint8)
    L_c, small = network_input(list(y[:, 0].numpy()), 8, False, (H // 2, W // 2), predictor)
    full = torch.from_numpy(predictor.shrink(luma_to_L(y.long(), 8, False).float().numpy()))
    assert small.shape == full.shape == (2, 1) + predictor.render_shape(H, W)
    assert small.shape[-2] < H // 2          # the half-size L was used, not the full one
    diff = (torch.from_numpy(small) - full).abs()   # measured 0.46 mean, 3.0 at most (L units) on this noisy texture;
    # a shrink without antialiasing gives 1.7 and 11, an area mean 1.2 and 8, a 1-pixel shift 3.8 and 24
    assert float(diff.mean()) < 0.6 and float(diff.max()) < 4.5, (float(diff.mean()), float(diff.max()))
    assert L_c.shape == (2, H // 2, W // 2) and np.isfinite(L_c).all()


@pytest.mark.parametrize("bits, chroma", [(8, "420"), (8, "422"), (10, "420")])
def test_compiled_L_at_chroma_sites_equals_table_then_area_mean(random_weights, monkeypatch, bits, chroma):
    """network_input's compiled Y' -> L at the chroma sites (one pass, no full-size L) gives the
    OpenCV path's L (table, then area mean) to float rounding; 10-bit codes above the range clamp."""
    import numpy as np

    from colorize_cli.api import Colorizer
    from colorize_cli.colour.jit import available as jit_available
    from colorize_cli.pipeline.frames import network_input

    if not jit_available():
        pytest.skip("numba not installed")
    predictor = Colorizer("baseline-cnn", "cpu", weights=random_weights).predictor
    rng = np.random.default_rng(3)
    H, W = 288, 512        # big enough that the network's input is shrunk from L at the sites
    h, w = predictor.render_shape(H, W)
    assert h <= H // 2 and w <= W // 2
    dt = np.uint8 if bits == 8 else np.uint16
    ys = [rng.integers(0, 1 << bits, (H, W)).astype(dt) for _ in range(2)]
    if bits == 10:
        ys[1][0, :8] = 1100          # out-of-range codes (a broken 10-bit source) take the top entry
    hw = (H // 2, W // 2) if chroma == "420" else (H, W // 2)
    got, small = network_input(ys, bits, False, hw, predictor)
    monkeypatch.setenv("COLORIZE_JIT", "0")
    ref, ref_small = network_input(ys, bits, False, hw, predictor)
    assert got.shape == ref.shape == (2,) + hw
    assert np.abs(got - ref).max() < 1e-3 and float(np.abs(small - ref_small).max()) < 1e-3
