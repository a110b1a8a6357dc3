"""The seams of the architecture: an engine plugged in through the engine map alone, one photo
path for every engine, the ledger with and without a manifest, one source for each list."""
import sys
import threading
import types

import numpy as np
import pytest
import torch

from colorize_cli import options as options_mod
from colorize_cli.engines import BACKENDS
from colorize_cli.engines.base import Engine


class FakeEngine(Engine):
    """A back end that is neither the CPU engine nor CUDA: the model's torch forward, two lanes,
    and a record of every call (which thread, which batch shape)."""
    name = "fake"
    calls: list = []

    @classmethod
    def available(cls):
        return True, "a test engine"

    def infer(self, L):
        FakeEngine.calls.append((threading.current_thread().name, tuple(L.shape)))
        with torch.inference_mode():
            return self.model(torch.from_numpy(L)).float().numpy()

    def lanes(self):
        return [self.infer, self.infer]


@pytest.fixture
def fake_engine(monkeypatch):
    module = types.ModuleType("plugins.fake_engine")
    module.FakeEngine = FakeEngine
    monkeypatch.setitem(sys.modules, "plugins.fake_engine", module)
    monkeypatch.setitem(BACKENDS, "fake", ("plugins.fake_engine", "FakeEngine"))
    monkeypatch.setattr(options_mod, "ENGINES", options_mod.ENGINES + ("fake",))
    FakeEngine.calls = []
    return FakeEngine


def test_an_engine_plugged_in_through_the_map_colorizes_a_film_and_a_photo(fake_engine, random_weights, tmp_path):
    """Nothing in pipeline/ knows the new engine: a film (every frame, through its lanes) and a
    photo come out as with the CPU engine, the same model and weights."""
    from media import make_clip, video_frames

    from colorize_cli.api import Colorizer, RunOptions

    clip = make_clip(tmp_path / "in.mp4", frames=20, size=(96, 64), audio=False)
    rng = np.random.default_rng(0)
    photo = np.kron(rng.integers(0, 255, (12, 16, 3), dtype=np.uint8), np.ones((6, 6, 1), np.uint8))
    outs = {}
    for engine in ("fake", "cpu"):
        with Colorizer("baseline-cnn", engine, batch_size=4, weights=random_weights) as c:
            assert c.engine.name == engine
            # lossless: x264's choices on a lossy encode move luma by a code or two when chroma does
            [res] = list(c.run(clip, tmp_path / f"{engine}.mkv", RunOptions(codec="ffv1")))
            assert res.status == "done" and res.frames == 20
            outs[engine] = (c.colorize_array(photo), video_frames(tmp_path / f"{engine}.mkv"))
    assert len(fake_engine.calls) >= 6 and any(name.startswith("lane") for name, _ in fake_engine.calls)
    assert np.abs(outs["fake"][0].astype(int) - outs["cpu"][0].astype(int)).max() <= 1
    for a, b in zip(outs["fake"][1], outs["cpu"][1]):
        assert np.array_equal(a.to_ndarray()[:64], b.to_ndarray()[:64])     # luma untouched on both


def test_photo_codes_equal_the_torch_reference_within_one_code():
    """The colour module's photo path (compiled and OpenCV) against colorspace's torch maths for
    colours inside sRGB (where no gamut rule applies): within 1 code, 8 and 16 bits."""
    from colorize_cli.colorspace import lab_to_rgb, rgb_to_lab
    from colorize_cli.colour import photo_codes
    from colorize_cli.colour.jit import available as jit_available

    torch.manual_seed(2)
    rgb = torch.rand(1, 3, 40, 56) * 0.9 + 0.05          # inside the gamut by construction
    lab = rgb_to_lab(rgb)
    L, a, b = (lab[0, k].numpy().copy() for k in range(3))
    for dtype, top in ((np.uint8, 255), (np.uint16, 65535)):
        ref = (lab_to_rgb(lab)[0].permute(1, 2, 0).numpy() * top).round()
        for jit in ([False, True] if jit_available() else [False]):
            got = photo_codes(L, a, b, np.empty((40, 56, 3), dtype), jit=jit)
            assert np.abs(got.astype(np.int64) - ref).max() <= (1 if top == 255 else 257), (dtype, jit)


