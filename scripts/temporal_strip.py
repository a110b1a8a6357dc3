#!/usr/bin/env python3
"""A strip of consecutive frames of one clip made gray and colorized: rows per-frame | ema | flow.

  python scripts/temporal_strip.py ../shared/data/video/sam2_cups.mp4 --start 60 --frames 6 \
      --out models/cards/temporal-strip.jpg
"""
import argparse

import numpy as np
from PIL import Image, ImageDraw

from colorize_cli.api import Colorizer
from colorize_cli.tools.video_eval import DEFAULT_MODES, colorize_clip, read_clip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("clip")
    ap.add_argument("--model", default=None)
    ap.add_argument("--start", type=int, default=0)
    ap.add_argument("--frames", type=int, default=6)
    ap.add_argument("--step", type=int, default=2, help="take every Nth frame")
    ap.add_argument("--height", type=int, default=180)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    cz = Colorizer(args.model) if args.model else Colorizer()
    frames = read_clip(args.clip, 360, limit=args.start + args.frames * args.step)
    outs = colorize_clip(frames, cz.predictor, DEFAULT_MODES)   # smoothing runs over every frame
    picks = list(range(args.start, args.start + args.frames * args.step, args.step))
    rows = [("truth", frames)] + list(outs.items())
    h = args.height
    w = round(frames.shape[2] * h / frames.shape[1])
    label = 110
    sheet = Image.new("RGB", (label + w * len(picks), h * len(rows)), "white")
    draw = ImageDraw.Draw(sheet)
    for r, (name, imgs) in enumerate(rows):
        draw.text((6, r * h + h // 2), name, fill="black")
        for c, i in enumerate(picks):
            sheet.paste(Image.fromarray(np.ascontiguousarray(imgs[i])).resize((w, h), Image.BILINEAR),
                        (label + c * w, r * h))
    sheet.save(args.out, quality=90)


if __name__ == "__main__":
    main()
