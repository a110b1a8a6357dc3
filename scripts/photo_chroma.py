"""Chroma-stage milliseconds per photo on the CPU: the compiled kernel against the OpenCV path.

    python scripts/photo_chroma.py ../shared/data/bw --model baseline-cnn --size 1280x960 --limit 12

Each photo (resized to --size, as a scan of that size) goes through colorize_rgb both ways, in
two alternating rounds; prints the medians (the stage `chroma` of `colorize bench`: L, the
network's input, the full-resolution colour)."""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image

from colorize_cli.api import Colorizer
from colorize_cli.pipeline.image import colorize_rgb


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--model", default="baseline-cnn")
    ap.add_argument("--size", default="1280x960")
    ap.add_argument("--limit", type=int, default=12)
    args = ap.parse_args()
    w, h = (int(v) for v in args.size.split("x"))
    files = sorted(p for p in args.folder.iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png"))[:args.limit]
    if not files:
        raise SystemExit(f"{args.folder}: no photos")
    photos = [np.asarray(Image.open(p).convert("RGB").resize((w, h), Image.BICUBIC)) for p in files]
    predictor = Colorizer(args.model, "cpu").predictor
    colorize_rgb(photos[0], predictor, jit=True)          # compiled code loaded, tables built
    ms: dict = {True: [], False: []}
    for _ in range(2):
        for jit in (True, False):
            for rgb in photos:
                times: dict = {}
                colorize_rgb(rgb, predictor, times=times, jit=jit)
                ms[jit].append(times["chroma"] * 1e3)
    print(f"{args.model}, {len(photos)} photos from {args.folder} at {w}x{h}: chroma ms, median "
          f"(min-max): compiled {np.median(ms[True]):.1f} ({min(ms[True]):.1f}-{max(ms[True]):.1f}), "
          f"OpenCV {np.median(ms[False]):.1f} ({min(ms[False]):.1f}-{max(ms[False]):.1f})")


if __name__ == "__main__":
    main()
