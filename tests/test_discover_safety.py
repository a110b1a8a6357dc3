"""Discovery and names under hostile input (issue #23 items 4 and 14)."""
import numpy as np
from PIL import Image


def test_a_symlink_loop_in_a_folder_is_one_failed_item(tmp_path, cli, random_weights):
    src = tmp_path / "in"
    src.mkdir()
    Image.fromarray(np.full((32, 48), 120, np.uint8)).save(src / "good.png")
    (src / "self.png").symlink_to("self.png")          # ln -s self.png in/self.png
    (src / "a.png").symlink_to("b.png")
    (src / "b.png").symlink_to("a.png")
    out = tmp_path / "out"
    r = cli("run", src, "-o", out, "--weights", random_weights)
    assert r.returncode == 1, r.stderr
    assert "Traceback" not in r.stderr
    assert (out / "good.png").is_file()
    for name in ("self.png", "a.png", "b.png"):
        line = [ln for ln in r.stderr.splitlines() if f"{name}:" in ln]
        assert line and "symbolic link" in line[0], r.stderr
    r = cli("status", out)       # the manifest can hold them too
    assert r.returncode == 0 and "3 failed" in r.stdout


def test_a_long_name_that_fits_is_written(tmp_path, cli, random_weights):
    stem = "x" * 240                      # final name 240 + len(".png") = 244 bytes: it fits in 255
    src = tmp_path / f"{stem}.png"
    Image.fromarray(np.full((32, 48), 120, np.uint8)).save(src)
    out = tmp_path / "out"
    out.mkdir()
    r = cli("run", src, "-o", out / f"{stem}.png", "--weights", random_weights)
    assert r.returncode == 0, r.stderr
    assert (out / f"{stem}.png").is_file() and not [p for p in out.iterdir() if "partial" in p.name]
    src2 = tmp_path / "in"
    src2.mkdir()
    Image.fromarray(np.full((32, 48), 120, np.uint8)).save(src2 / f"{'y' * 245}.png")
    r = cli("run", src2, "-o", tmp_path / "out2", "--weights", random_weights)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "out2" / f"{'y' * 245}.png").is_file()


def test_what_a_folder_holds_but_is_not_taken_is_said(tmp_path, cli, random_weights):
    src = tmp_path / "in"
    (src / ".trash").mkdir(parents=True)
    Image.fromarray(np.full((32, 48), 120, np.uint8)).save(src / "good.png")
    Image.fromarray(np.full((32, 48), 120, np.uint8)).save(src / ".hidden.png")
    Image.fromarray(np.full((32, 48), 120, np.uint8)).save(src / ".trash" / "old.png")
    Image.new("RGB", (8, 8)).save(src / "anim.gif")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (src / "linked").symlink_to(elsewhere, target_is_directory=True)
    r = cli("run", src, "-o", tmp_path / "out", "--weights", random_weights)
    assert r.returncode == 0, r.stderr
    notes = [ln for ln in r.stderr.splitlines() if ln.startswith("note:")]
    assert any("1 GIF file skipped" in n for n in notes), r.stderr
    assert any("2 hidden" in n for n in notes), r.stderr
    assert any("linked" in n and "symbolic link to a folder" in n for n in notes), r.stderr
    r = cli("run", src, "-o", src, "--weights", random_weights)
    assert r.returncode == 2 and "the output folder is the input folder" in r.stderr


def test_a_name_that_is_not_utf8_reads_as_bytes_in_notes(tmp_path, cli, random_weights):
    import os

    src = tmp_path / "in"
    src.mkdir()
    raw = os.fsencode(src) + b"/caf\xff.png"
    Image.fromarray(np.full((32, 48), 120, np.uint8)).save(os.fsdecode(raw))
    (src / "bad.png").write_bytes(b"not an image")
    os.rename(src / "bad.png", os.fsdecode(os.fsencode(src) + b"/\xfe.png"))
    r = cli("run", src, "-o", tmp_path / "out", "--weights", random_weights)
    assert r.returncode == 1
    assert "\\udc" not in r.stderr and "\\xfe.png" in r.stderr, r.stderr
