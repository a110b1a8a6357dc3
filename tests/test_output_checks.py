"""Output settings that cannot work are refused before the model loads (issue #23 item 18):
exit 2, one line, nothing written."""
import numpy as np
from PIL import Image

from media import make_clip


def _photo(path):
    Image.fromarray(np.full((24, 32), 100, np.uint8)).save(path)
    return path


def test_trailing_slash_means_a_folder(tmp_path, cli, random_weights):
    src = _photo(tmp_path / "a.png")
    r = cli("run", src, "-o", f"{tmp_path / 'p0.2'}/", "--weights", random_weights)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "p0.2" / "a.png").is_file()


def test_kind_and_container_mismatches_are_usage_errors(tmp_path, cli, random_weights):
    film = make_clip(tmp_path / "film.mp4", frames=6, size=(64, 48), audio=False)
    photo = _photo(tmp_path / "a.png")
    cases = [((film, "-o", tmp_path / "x.png"), "x.png"),
             ((photo, "-o", tmp_path / "x.mp4"), "x.mp4"),
             ((film, "-o", tmp_path / "x.webm", "--codec", "libx264"), "libx264"),
             ((film, "-o", tmp_path / "x.gif"), "x.gif")]
    for args, word in cases:
        # exit 2 and a single line: refused while planning (an item failing after the model
        # loaded is exit 1 and prints the run's header and summary lines too)
        r = cli("run", *args, "--weights", random_weights)
        assert r.returncode == 2, (args, r.stderr)
        assert word in r.stderr, (args, r.stderr)
        assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.png", "film.mp4"]
