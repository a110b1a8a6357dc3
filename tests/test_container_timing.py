"""Every frame keeps its time in the containers that carry timing differently (issue #23 items
7 and 21): AVI and MPEG-PS (timed by frame rate), MPEG-TS, FLV; whole and segmented."""
from fractions import Fraction

import av
import pytest

from media import frame_times, make_clip

SOURCE_CODEC = {".avi": "mpeg4", ".mpg": "mpeg2video", ".flv": "flv", ".ts": "libx264"}


def _source(tmp_path, ext):
    base = make_clip(tmp_path / f"base{ext}.mkv", frames=60, size=(96, 64), audio=False)
    src = tmp_path / f"src{ext}"
    with av.open(str(base)) as i, av.open(str(src), "w") as o:
        v = o.add_stream(SOURCE_CODEC[ext], rate=24, options={"g": "12", "bf": "0"})
        v.width, v.height, v.pix_fmt = 96, 64, "yuv420p"
        v.codec_context.time_base = Fraction(1, 24)
        for n, f in enumerate(i.decode(video=0)):
            f.pts, f.time_base = n, Fraction(1, 24)
            for p in v.encode(f):
                o.mux(p)
        for p in v.encode():
            o.mux(p)
    return src


@pytest.mark.parametrize("ext", [".avi", ".mpg", ".ts", ".flv"])
def test_frame_times_kept_whole_and_segmented(tmp_path, cli, random_weights, ext):
    src = _source(tmp_path, ext)
    runs = [([], "whole"), (["--crf", "0"], "lossless")]
    if ext != ".mpg":
        runs.append((["--segment-seconds", "1"], "segmented"))
    for extra, name in runs:
        out = tmp_path / name
        r = cli("run", src, "-o", out, "--weights", random_weights, *extra)
        assert r.returncode == 0, (name, r.stderr)
        a, b = frame_times(src), frame_times(out / src.name)
        assert len(a) == len(b) == 60, (name, len(b))
        assert max(abs(x - y) for x, y in zip(a, b)) < 1e-3, (name, [round(y - x, 3) for x, y in zip(a, b)][:5])


def test_segmented_mpeg_ps_is_refused_up_front(tmp_path, cli, random_weights):
    src = _source(tmp_path, ".mpg")
    r = cli("run", src, "-o", tmp_path / "out", "--weights", random_weights, "--segment-seconds", "1")
    assert r.returncode == 2 and "MPEG-PS" in r.stderr and len(r.stderr.strip().splitlines()) == 1
