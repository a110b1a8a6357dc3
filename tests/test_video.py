"""Films in, films out: frames, timestamps, streams, luma and chroma."""
from fractions import Fraction

import av
import numpy as np
import pytest

from media import (chroma_planes, frame_times, grayscale_copy, make_clip, packets_bytes, video_frames,
                   y_plane)

LOSSLESS = ("--crf", "0", "--preset", "ultrafast")


def _check_same_video(src, out, luma_tol=1):
    a, b = video_frames(src), video_frames(out)
    assert len(a) == len(b)
    assert [float(f.time) for f in a] == pytest.approx([float(f.time) for f in b], abs=1e-4)
    assert (a[0].width, a[0].height) == (b[0].width, b[0].height)
    worst = max(int(np.abs(y_plane(x).astype(int) - y_plane(y).astype(int)).max()) for x, y in zip(a, b))
    assert worst <= luma_tol
    return a, b


def test_h264_aac_subtitles_kept(tmp_path, cli, random_weights):
    src = make_clip(tmp_path / "clip.mp4", frames=30, size=(176, 144), subtitle=True)
    out = tmp_path / "out.mp4"
    r = cli("run", src, "-o", out, "--weights", random_weights, *LOSSLESS)
    assert r.returncode == 0, r.stderr
    _check_same_video(src, out)
    assert packets_bytes(src, "audio") == packets_bytes(out, "audio")
    assert len(packets_bytes(src, "audio")) > 10
    # mov_text: the muxer fills gaps between cues with empty samples; the cues themselves match
    cues = [p for p in packets_bytes(src, "subtitle") if p != b"\x00\x00"]
    assert len(cues) == 2 and cues == [p for p in packets_bytes(out, "subtitle") if p != b"\x00\x00"]
    with av.open(str(out)) as c:
        assert [s.type for s in c.streams] == ["video", "audio", "subtitle"]


def test_variable_frame_rate_survives(tmp_path, cli, random_weights):
    pts = [0, 40, 80, 200, 210, 220, 500, 540, 700, 1000, 1010, 1300]
    src = make_clip(tmp_path / "vfr.mkv", frames=len(pts), pts=pts, time_base=Fraction(1, 1000), audio=False)
    out = tmp_path / "vfr_out.mkv"
    r = cli("run", src, "-o", out, "--weights", random_weights, *LOSSLESS)
    assert r.returncode == 0, r.stderr
    assert frame_times(out) == pytest.approx([p / 1000 for p in pts], abs=1e-3)


def test_rotation_and_odd_size(tmp_path, cli, random_weights):
    src = make_clip(tmp_path / "rot.mov", frames=12, size=(322, 242), rotation=90)
    out = tmp_path / "rot_out.mov"
    r = cli("run", src, "-o", out, "--weights", random_weights, *LOSSLESS)
    assert r.returncode == 0, r.stderr
    a, b = _check_same_video(src, out)
    assert b[0].rotation == a[0].rotation == 90
    assert (b[0].width, b[0].height) == (322, 242)


def test_default_encoder_settings(tmp_path, cli, random_weights):
    """CRF 18 is lossy: luma stays close on average, the file is H.264 and the container follows."""
    src = make_clip(tmp_path / "clip.mkv", frames=16)
    r = cli("run", src, "--weights", random_weights)
    out = tmp_path / "clip_color.mkv"
    assert r.returncode == 0, r.stderr
    a, b = video_frames(src), video_frames(out)
    assert len(a) == len(b)
    assert np.mean([np.abs(y_plane(x).astype(int) - y_plane(y).astype(int)).mean() for x, y in zip(a, b)]) < 1.5
    with av.open(str(out)) as c:
        assert c.streams.video[0].codec_context.name == "h264"


