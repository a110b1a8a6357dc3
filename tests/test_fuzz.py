"""200 randomly damaged media files (seeded, small) through `colorize run` in a real process:
exit 0 or 1 only, no traceback, one line per failure, nothing written for a failed item and no
partial file left anywhere."""
import json
import random
import subprocess
import sys

import numpy as np
from PIL import Image

from media import make_clip

N = 200


def _seeds(tmp_path):
    rng = np.random.default_rng(0)
    photo = (rng.random((24, 32, 3)) * 255).astype(np.uint8)
    seeds = {}
    for ext, kw in (("png", {}), ("jpg", {"quality": 80}), ("tif", {}), ("webp", {"lossless": True})):
        p = tmp_path / f"seed.{ext}"
        Image.fromarray(photo).save(p, **kw)
        seeds[ext] = p.read_bytes()
    for ext in ("mp4", "mkv"):
        seeds[ext] = make_clip(tmp_path / f"seed.{ext}", frames=6, size=(32, 24)).read_bytes()
    return seeds


def mutate(data: bytes, rnd: random.Random) -> bytes:
    b = bytearray(data)
    how = rnd.choice(["flip", "truncate", "chunk", "zero-head", "duplicate", "flip-many"])
    if how == "flip":
        for _ in range(rnd.randint(1, 8)):
            b[rnd.randrange(len(b))] ^= 1 << rnd.randrange(8)
    elif how == "flip-many":
        for _ in range(rnd.randint(20, 200)):
            b[rnd.randrange(len(b))] = rnd.randrange(256)
    elif how == "truncate":
        b = b[: rnd.randrange(len(b))]
    elif how == "chunk":
        at, n = rnd.randrange(len(b)), rnd.randint(1, 256)
        b[at:at + n] = bytes(rnd.randrange(256) for _ in range(n))
    elif how == "zero-head":
        n = rnd.randint(1, 64)
        b[:n] = bytes(n)
    else:
        at, n = rnd.randrange(len(b)), rnd.randint(1, 512)
        b[at:at] = b[at:at + n]
    return bytes(b)


def test_two_hundred_damaged_files(tmp_path, random_weights):
    seeds = _seeds(tmp_path)
    rnd = random.Random(1234)
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(N):
        ext = rnd.choice(sorted(seeds))
        (folder / f"f{i:03d}.{ext}").write_bytes(mutate(seeds[ext], rnd))
    out = tmp_path / "out"
    r = subprocess.run([sys.executable, "-m", "colorize_cli", "run", str(folder), "-o", str(out), "--json",
                        "--weights", str(random_weights), "--render-size", "32", "--preset", "ultrafast",
                        "--temporal", "ema"], capture_output=True, text=True)
    assert r.returncode in (0, 1), r.stderr[-2000:]
    assert "Traceback" not in r.stderr, r.stderr[-3000:]
    rows = [json.loads(ln) for ln in r.stdout.splitlines() if ln.startswith("{")]
    results = [row for row in rows if "source" in row]
    assert len(results) == N
    failed = [row for row in results if row["status"] == "failed"]
    assert (r.returncode == 1) == bool(failed)
    for row in results:
        if row["status"] == "failed":
            assert row["error"] and "\n" not in row["error"]
            assert not (out / row["output"].split("/")[-1]).exists(), row
            assert row["output"] in r.stdout
        else:
            assert row["status"] == "done" and (out / row["output"].split("/")[-1]).is_file(), row
    errors = [ln for ln in r.stderr.splitlines() if ln.startswith("error:")]
    assert len(errors) == len(failed)
    assert not [p for p in tmp_path.rglob("*") if ".partial" in p.name]
    # the fuzz must reach both outcomes, or it tests nothing
    assert failed and len(failed) < N
