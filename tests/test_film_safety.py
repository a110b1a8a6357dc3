"""Films that are not what they seem (issue #23 items 8 and others): refused with one line,
never reported done with frames changed."""
from media import make_clip


def test_a_film_whose_frame_size_changes_is_refused(tmp_path, cli, random_weights):
    a = make_clip(tmp_path / "a.ts", frames=12, size=(96, 64), audio=False)
    b = make_clip(tmp_path / "b.ts", frames=12, size=(128, 96), audio=False)
    src = tmp_path / "both.ts"
    src.write_bytes(a.read_bytes() + b.read_bytes())      # MPEG-TS concatenates
    out = tmp_path / "out.ts"
    r = cli("run", src, "-o", out, "--weights", random_weights)
    assert r.returncode == 1, r.stderr
    line = [ln for ln in r.stderr.splitlines() if "both.ts" in ln and "error" in ln.lower()]
    assert line and "96x64" in line[0] and "128x96" in line[0], r.stderr
    assert not out.exists() and not list(tmp_path.glob(".*partial*"))


def test_crf_0_is_lossless_for_10_and_12_bit(tmp_path, cli, random_weights):
    """Issue #23 item 15: x264 at CRF 0 is not lossless above 8 bits (its QP scale reaches below
    0), and x265 needs its own lossless mode; --crf 0 promises exact luma."""
    import av
    import numpy as np

    from media import video_frames

    cases = [("yuv420p10le", "libx264", ".mkv"), ("yuv420p10le", "libx265", ".mkv"),
             ("yuv420p12le", "libx265", ".mkv")]
    for pix, codec, ext in cases:
        if codec not in av.codecs_available:
            continue
        src = make_clip(tmp_path / f"deep_{pix}{ext}", frames=6, size=(96, 64), codec="ffv1", pix_fmt=pix,
                        audio=False)
        out = tmp_path / f"out_{pix}_{codec}{ext}"
        r = cli("run", src, "-o", out, "--weights", random_weights, "--codec", codec, "--crf", "0",
                "--preset", "ultrafast")
        assert r.returncode == 0, r.stderr
        a, b = video_frames(src), video_frames(out)
        assert len(a) == len(b) and b[0].format.name == pix, (codec, b[0].format.name)
        for x, y in zip(a, b):
            ya = np.frombuffer(memoryview(x.planes[0]), np.uint16)
            yb = np.frombuffer(memoryview(y.planes[0]), np.uint16)
            assert np.array_equal(ya, yb), (pix, codec, int(np.abs(ya.astype(int) - yb).max()))


def test_an_interlaced_source_is_noted(tmp_path, cli, random_weights):
    import json

    import av
    import numpy as np

    src = tmp_path / "tff.mkv"
    with av.open(str(src), "w") as o:
        v = o.add_stream("libx264", rate=25, options={"x264-params": "tff=1", "preset": "ultrafast"})
        v.width, v.height, v.pix_fmt = 96, 64, "yuv420p"
        for i in range(5):
            f = av.VideoFrame.from_ndarray(np.full((64, 96, 3), i * 30, np.uint8), format="rgb24")
            f.pts = i
            for p in v.encode(f):
                o.mux(p)
        for p in v.encode():
            o.mux(p)
    r = cli("run", src, "-o", tmp_path / "out.mkv", "--weights", random_weights, "--json")
    assert r.returncode == 0, r.stderr
    assert any("interlaced" in w for w in json.loads(r.stdout.splitlines()[0])["warnings"])


def test_audio_an_mp4_cannot_hold_is_named_with_the_way_out(tmp_path, cli, random_weights):
    import av
    import numpy as np

    src = tmp_path / "pcm.mkv"
    with av.open(str(src), "w") as o:
        v = o.add_stream("libx264", rate=24)
        v.width, v.height, v.pix_fmt = 64, 48, "yuv420p"
        a = o.add_stream("pcm_s16le", rate=48000)
        a.layout = "stereo"
        for i in range(3):
            f = av.VideoFrame.from_ndarray(np.zeros((48, 64, 3), np.uint8), format="rgb24")
            f.pts = i
            for p in v.encode(f):
                o.mux(p)
        af = av.AudioFrame.from_ndarray(np.zeros((1, 4096), np.int16), format="s16", layout="stereo")
        af.sample_rate, af.pts = 48000, 0
        for p in a.encode(af):
            o.mux(p)
        for p in (*v.encode(), *a.encode()):
            o.mux(p)
    r = cli("run", src, "-o", tmp_path / "out.mp4", "--weights", random_weights)
    if r.returncode == 0:      # an FFmpeg whose mp4 muxer takes PCM: nothing to say
        return
    assert "pcm_s16le" in r.stderr and ".mkv" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "out.mp4").exists()