def test_a_grey_photo_is_one_plane_from_decode_to_colour(tmp_path, random_weights):
    """A grey file decodes to one plane (not three copies), and colorizing that plane gives the
    codes of colorizing the tripled array."""
    from PIL import Image

    from colorize_cli.api import Colorizer
    from colorize_cli.io.image import read_photo

    g = np.random.default_rng(1).integers(0, 256, (48, 64), dtype=np.uint8)
    Image.fromarray(g, "L").save(tmp_path / "g.png")
    photo = read_photo(tmp_path / "g.png")
    assert photo.pixels.shape == (48, 64)
    with Colorizer("baseline-cnn", "cpu", weights=random_weights) as c:
        one = c.colorize_array(photo.pixels)
        three = c.colorize_array(np.repeat(g[..., None], 3, -1))
    assert one.shape == (48, 64, 3) and np.array_equal(one, three)


def _items(tmp_path, n=3):
    from colorize_cli.io.discover import WorkItem

    out = []
    for i in range(n):
        src = tmp_path / f"s{i}.png"
        src.write_bytes(b"x" * (i + 1))
        out.append(WorkItem(src, tmp_path / "out" / f"s{i}.png", "image"))
    return out


def test_the_ledger_admits_publishes_and_records_with_and_without_a_manifest(tmp_path):
    from colorize_cli.io.atomic import before_publish
    from colorize_cli.jobs.ledger import NullLedger, Ticket, open_ledger
    from colorize_cli.jobs.manifest import Manifest
    from colorize_cli.options import RunOptions
    from colorize_cli.results import ItemResult

    items = _items(tmp_path)
    (tmp_path / "out").mkdir()
    items[2].output.write_bytes(b"a user's file")
    # without a manifest: everything admitted, nothing claimed, --overwrite decides alone
    null = open_ledger(None, "cfg", RunOptions())
    assert isinstance(null, NullLedger)
    t = null.admit(items[2])
    assert isinstance(t, Ticket) and t.fp is None and not t.replace
    with null.publishing(t):
        assert before_publish.get(None) is None
    null.record(t, ItemResult.of(items[2], "done"))
    # with a manifest: a user's file is a conflict; new items get a ticket; done ones are skipped
    ledger = open_ledger(Manifest(tmp_path / "out"), "cfg", RunOptions())
    conflict = ledger.admit(items[2])
    assert isinstance(conflict, ItemResult) and conflict.status == "failed" and "not written by this job" in conflict.error
    t0 = ledger.admit(items[0])
    assert isinstance(t0, Ticket) and t0.fp and not t0.replace
    with ledger.publishing(t0):
        assert before_publish.get(None) is not None       # renames are claimed inside the block
    items[0].output.write_bytes(b"ours")
    res = ItemResult.of(items[0], "done")
    res.frames = 1
    ledger.record(t0, res)
    again = ledger.admit(items[0])
    assert isinstance(again, ItemResult) and again.status == "skipped"
    ledger.close()
    # --overwrite: the user's file may be replaced, and the ticket says so
    over = open_ledger(Manifest(tmp_path / "out"), "cfg", RunOptions(overwrite=True))
    t2 = over.admit(items[2])
    assert isinstance(t2, Ticket) and t2.replace
    over.close()


def test_each_list_has_one_source():
    """Engines: the option's choices are the engine map's names; temporal modes and default
    strengths: one table for the help text and the smoothers; the CRF codecs: one table for the
    option's range check and the encoder."""
    import dataclasses

    from colorize_cli.io import video
    from colorize_cli.options import CRF_RANGE, ENGINES, TEMPORAL, TEMPORAL_STRENGTH, RunOptions
    from colorize_cli.pipeline.temporal import SMOOTHERS, make_smoother

    assert ENGINES == ("auto", *BACKENDS)
    assert set(TEMPORAL) == set(SMOOTHERS)
    help_text = {f.name: f.metadata["help"] for f in dataclasses.fields(RunOptions)}["temporal_strength"]
    for mode, strength in TEMPORAL_STRENGTH.items():
        smoother = make_smoother(mode)
        assert (smoother is None) == (strength is None)
        if smoother is not None:
            assert smoother.strength == strength and f"{mode} {strength}" in help_text
    assert video.CRF_RANGE is CRF_RANGE
