#!/usr/bin/env python3
"""Learned hint channels for lite-unet (issue #24): train (resumable) and score on val.

    nohup nice -n 19 python3 scripts/train_hint_net.py train --images runs/campaign/images-252.npy \\
        --out runs/hintnet --steps 4000 >> runs/hintnet.out 2>&1 &
    python3 scripts/train_hint_net.py score --val ../shared/data/val --ckpt runs/hintnet/hints.ckpt --limit 60

`score` uses the `colorize eval --hints` protocol (256x256 val photos, k seeded true-colour points
of radius 3 with the truth's 7x7 mean colour, the photo path's propagation at 256) and prints,
for each k, the gain over gray of: the shipped path (automatic network + propagation), the hint
network alone, and the hint network + propagation, all in one run on the same points.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch


def build(ckpt: str | None):
    from colorize_cli.models.hint_lite import HintLiteUNet
    from colorize_cli.models.training.campaign import start_net

    net = HintLiteUNet(start_net(None))
    if ckpt:
        net.load_state_dict(torch.load(ckpt, weights_only=False)["model"])
    return net.eval()


def train(args) -> None:
    from colorize_cli.models.training.hints import HintConfig, HintTrainer

    torch.set_num_threads(args.threads)
    images = torch.from_numpy(np.load(args.images))
    cfg = HintConfig(total_steps=args.steps, cached=args.cached)
    net = build(None)
    tr = HintTrainer(net, images, args.out, cfg, say=lambda s: print(s, flush=True))
    tr.run(args.stop or args.steps)


def predict_ab(net, L256: np.ndarray, hints, render: int, use_net_hints: bool) -> tuple[np.ndarray, np.ndarray]:
    from colorize_cli.colour.resize import shrink
    from colorize_cli.hints import draw, hint_ab

    H, W = L256.shape
    small = shrink(L256[None], (render, render))[None]
    x = torch.from_numpy(small / 100.0).float()
    hint = None
    if use_net_hints and hints is not None:
        rgb, weight = draw(hints, W, H, render, render)
        ab = hint_ab(rgb, weight) / 110.0
        hint = torch.from_numpy(np.concatenate([ab * (weight > 0), (weight > 0)[None]], 0)).float()[None]
    with torch.no_grad():
        out = net(x, hint)[0].numpy() * 110
    return out[0], out[1]


def score(args) -> None:
    from PIL import Image

    from colorize_cli.colour import photo_codes
    from colorize_cli.hints import from_points
    from colorize_cli.pipeline.image import hinted_ab, lightness
    from colorize_cli.tools.evaluate import SIZE, evaluate, gray_of, hint_points, image_metrics, load_val

    torch.set_num_threads(args.threads)
    images = load_val(args.val, args.limit)
    gray_psnr = evaluate({"gray": None}, images)["gray"]["psnr"]
    net = build(args.ckpt)
    ks = [int(k) for k in args.ks.split(",")]
    arms = {"shipped (auto + propagation)": (False, True), "hint net": (True, False),
            "hint net + propagation": (True, True)}
    rows = {}
    for k in ks:
        per = {a: [] for a in arms}
        for i, (_, full) in enumerate(images):
            true = np.asarray(Image.fromarray(full).resize((SIZE, SIZE), Image.BICUBIC))
            gray = gray_of(true)
            hints = from_points(hint_points(true, k, seed=i)) if k else None
            L = lightness(gray)
            for arm, (net_hints, prop) in arms.items():
                a, b = predict_ab(net, L, hints, args.render, net_hints)
                if prop:
                    a, b = hinted_ab(L, a, b, hints)
                out = photo_codes(L, np.ascontiguousarray(a), np.ascontiguousarray(b), np.empty((*L.shape, 3), np.uint8))
                per[arm].append(image_metrics(out, true))
        for arm in arms:
            m = {key: float(np.mean([x[key] for x in per[arm]])) for key in per[arm][0]}
            rows[f"{arm}, k={k}"] = {"gain_db": m["psnr"] - gray_psnr, "dcf": m["dcf"], "ciede2000": m["ciede2000"]}
            print(f"k={k:2d} {arm:30s} gain {m['psnr'] - gray_psnr:+.3f} dB  ΔCF {m['dcf']:.1f}  "
                  f"CIEDE2000 {m['ciede2000']:.2f}", flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps({"photos": len(images), "ckpt": args.ckpt, "rows": rows}, indent=2))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("train")
    t.add_argument("--images", required=True, help="the campaign's image cache (N, 3, S, S) uint8 .npy")
    t.add_argument("--out", default="runs/hintnet")
    t.add_argument("--steps", type=int, default=4000, help="cosine horizon")
    t.add_argument("--cached", type=int, default=0, help="train the head on the automatic outputs of N "
                   "centre crops computed once (fast); 0: live random crops")
    t.add_argument("--stop", type=int, default=0, help="stop after this step (resume later)")
    t.add_argument("--threads", type=int, default=2)
    s = sub.add_parser("score")
    s.add_argument("--val", required=True)
    s.add_argument("--ckpt")
    s.add_argument("--limit", type=int)
    s.add_argument("--ks", default="1,2,5,10,20")
    s.add_argument("--render", type=int, default=224)
    s.add_argument("--threads", type=int, default=2)
    s.add_argument("--json")
    args = ap.parse_args()
    train(args) if args.cmd == "train" else score(args)


if __name__ == "__main__":
    main()