@pytest.mark.parametrize("clip", ["sam2_dog.mp4", "sam2_blocks.mp4", "sam2_juggle.mp4"])
def test_real_clips_turned_gray(tmp_path, cli, shared_data, clip):
    """Real footage, gray: luma kept exactly, colour appears (shipped model)."""
    from colorize_cli.models import get_spec

    gray = grayscale_copy(shared_data / "video" / clip, tmp_path / clip, max_frames=20, width=640)
    out = tmp_path / ("out_" + clip)
    args = ["run", gray, "-o", out, *LOSSLESS]
    if not get_spec("baseline-cnn").has_weights:
        pytest.skip("no shipped weights")
    r = cli(*args)
    assert r.returncode == 0, r.stderr
    _, b = _check_same_video(gray, out)
    chroma = np.mean([np.abs(chroma_planes(f) - 128).mean() for f in b])
    assert chroma > 1.0  # gray input has exactly 0


def test_ten_bit_source_written_ten_bit(tmp_path, cli, random_weights):
    src = make_clip(tmp_path / "deep.mkv", frames=8, codec="ffv1", pix_fmt="yuv420p10le", audio=False)
    out = tmp_path / "deep_out.mkv"
    r = cli("run", src, "-o", out, "--weights", random_weights, "--codec", "ffv1")
    assert r.returncode == 0, r.stderr
    a, b = video_frames(src), video_frames(out)
    assert b[0].format.name == "yuv420p10le" and len(a) == len(b)
    ya = np.frombuffer(memoryview(a[3].planes[0]), np.uint16)
    yb = np.frombuffer(memoryview(b[3].planes[0]), np.uint16)
    assert np.array_equal(ya, yb)  # lossless codec: the 10-bit luma is bit-exact


def test_temporal_smoothing_reduces_flicker(tmp_path):
    """ema and flow (the default): frame-to-frame chroma change smaller than with smoothing off."""
    from colorize_cli.api import Colorizer, RunOptions
    from colorize_cli.models import get_spec

    from colorize_cli.api import DEFAULT_MODEL

    if not get_spec(DEFAULT_MODEL).has_weights:
        pytest.skip("no shipped weights")

    rng = np.random.default_rng(0)
    src = tmp_path / "noisy.mkv"
    with av.open(str(src), "w") as o:
        v = o.add_stream("ffv1", rate=25)
        v.width, v.height, v.pix_fmt = 96, 64, "yuv420p"
        base = rng.integers(40, 200, (64, 96)).astype(np.int16)
        for i in range(20):
            y = np.clip(base + rng.integers(-12, 12, base.shape), 16, 235).astype(np.uint8)
            a = np.concatenate([y, np.full((32, 96), 128, np.uint8)])
            f = av.VideoFrame.from_ndarray(a, format="yuv420p")
            f.pts = i
            for p in v.encode(f):
                o.mux(p)
        for p in v.encode():
            o.mux(p)
    cz = Colorizer()
    flicker = {}
    for mode in ("off", "ema", "flow"):
        out = tmp_path / f"{mode}.mkv"
        res = cz.process(cz.plan([src], out)[0], RunOptions(temporal=mode, codec="ffv1"))
        assert res.status == "done", res.error
        c = [chroma_planes(f) for f in video_frames(out)]
        flicker[mode] = np.mean([np.abs(c[i] - c[i - 1]).mean() for i in range(1, len(c))])
    assert flicker["ema"] < 0.8 * flicker["off"] and flicker["flow"] < 0.8 * flicker["off"], flicker


def test_saturation_scales_video_chroma(tmp_path, cli):
    """--saturation 0 gives neutral chroma; 2 gives more than 1 (shipped model)."""
    from colorize_cli.models import get_spec

    if not get_spec("baseline-cnn").has_weights:
        pytest.skip("no shipped weights")
    src = make_clip(tmp_path / "c.mkv", frames=6, gray=True, audio=False)
    level = {}
    for sat in ("0", "1", "2"):
        out = tmp_path / f"s{sat}.mkv"
        assert cli("run", src, "-o", out, "--saturation", sat, "--codec", "ffv1").returncode == 0
        level[sat] = np.mean([np.abs(chroma_planes(f) - 128).mean() for f in video_frames(out)])
    assert level["0"] < 0.6 and level["2"] > 1.3 * level["1"] > 0
