"""The Python API with hostile arguments (issue #23 items 19, 20): paths as str, bytes or
PathLike (or iterables of them); anything else is one UsageError line, never a TypeError."""
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from colorize_cli.api import Colorizer, ModelOptions, RunOptions
from colorize_cli.errors import UsageError


@pytest.fixture(scope="module")
def cz(random_weights):
    with Colorizer(weights=str(random_weights), engine="cpu") as c:
        yield c


def _photo(path):
    Image.fromarray(np.full((24, 32), 100, np.uint8)).save(path)
    return path


def test_paths_as_bytes_and_pathlike(tmp_path, cz):
    src = _photo(tmp_path / "a.png")
    for inputs, out in ((os.fsencode(src), os.fsencode(tmp_path / "o1.png")),
                        ([os.fsencode(src)], tmp_path / "o2.png"),
                        ((p for p in [src]), str(tmp_path / "o3.png"))):
        res = list(cz.run(inputs, out))
        assert [r.status for r in res] == ["done"], [r.error for r in res]
        assert Path(os.fsdecode(out)).is_file()


@pytest.mark.parametrize("inputs", [None, 3, [None], [3.5], {"a": 1}])
def test_bad_inputs_are_usage_errors(cz, inputs):
    with pytest.raises(UsageError) as e:
        list(cz.run(inputs, "x"))
    assert "\n" not in str(e.value)


def test_bad_options_are_usage_errors(tmp_path, random_weights):
    src = _photo(tmp_path / "a.png")
    with pytest.raises(UsageError):
        ModelOptions(weights=b"\xff/nope.safetensors")
    with pytest.raises(UsageError):
        ModelOptions(weights=12)
    with pytest.raises(UsageError):
        Colorizer(options={"model": "baseline-cnn"})
    with Colorizer(weights=os.fsencode(random_weights), engine="cpu") as c:   # bytes weights work
        with pytest.raises(UsageError):
            list(c.run(src, tmp_path / "o.png", options={"overwrite": True}))
        with pytest.raises(UsageError):
            list(c.run(src, 5))


def test_output_side_errors_read_as_one_line(tmp_path, cli, random_weights):
    src = tmp_path / "in"
    (src / "sub").mkdir(parents=True)
    _photo(src / "sub" / "p.png")
    out = tmp_path / "out"
    out.mkdir()
    (out / "sub").write_text("a file where the folder goes")
    r = cli("run", src, "-o", out, "--weights", random_weights)
    assert r.returncode == 1
    assert "[Errno" not in r.stderr and "Traceback" not in r.stderr
    assert any(f"{out / 'sub'}: " in ln and "not a folder" in ln for ln in r.stderr.splitlines()), r.stderr
