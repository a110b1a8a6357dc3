"""Every bad option and odd file gets one clear line, up front (issue 11): one table of cases,
each with the command, the expected exit code and a fragment of the message."""
import math
import os
import struct

import av
import numpy as np
import pytest
from PIL import Image

from media import make_clip

# (id, extra arguments, expected exit code, message fragment); the input is one small photo
# (`{photo}`) or clip (`{clip}`) and the output folder is `{out}`, which a usage error never makes.
USAGE = [
    ("crf-negative", ["{photo}", "--crf", "-5"], "--crf"),
    ("crf-huge", ["{photo}", "--crf", "1000"], "--crf"),
    ("preset", ["{photo}", "--preset", "bogus"], "--preset 'bogus'"),
    ("codec", ["{photo}", "--codec", "nosuch"], "--codec nosuch"),
    ("codec-audio", ["{photo}", "--codec", "aac"], "not a video one"),
    ("format", ["{photo}", "--format", "xyz"], "--format xyz"),
    ("format-kind", ["{clip}", "--format", "png"], "cannot be written as .png"),
    ("strength-nan", ["{clip}", "--temporal-strength", "nan"], "finite"),
    ("strength-range", ["{clip}", "--temporal-strength", "5"], "--temporal-strength"),
    ("saturation-nan", ["{photo}", "--saturation", "nan"], "finite"),
    ("segments-inf", ["{clip}", "--segment-seconds", "inf"], "finite"),
    ("segments-nan", ["{clip}", "--segment-seconds", "nan"], "finite"),
    ("segments-short", ["{clip}", "--segment-seconds", "0.5"], "--segment-seconds"),
    ("max-pixels-negative", ["{photo}", "--max-pixels", "-1"], "--max-pixels"),
    ("max-pixels-zero", ["{photo}", "--max-pixels", "0"], "--max-pixels"),
    ("batch-zero", ["{photo}", "--batch-size", "0"], "--batch-size"),
    ("render-huge", ["{photo}", "--render-size", "5000"], "--render-size"),
    ("render-small", ["{photo}", "--render-size", "-1"], "--render-size"),
    ("threads-zero", ["{photo}", "--threads", "0"], "--threads"),
    ("photos-ahead-negative", ["{folder}", "--photos-ahead", "-1"], "--photos-ahead"),
    ("photos-ahead-huge", ["{folder}", "--photos-ahead", "9"], "--photos-ahead"),
    ("engine", ["{photo}", "--engine", "tpu"], "--engine"),
    ("temporal", ["{clip}", "--temporal", "bogus"], "--temporal"),
    ("crf-text", ["{photo}", "--crf", "high"], "'high' is not a valid integer"),
    ("both-flags", ["{photo}", "--overwrite", "--skip-existing"], "exclude each other"),
    ("out-is-file", ["{folder}", "-o", "{photo}"], "is a file"),
    ("weights-pickle", ["{photo}", "--weights", "{pickle}"], "only .safetensors"),
    ("weights-truncated", ["{photo}", "--weights", "{truncated}"], "not a readable safetensors file"),
    ("weights-random", ["{photo}", "--weights", "{garbage}"], "not a readable safetensors file"),
    ("weights-other-model", ["{photo}", "--model", "conv11", "--weights", "{weights}"], "not weights for"),
    ("weights-missing", ["{photo}", "--weights", "{folder}/none.safetensors"], "not found"),
    ("model", ["{photo}", "--model", "lite-unett"], "did you mean 'lite-unet'"),
    ("list-binary", ["@{binlist}"], "NUL bytes"),
]


