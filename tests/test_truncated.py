"""A film is done only when all of it is there (issue 10, item 4): cut files fail with one line,
--allow-truncated finishes them with a note, streams the output does not carry are named."""
import av
import numpy as np
import pytest

from colorize_cli.api import Colorizer, RunOptions
from media import make_clip


@pytest.fixture(scope="module")
def cz(random_weights):
    return Colorizer(weights=random_weights, engine="cpu")


def _cut(src, dst, fraction):
    data = src.read_bytes()
    dst.write_bytes(data[:int(len(data) * fraction)])
    return dst


@pytest.fixture(scope="module")
def film(tmp_path_factory):
    d = tmp_path_factory.mktemp("film")
    return make_clip(d / "full.mkv", frames=192, size=(96, 64), rate=24)


@pytest.mark.parametrize("segments", [None, 1.0])
def test_a_film_cut_in_half_fails_and_writes_nothing(tmp_path, cz, film, segments):
    cut = _cut(film, tmp_path / "cut.mkv", 0.5)
    (res,) = cz.run([cut], tmp_path / "out", RunOptions(segment_seconds=segments, codec="ffv1"))
    assert res.status == "failed" and "truncated" in res.error and "cut.mkv" in res.error
    assert not (tmp_path / "out" / "cut.mkv").exists()


def test_a_few_missing_seconds_are_noticed(tmp_path, cz, film):
    """1 s of 8 missing: the old tolerance (1 s + 2 %) called this complete."""
    cut = _cut(film, tmp_path / "cut.mkv", 0.87)
    with av.open(str(cut)) as c:
        frames = sum(1 for _ in c.decode(video=0))
    assert 150 < frames < 192
    (res,) = cz.run([cut], tmp_path / "out", RunOptions(codec="ffv1"))
    assert res.status == "failed" and "truncated" in res.error


@pytest.mark.parametrize("segments", [None, 1.0])
def test_allow_truncated_keeps_what_is_there_and_says_so(tmp_path, cz, film, segments):
    cut = _cut(film, tmp_path / "cut.mkv", 0.5)
    with av.open(str(cut)) as c:
        frames = sum(1 for _ in c.decode(video=0))
    (res,) = cz.run([cut], tmp_path / "out", RunOptions(segment_seconds=segments, codec="ffv1",
                                                        allow_truncated=True))
    assert res.status == "done" and res.frames == frames
    assert any("truncated source" in w for w in res.warnings), res.warnings
    with av.open(str(tmp_path / "out" / "cut.mkv")) as c:
        assert sum(1 for _ in c.decode(video=0)) == frames


def test_a_complete_film_is_not_called_truncated(tmp_path, cz, film):
    (res,) = cz.run([film], tmp_path / "out", RunOptions(codec="ffv1"))
    assert res.status == "done" and res.frames == 192 and not any("truncated" in w for w in res.warnings)


def test_streams_the_output_does_not_carry_are_named(tmp_path, cz):
    src = tmp_path / "two.mkv"
    with av.open(str(src), "w") as out:
        streams = []
        for _ in range(2):
            v = out.add_stream("ffv1", rate=12)
            v.width, v.height, v.pix_fmt = 32, 24, "yuv420p"
            streams.append(v)
        for i in range(6):
            for v in streams:
                f = av.VideoFrame.from_ndarray(np.full((24, 32, 3), 40 * i, np.uint8), format="rgb24")
                f.pts = i
                for p in v.encode(f):
                    out.mux(p)
        for v in streams:
            for p in v.encode():
                out.mux(p)
    (res,) = cz.run([src], tmp_path / "out.mkv", RunOptions(codec="ffv1"))
    assert res.status == "done"
    assert any("stream #1 (video, ffv1) not copied" in w for w in res.warnings), res.warnings


def test_a_cut_audio_track_is_not_lost_without_a_word(tmp_path, cz):
    """Video complete, audio cut short (its packets fewer than the MP4 declares)."""
    src = tmp_path / "a.mp4"
    with av.open(str(src), "w", options={"movflags": "faststart"}) as out:
        v = out.add_stream("libx264", rate=24)
        v.width, v.height, v.pix_fmt = 64, 48, "yuv420p"
        a = out.add_stream("aac", rate=48000)
        a.layout = "stereo"
        for i in range(24):
            f = av.VideoFrame.from_ndarray(np.full((48, 64, 3), 10 * i, np.uint8), format="rgb24")
            f.pts = i
            for p in v.encode(f):
                out.mux(p)
        for p in v.encode():
            out.mux(p)
        for t in range(0, 48000, 1024):
            fr = av.AudioFrame.from_ndarray(np.zeros((2, 1024), np.float32), format="fltp", layout="stereo")
            fr.sample_rate, fr.pts = 48000, t
            for p in a.encode(fr):
                out.mux(p)
        for p in a.encode():
            out.mux(p)
    with av.open(str(src)) as c:   # drop the last audio packets, as a cut file would
        keep = [p for p in c.demux() if p.size]
        last_audio = [p for p in keep if p.stream.type == "audio"][-5:]
    from colorize_cli.io.video import VideoSink, VideoSource

    with VideoSource(src) as s:
        sink = VideoSink(tmp_path / "x.mp4", s, None, False)
        sink.muxed = {1: s.passthrough[0].frames - len(last_audio)}
        assert sink.missing_streams() == [f"audio stream #1 ({s.passthrough[0].frames - 5} of "
                                          f"{s.passthrough[0].frames} packets)"]
        sink.muxed = {1: s.passthrough[0].frames}
        assert sink.missing_streams() == []


def test_segmented_film_keeps_its_time_base_and_every_timestamp(tmp_path, cz):
    """29.97 fps at time base 1/30000: a segmented run must not round timestamps (issue 10, 11)."""
    from fractions import Fraction

    from media import frame_times

    src = make_clip(tmp_path / "ntsc.mp4", frames=90, size=(64, 48), rate=Fraction(30000, 1001),
                    time_base=Fraction(1, 30000), pts=[i * 1001 for i in range(90)])
    (res,) = cz.run([src], tmp_path / "out", RunOptions(segment_seconds=1.0, codec="libx264"))
    assert res.status == "done", res.error
    out = tmp_path / "out" / "ntsc.mp4"
    with av.open(str(out)) as c, av.open(str(src)) as s:
        assert c.streams.video[0].time_base == s.streams.video[0].time_base
    assert frame_times(out) == frame_times(src)


@pytest.mark.parametrize("ext", [".avi", ".flv", ".mpg"])
def test_containers_without_b_frames_keep_frame_order_and_times(tmp_path, cz, ext):
    from media import frame_times

    src = make_clip(tmp_path / "src.mkv", frames=30, size=(64, 48), rate=25, audio=False)
    (res,) = cz.run([src], tmp_path / f"out{ext}", RunOptions(codec="mpeg2video" if ext == ".mpg" else None))
    assert res.status == "done", res.error
    t_out, t_src = frame_times(tmp_path / f"out{ext}"), frame_times(src)
    assert len(t_out) == 30 and t_out == sorted(t_out)
    assert [round(t - t_out[0], 3) for t in t_out] == [round(t - t_src[0], 3) for t in t_src]
