#!/usr/bin/env python3
"""The no-learning floor for colour hints beside the shipped propagation, on one protocol.

  python scripts/hint_floor.py ../shared/data/val [--limit N] [--counts 2,10,20]

Each val photo is resized to 256x256 (as `colorize eval`); the network's ab (lite-unet) is
upsampled to 256; k points per photo at seeded positions take the truth's 7x7 mean ab. Printed:
the PSNR gain over gray (a = b = 0) of
- floor: the residual (truth - prediction) at the points spread by a Gaussian of 40 px weighted by
  lightness similarity (sigma 10 L units), normalised;
- propagation: pipeline.hints.apply_hints with its shipped settings (5x5 hint squares).
"""
import argparse
import math

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from colorize_cli.api import Colorizer
from colorize_cli.colorspace import lab_to_rgb, rgb_to_lab
from colorize_cli.tools.evaluate import load_val
from colorize_cli.pipeline.hints import apply_hints

SIZE = 256


def lab(rgb8):
    return rgb_to_lab(torch.from_numpy(np.ascontiguousarray(rgb8)).permute(2, 0, 1)[None].float() / 255)[0].numpy()


def to8(L, ab):
    t = torch.from_numpy(np.concatenate([L[None], ab])).float()[None]
    return (lab_to_rgb(t)[0].permute(1, 2, 0).clamp(0, 1).numpy() * 255).round().astype(np.uint8)


def psnr(a, b):
    return 10 * math.log10(255 ** 2 / max(((a.astype(float) - b) ** 2).mean(), 1e-9))


def floor(L, ab, pts, colours):
    yy, xx = np.mgrid[0:SIZE, 0:SIZE]
    num, den = np.zeros_like(ab), np.zeros(L.shape)
    for (y, x), c in zip(pts, colours):
        g = np.exp(-((yy - y) ** 2 + (xx - x) ** 2) / (2 * 40 ** 2)) * np.exp(-(L - L[y, x]) ** 2 / (2 * 10 ** 2))
        num += (c - ab[:, y, x])[:, None, None] * g
        den += g
    return ab + num / np.maximum(den, 1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("val")
    ap.add_argument("--limit", type=int)
    ap.add_argument("--counts", default="2,10,20")
    args = ap.parse_args()
    pred = Colorizer(engine="cpu").predictor
    cases = []
    for _, full in load_val(args.val, args.limit):
        t = np.asarray(Image.fromarray(full).resize((SIZE, SIZE), Image.BICUBIC))
        Lab = lab(t)
        _, ab = pred.predict(np.ascontiguousarray(Lab[0], dtype=np.float32)[None, None])
        ab = F.interpolate(torch.from_numpy(ab), size=(SIZE, SIZE), mode="bilinear", align_corners=False)[0].numpy()
        cases.append((t, Lab, ab))
    auto = np.mean([psnr(to8(Lab[0], ab), t) - psnr(to8(Lab[0], 0 * ab), t) for t, Lab, ab in cases])
    print(f"{len(cases)} photos; automatic {auto:+.2f} dB over gray")
    for k in (int(c) for c in args.counts.split(",")):
        rng = np.random.default_rng(0)
        gains = {"floor": [], "propagation": []}
        for t, Lab, ab in cases:
            pts = [(int(rng.integers(3, SIZE - 3)), int(rng.integers(3, SIZE - 3))) for _ in range(k)]
            colours = [Lab[1:, y - 3:y + 4, x - 3:x + 4].mean(axis=(1, 2)) for y, x in pts]
            gray = psnr(to8(Lab[0], 0 * ab), t)
            gains["floor"].append(psnr(to8(Lab[0], floor(Lab[0], ab, pts, colours)), t) - gray)
            hab, w = np.zeros_like(ab), np.zeros(Lab[0].shape, np.float32)
            for (y, x), c in zip(pts, colours):
                hab[:, y - 2:y + 3, x - 2:x + 3] = c[:, None, None]
                w[y - 2:y + 3, x - 2:x + 3] = 1
            gains["propagation"].append(psnr(to8(Lab[0], apply_hints(Lab[0], ab, hab, w)), t) - gray)
        print(f"{k} points: floor {np.mean(gains['floor']):+.2f} dB, propagation {np.mean(gains['propagation']):+.2f} dB")


if __name__ == "__main__":
    main()