@pytest.fixture(scope="module")
def files(tmp_path_factory, random_weights):
    d = tmp_path_factory.mktemp("v")
    folder = d / "in"
    folder.mkdir()
    photo = folder / "p.png"
    Image.fromarray((np.random.default_rng(0).random((24, 32, 3)) * 255).astype(np.uint8)).save(photo)
    clip = make_clip(d / "c.mp4", frames=6, size=(32, 24))
    (d / "w.pt").write_bytes(b"\x80\x04pickle")
    data = random_weights.read_bytes()
    (d / "t.safetensors").write_bytes(data[: len(data) // 2])
    (d / "g.safetensors").write_bytes(os.urandom(4096))
    (d / "bin.txt").write_bytes(b"\x00\x01\x02binary\xff\xfe")
    return {"photo": photo, "clip": clip, "folder": folder, "pickle": d / "w.pt", "truncated": d / "t.safetensors",
            "garbage": d / "g.safetensors", "weights": random_weights, "binlist": d / "bin.txt", "out": d / "out"}


def _args(template, files):
    return [a.format(**files) for a in template]


def _error_lines(stderr: str) -> list[str]:
    return [ln for ln in stderr.splitlines() if ln.strip()]


@pytest.mark.parametrize("case,args,fragment", USAGE, ids=[c[0] for c in USAGE])
def test_usage_errors_are_one_line_exit_2_before_anything_is_touched(cli, files, case, args, fragment):
    extra = [] if "--weights" in args else ["--weights", "{weights}"]
    r = cli("run", *_args(args + extra + ["-o", "{out}"] if "-o" not in args else args + extra, files))
    lines = _error_lines(r.stderr)
    assert r.returncode == 2, (case, r.returncode, r.stderr)
    assert len(lines) == 1 and lines[0].startswith("error:") and fragment in lines[0], (case, r.stderr)
    assert not files["out"].exists()
    assert "Traceback" not in r.stderr


def test_an_unusable_encoder_is_refused_up_front(cli, files):
    """h264_nvenc is compiled into most builds; without an NVIDIA GPU it cannot be opened."""
    from colorize_cli.options import probe_encoder

    r = cli("run", files["clip"], "--codec", "h264_nvenc", "-o", files["out"], "--weights", files["weights"])
    if probe_encoder("h264_nvenc") is None:
        assert r.returncode == 0, r.stderr
    else:
        assert r.returncode == 2 and "h264_nvenc" in r.stderr and len(_error_lines(r.stderr)) == 1
        assert not files["out"].exists()


# ---------------------------------------------------------------------------------------------
# odd files: (id, maker(folder) -> input path, expected exit, fragment in stderr, check(output))

def _fifo(d, name):
    p = d / name
    os.mkfifo(p)
    return p


def _cmyk_jpeg(d):
    icc = bytearray(128)
    icc[0:4] = struct.pack(">I", 128)
    icc[12:16], icc[16:20], icc[20:24], icc[36:40] = b"prtr", b"CMYK", b"Lab ", b"acsp"
    p = d / "cmyk.jpg"
    Image.new("CMYK", (40, 30), (0, 0, 0, 128)).save(p, icc_profile=bytes(icc))
    return p


def _rgba(d):
    a = np.zeros((30, 40, 4), np.uint8)
    a[..., :3] = 128
    a[..., 3] = np.arange(40, dtype=np.uint8)[None, :] * 6
    p = d / "rgba.png"
    Image.fromarray(a, "RGBA").save(p)
    return p


def _palette(d):
    img = Image.new("P", (40, 30), 0)
    img.putpalette([0, 0, 0, 200, 200, 200] + [0] * 762)
    img.paste(1, (10, 10, 30, 20))
    p = d / "pal.png"
    img.save(p, transparency=0)
    return p


def _float_tiff(d, top=1.0):
    a = np.tile(np.linspace(0, top, 40, dtype=np.float32), (30, 1))
    p = d / ("float.tif" if top <= 1 else "float_hdr.tif")
    Image.fromarray(a, "F").save(p)
    return p


def _sixteen(d):
    p = d / "deep.png"
    Image.fromarray((np.arange(40 * 30).reshape(30, 40) * 50).astype(np.uint16)).save(p)
    return p


def _odd_clip(d):
    return make_clip(d / "odd.mkv", frames=5, size=(33, 25), audio=False, codec="ffv1", pix_fmt="yuv420p")


def _strip(d):
    p = d / "strip.png"
    Image.fromarray(np.full((8, 8000), 120, np.uint8)).save(p)
    return p


def _dot(d):
    p = d / "dot.png"
    Image.fromarray(np.full((1, 1), 120, np.uint8)).save(p)
    return p


def _broken_link_folder(d):
    f = d / "links"
    f.mkdir()
    Image.fromarray(np.full((8, 8), 120, np.uint8)).save(f / "ok.png")
    (f / "gone.png").symlink_to(d / "nowhere.png")
    return f


def _fifo_folder(d):
    f = d / "fifos"
    f.mkdir()
    Image.fromarray(np.full((8, 8), 120, np.uint8)).save(f / "ok.png")
    _fifo(f, "pipe.png")
    return f


def _alpha_kept(out):
    src = np.asarray(Image.open(out.parent.parent / "rgba.png"))[..., 3]
    img = Image.open(out)
    assert img.mode == "RGBA" and np.array_equal(np.asarray(img)[..., 3], src)


def _no_cmyk_icc(out):
    assert Image.open(out).mode == "RGB" and not Image.open(out).info.get("icc_profile")


def _size(w, h):
    def check(out):
        if out.suffix in (".mp4", ".mkv"):
            with av.open(str(out)) as c:
                s = c.streams.video[0]
                assert (s.width, s.height) == (w, h) and s.frames in (0, 5)
        else:
            assert Image.open(out).size == (w, h)
    return check


def _not_black_16bit(out):
    a = np.asarray(Image.open(out))
    assert a.dtype == np.uint16 or Image.open(out).mode.startswith("I;16") or a.max() > 255 or a.mean() > 20
    assert a.mean() > 0.2 * (65535 if a.max() > 255 else 255)


ODD = [
    ("fifo-mp4", lambda d: _fifo(d, "pipe.mp4"), 1, "FIFO", None),
    ("fifo-in-folder", _fifo_folder, 1, "FIFO", None),
    ("broken-link-in-folder", _broken_link_folder, 1, "broken symbolic link", None),
    ("odd-size-420", _odd_clip, 0, "odd frame size", _size(33, 25)),
    ("strip-8000x8", _strip, 0, "", _size(8000, 8)),
    ("one-pixel", _dot, 0, "", _size(1, 1)),
    ("cmyk-icc", _cmyk_jpeg, 0, "ICC profile", _no_cmyk_icc),
    ("rgba", _rgba, 0, "", _alpha_kept),
    ("rgba-to-jpeg", _rgba, 0, "flattened", None),
    ("palette-transparency", _palette, 0, "", lambda out: Image.open(out).mode == "RGBA" or pytest.fail("no alpha")),
    ("float-tiff", _float_tiff, 0, "16-bit", _not_black_16bit),
    ("float-tiff-out-of-range", lambda d: _float_tiff(d, 7.0), 1, "outside 0-1", None),
    ("sixteen-to-jpeg", _sixteen, 0, "written as 8-bit", None),
]


@pytest.mark.parametrize("case,make,code,fragment,check", ODD, ids=[c[0] for c in ODD])
def test_odd_files(cli, tmp_path, random_weights, case, make, code, fragment, check):
    src = make(tmp_path)
    args = ["run", src, "-o", tmp_path / "out", "--weights", random_weights, "--render-size", "4096"
            if case == "one-pixel" else "64"]
    if case in ("rgba-to-jpeg", "sixteen-to-jpeg"):
        args += ["--format", "jpg"]
    r = cli(*args)
    assert r.returncode == code, (case, r.stderr)
    assert fragment in r.stderr, (case, r.stderr)
    assert "Traceback" not in r.stderr and "unexpected error" not in r.stderr
    assert not list(tmp_path.rglob("*.partial*"))
    if code:
        # every failure is one line naming the file; nothing is written for it
        errors = [ln for ln in r.stderr.splitlines() if ln.startswith("error:")]
        assert errors and all(str(src.name) in e or "pipe" in e or "gone" in e for e in errors), r.stderr
    if check is not None:
        outs = [p for p in (tmp_path / "out").rglob("*") if p.is_file() and not p.name.startswith("colorize-")]
        assert len(outs) == 1, outs
        check(outs[0])


def test_a_non_utf8_name_in_a_list_file_is_read(cli, tmp_path, random_weights):
    name = os.fsdecode(b"caf\xe9.png")        # Latin-1 bytes: not UTF-8
    Image.fromarray(np.full((8, 8), 100, np.uint8)).save(tmp_path / name)
    listing = tmp_path / "list.txt"
    listing.write_bytes(b"# scans\n" + os.fsencode(tmp_path / name) + b"\n")
    r = cli("run", f"@{listing}", "-o", tmp_path / "out", "--weights", random_weights)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "out" / name).is_file()


# ---------------------------------------------------------------------------------------------
# the API: the same validation, the same messages

def test_api_options_are_validated_when_made():
    from colorize_cli.api import ModelOptions, RunOptions
    from colorize_cli.errors import UsageError

    bad_run = [dict(temporal="bogus"), dict(temporal_strength=5), dict(segment_seconds=-1),
               dict(segment_seconds=math.inf), dict(saturation=math.nan), dict(overwrite=True, skip_existing=True),
               dict(crf=-5), dict(preset="bogus"), dict(output_ext="xyz"), dict(max_pixels=0), dict(overwrite="yes")]
    for kw in bad_run:
        with pytest.raises(UsageError):
            RunOptions(**kw)
    for kw in [dict(batch_size=0), dict(render_size=-1), dict(render_size=5000), dict(threads=0),
               dict(engine="tpu"), dict(weights="/nonexistent.safetensors"), dict(batch_size=2.5)]:
        with pytest.raises(UsageError):
            ModelOptions(**kw)
    assert RunOptions(output_ext="PNG").output_ext == ".png"


def test_api_arrays_and_single_paths(tmp_path, random_weights):
    from colorize_cli.api import Colorizer
    from colorize_cli.errors import UsageError

    with pytest.raises(UsageError):
        Colorizer(weights=random_weights, batch_size=0)
    with pytest.raises(UsageError):
        Colorizer(weights=random_weights, render_size=-8)
    cz = Colorizer(weights=random_weights, engine="cpu")
    for bad in (np.zeros((0, 5), np.uint8), np.zeros((4, 0, 3), np.uint8), np.zeros((4, 4, 3), np.float64)):
        with pytest.raises(UsageError):
            cz.colorize_array(bad)
    with pytest.raises(UsageError):
        cz.colorize_array(np.zeros((4, 4), np.uint8), saturation=math.nan)
    photo = tmp_path / "photo.png"
    Image.fromarray(np.full((12, 16), 90, np.uint8)).save(photo)
    results = list(cz.run(str(photo), tmp_path / "o.png"))      # a string is one path, not its characters
    assert [r.status for r in results] == ["done"] and (tmp_path / "o.png").is_file()
    cz.close()
