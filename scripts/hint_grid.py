#!/usr/bin/env python3
"""Picture grids of colour hints: gray | automatic | k points ... | truth, the points drawn as circles.

  python scripts/hint_grid.py --val ../shared/data/val --out models/cards/hints-val.jpg
  python scripts/hint_grid.py --photos ../shared/data/bw --hand models/cards/hints-bw.json \
      --out models/cards/hints-bw.jpg

--val: six val photos at 256x256 with 2 and 10 random true-colour points (the `colorize eval
--hints` protocol: seeded positions, the truth's 7x7 mean colour). --photos with --hand: real b&w
photos with hand-placed points from a JSON file {"photo.jpg": [[x, y, "#rrggbb"], ...]} (x, y in
the photo's pixels), shown gray | automatic | hinted.
"""
import argparse
import json
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from colorize_cli.api import Colorizer
from colorize_cli.tools.evaluate import gray_of, hint_points, load_val
from colorize_cli.hints import from_points


def circles(img: np.ndarray, points, scale: float = 1.0) -> Image.Image:
    im = Image.fromarray(img).convert("RGB")
    d = ImageDraw.Draw(im)
    for p in points:
        x, y = p[0] * scale, p[1] * scale
        colour = p[2] if isinstance(p[2], tuple) else tuple(int(p[2][i:i + 2], 16) for i in (1, 3, 5))
        d.ellipse([x - 5, y - 5, x + 5, y + 5], fill=colour, outline="white", width=2)
    return im


def val_grid(cz, folder: str, out: str, ks=(2, 10), n: int = 6, cell: int = 256) -> None:
    images = load_val(folder)
    chosen = list(enumerate(images))[:: max(1, len(images) // n)][:n]
    cols = 3 + len(ks)
    sheet = Image.new("RGB", (cell * cols, cell * len(chosen)), "white")
    for r, (i, (_, full)) in enumerate(chosen):
        small = np.asarray(Image.fromarray(full).resize((cell, cell), Image.BICUBIC))
        g = gray_of(small)
        row = [Image.fromarray(g), Image.fromarray(cz.colorize_array(g))]
        for k in ks:
            pts = hint_points(small, k, seed=i)          # the eval's own points for this image
            row.append(circles(cz.colorize_array(g, hints=from_points(pts)), pts))
        row.append(Image.fromarray(small))
        for c, im in enumerate(row):
            sheet.paste(im, (c * cell, r * cell))
    sheet.save(out, quality=90)


def hand_grid(cz, folder: str, hand: str, out: str, height: int = 300) -> None:
    placed = json.loads(Path(hand).read_text())
    rows = []
    for name, pts in placed.items():
        rgb = np.asarray(Image.open(Path(folder) / name).convert("RGB"))
        auto = cz.colorize_array(rgb)
        hinted = cz.colorize_array(rgb, hints=from_points(pts))
        s = height / rgb.shape[0]
        size = (round(rgb.shape[1] * s), height)
        rows.append([Image.fromarray(rgb).resize(size), Image.fromarray(auto).resize(size),
                     circles(hinted, pts).resize(size)])
    W = max(sum(im.width for im in r) for r in rows)
    sheet = Image.new("RGB", (W, height * len(rows)), "white")
    for y, r in enumerate(rows):
        x = 0
        for im in r:
            sheet.paste(im, (x, y * height))
            x += im.width
    sheet.save(out, quality=90)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--val")
    ap.add_argument("--photos")
    ap.add_argument("--hand")
    ap.add_argument("--out", required=True)
    ap.add_argument("--model", default=None)
    args = ap.parse_args()
    cz = Colorizer(args.model, engine="cpu")
    if args.val:
        val_grid(cz, args.val, args.out)
    elif args.photos and args.hand:
        hand_grid(cz, args.photos, args.hand, args.out)
    else:
        ap.error("give --val, or --photos with --hand")
    print(args.out)


if __name__ == "__main__":
    main()
