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
