"""Long films in segments: same frames, timestamps and audio; no seam; a crash costs one segment."""
import json

import numpy as np

from media import chroma_planes, frame_times, make_clip, packets_bytes, video_frames, y_plane


def test_segmented_equals_continuous(tmp_path, cli, random_weights):
    src = make_clip(tmp_path / "film.mkv", frames=120, size=(192, 108), rate=24)
    # make_clip uses x264 defaults (keyint 250): re-cut with short GOPs so segments exist
    import av
    short_gop = tmp_path / "gop.mkv"
    with av.open(str(src)) as i, av.open(str(short_gop), "w") as o:
        v = o.add_stream("libx264", rate=24, options={"g": "24", "preset": "ultrafast", "crf": "10"})
        v.width, v.height, v.pix_fmt = 192, 108, "yuv420p"
        a = o.add_stream_from_template(i.streams.audio[0])
        for p in i.demux():
            if p.stream.type == "video":
                for f in p.decode():
                    for q in v.encode(f):
                        o.mux(q)
            elif p.dts is not None:
                p.stream = a
                o.mux(p)
        for q in v.encode():
            o.mux(q)
    whole = tmp_path / "whole.mkv"
    seg = tmp_path / "seg" / "gop.mkv"
    common = ["--weights", random_weights, "--codec", "ffv1"]
    assert cli("run", short_gop, "-o", whole, *common).returncode == 0
    r = cli("run", short_gop, "-o", tmp_path / "seg", *common, "--segment-seconds", "1", "--json")
    assert r.returncode == 0, r.stderr
    res = json.loads(r.stdout.splitlines()[0])
    assert any("5 segments" in w for w in res["warnings"]), res
    a, b = video_frames(whole), video_frames(seg)
    assert len(a) == len(b) == 120
    assert frame_times(seg) == frame_times(short_gop)
    assert packets_bytes(seg, "audio") == packets_bytes(short_gop, "audio")
    assert all(np.array_equal(y_plane(x), y_plane(y)) for x, y in zip(a, b))
    seam = max(int(np.abs(chroma_planes(x) - chroma_planes(y)).max()) for x, y in zip(a, b))
    assert seam <= 2  # warm-up makes the smoother's state at each boundary (almost) continuous
    assert not (tmp_path / "seg" / ".colorize-work").exists() or not any((tmp_path / "seg" / ".colorize-work").rglob("*.mkv"))
    status = json.loads(cli("status", tmp_path / "seg", "--json").stdout)
    assert status["frames"] == 120 and status["done"] == 1   # the film counted once, not once per segment


def test_crash_costs_at_most_one_segment(tmp_path, cli, random_weights, monkeypatch):
    import av

    from colorize_cli.api import Colorizer, RunOptions
    from colorize_cli.pipeline import item as per_item

    src = tmp_path / "gop.mkv"
    with av.open(str(src), "w") as o:
        v = o.add_stream("libx264", rate=24, options={"g": "12", "preset": "ultrafast"})
        v.width, v.height, v.pix_fmt = 96, 64, "yuv420p"
        for i in range(96):
            f = av.VideoFrame.from_ndarray(np.full((64, 96, 3), i * 2, np.uint8), format="rgb24")
            f.pts = i
            for q in v.encode(f):
                o.mux(q)
        for q in v.encode():
            o.mux(q)
    cz = Colorizer(weights=random_weights)
    opts = RunOptions(segment_seconds=1.0, preset="ultrafast")
    real = per_item.colorize_film
    calls = []

    def index(out):            # seg-00002.nut -> 2
        return int(out.stem.split("-")[1])

    def crash_on_third(session, source, out, options, **kw):
        calls.append(index(out))
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(session, source, out, options, **kw)

    monkeypatch.setattr(per_item, "colorize_film", crash_on_third)
    try:
        list(cz.run([src], tmp_path / "out", opts))
    except KeyboardInterrupt:
        pass
    assert not (tmp_path / "out" / "gop.mkv").exists()
    calls.clear()
    monkeypatch.setattr(per_item, "colorize_film", lambda *a, **kw: calls.append(index(a[2])) or real(*a, **kw))
    results = list(cz.run([src], tmp_path / "out", opts))
    assert results[0].status == "done", results[0].error
    assert calls == [2, 3]  # segments 0 and 1 were reused from the crashed run
    assert len(video_frames(tmp_path / "out" / "gop.mkv")) == 96
