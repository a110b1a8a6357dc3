#!/usr/bin/env python3
"""A picture grid of real black-and-white photos: gray | one column per weights file.

  python scripts/bw_grid.py ../shared/data/bw --out models/cards/lite-unet-bw.jpg \
      --weights OLD.onnx,default --labels "stop 24,campaign"

Each photo is shrunk to --size on its long side and colorized through the Python API (CPU engine)
with each weights file ("default": the shipped default model), at the render size its card says.
"""
import argparse
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from colorize_cli.api import Colorizer

DEFAULT_PHOTOS = ("deoldify_1890CliffHouseSF.jpg", "deoldify_Texas1938Woman.jpg", "deoldify_LondonSheep1920s.jpg",
                  "deoldify_ParisLadies1930s.jpg", "deoldify_WWISikhs.jpg", "deoldify_Cork1905.jpg",
                  "deoldify_HomeIreland1924.jpg", "deoldify_NativeWoman1926.jpg")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("folder")
    ap.add_argument("--out", required=True)
    ap.add_argument("--weights", default="default", help="comma-separated weights files, or 'default'")
    ap.add_argument("--labels", help="comma-separated column labels")
    ap.add_argument("--photos", default=",".join(DEFAULT_PHOTOS))
    ap.add_argument("--size", type=int, default=360)
    args = ap.parse_args()
    weights = [w.strip() for w in args.weights.split(",")]
    labels = ["gray", *(args.labels.split(",") if args.labels else weights)]
    models = [Colorizer(engine="cpu", weights=None if w == "default" else w) for w in weights]
    rows = []
    for name in args.photos.split(","):
        im = Image.open(Path(args.folder) / name).convert("L")
        im.thumbnail((args.size, args.size))
        gray = np.asarray(im)
        cells = [np.stack([gray] * 3, -1)] + [m.colorize_array(gray) for m in models]
        rows.append(np.concatenate([np.pad(c, ((0, 0), (0, 4), (0, 0)), constant_values=255) for c in cells], 1))
    width = max(r.shape[1] for r in rows)
    grid = np.concatenate([np.pad(r, ((0, 4), (0, width - r.shape[1]), (0, 0)), constant_values=255) for r in rows])
    head = Image.new("RGB", (width, 18), "white")
    draw = ImageDraw.Draw(head)
    cell = rows[0].shape[1] // len(labels)
    for i, label in enumerate(labels):
        draw.text((i * cell + 4, 3), label, fill="black")
    out = Image.new("RGB", (width, 18 + grid.shape[0]), "white")
    out.paste(head, (0, 0))
    out.paste(Image.fromarray(grid), (0, 18))
    out.save(args.out, quality=88)
    print(args.out)


if __name__ == "__main__":
    main()
