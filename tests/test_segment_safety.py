"""Segmented films keep what a whole-film run keeps (issue #23 items 5, 6, 16)."""
import av

from media import frame_times, make_clip, video_frames


def _short_gop(src, dst, codec="libx264", rotation=None, pix_fmt="yuv420p"):
    """Re-encode with a keyframe every 12 frames so --segment-seconds 1 makes several segments."""
    with av.open(str(src)) as i, av.open(str(dst), "w") as o:
        iv = i.streams.video[0]
        opts = {"g": "12", "preset": "ultrafast", "crf": "18"} if codec == "libx264" else {"g": "12"}
        v = o.add_stream(codec, rate=24, options=opts)
        v.codec_context.time_base = v.time_base = __import__("fractions").Fraction(1, 24)
        v.width, v.height, v.pix_fmt = iv.width, iv.height, pix_fmt
        if rotation is not None:
            v.set_display_rotation(rotation)
        for n, f in enumerate(i.decode(iv)):
            f.pts, f.time_base = n, v.codec_context.time_base
            for q in v.encode(f):
                o.mux(q)
        for q in v.encode():
            o.mux(q)
    return dst


def test_segmented_films_keep_the_rotation(tmp_path, cli, random_weights):
    base = make_clip(tmp_path / "base.mkv", frames=48, size=(128, 96), audio=False)
    for ext in (".mp4", ".mkv"):
        src = _short_gop(base, tmp_path / f"rot{ext}", rotation=90)
        assert video_frames(src)[0].rotation == 90
        out = tmp_path / f"out{ext[1:]}"
        r = cli("run", src, "-o", out, "--weights", random_weights, "--segment-seconds", "1", "--json")
        assert r.returncode == 0, r.stderr
        got = out / src.name
        frames = video_frames(got)
        assert len(frames) == 48 and frames[0].rotation == 90, ext


def test_a_segmented_webm_in_a_folder_is_joined(tmp_path, cli, random_weights):
    base = make_clip(tmp_path / "base.mkv", frames=36, size=(96, 64), audio=False)
    folder = tmp_path / "in"
    folder.mkdir()
    src = _short_gop(base, folder / "clip.webm", codec="libvpx-vp9")
    r = cli("run", folder, "-o", tmp_path / "out", "--weights", random_weights, "--segment-seconds", "1")
    assert r.returncode == 0, r.stderr
    out = tmp_path / "out" / "clip.webm"
    assert len(video_frames(out)) == 36
    with av.open(str(out)) as c:
        assert c.streams.video[0].codec_context.name == "vp9"
    assert frame_times(out) == frame_times(src)


def test_segmented_mkv_keeps_the_frame_rate(tmp_path, cli, random_weights):
    base = make_clip(tmp_path / "base.mkv", frames=48, size=(96, 64), audio=False)
    src = _short_gop(base, tmp_path / "film.mkv")
    r = cli("run", src, "-o", tmp_path / "out", "--weights", random_weights, "--segment-seconds", "1")
    assert r.returncode == 0, r.stderr
    with av.open(str(src)) as a, av.open(str(tmp_path / "out" / "film.mkv")) as b:
        assert b.streams.video[0].average_rate == a.streams.video[0].average_rate == 24


def test_a_loose_segmented_film_leaves_only_its_output_beside_the_input(tmp_path, cli, random_weights,
                                                                        monkeypatch):
    monkeypatch.setenv("COLORIZE_CACHE", str(tmp_path / "cache"))
    folder = tmp_path / "films"
    folder.mkdir()
    base = make_clip(tmp_path / "base.mkv", frames=36, size=(96, 64), audio=False)
    src = _short_gop(base, folder / "reel.mkv")
    r = cli("run", src, "--weights", random_weights, "--segment-seconds", "1")
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in folder.iterdir()) == ["reel.mkv", "reel_color.mkv"]
    assert len(video_frames(folder / "reel_color.mkv")) == 36


def test_a_segmented_job_leaves_no_empty_work_folder(tmp_path, cli, random_weights):
    base = make_clip(tmp_path / "base.mkv", frames=36, size=(96, 64), audio=False)
    src = _short_gop(base, tmp_path / "film.mkv")
    r = cli("run", src, "-o", tmp_path / "out", "--weights", random_weights, "--segment-seconds", "1")
    assert r.returncode == 0, r.stderr
    assert not (tmp_path / "out" / ".colorize-work").exists()


def test_a_segmented_film_reports_its_stages_and_threads(tmp_path, random_weights):
    from colorize_cli.api import Colorizer, RunOptions

    base = make_clip(tmp_path / "base.mkv", frames=36, size=(96, 64), audio=False)
    src = _short_gop(base, tmp_path / "film.mkv")
    with Colorizer(weights=str(random_weights), engine="cpu", threads=2) as cz:
        (res,) = list(cz.run([src], tmp_path / "out", RunOptions(segment_seconds=1.0)))
    assert res.status == "done", res.error
    assert res.threads == 2
    assert res.stage_ms.get("decode", 0) > 0 and res.stage_ms.get("encode", 0) > 0 and res.stage_ms["infer"] > 0
