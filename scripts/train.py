#!/usr/bin/env python3
"""Train one registry model with its recipe.

  python scripts/train.py --model baseline-cnn --data ../shared/data/train_shards \
      --val ../shared/data/val --steps 3000 --out runs/baseline --export
"""
import argparse
import json
import platform
import time

import torch

from colorize_cli.models import get_spec
from colorize_cli.models.training.recipes import TrainConfig, Trainer


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True)
    ap.add_argument("--data", required=True, help="folder of images or of .tar shards")
    ap.add_argument("--val", help="validation image folder")
    ap.add_argument("--out", default="runs")
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--minutes", type=float)
    ap.add_argument("--batch", type=int)
    ap.add_argument("--lr", type=float)
    ap.add_argument("--size", type=int)
    ap.add_argument("--stage", default="auto", choices=["auto", "pretrain", "gan", "regress"])
    ap.add_argument("--init", help="start from these weights (e.g. the L1-pretrained generator)")
    ap.add_argument("--eval-every", type=int, default=100)
    ap.add_argument("--threads", type=int)
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--export", action="store_true", help="write fp16 safetensors + model card to --out")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    spec = get_spec(args.model)
    cfg = TrainConfig(steps=args.steps, minutes=args.minutes, batch=args.batch, lr=args.lr, size=args.size,
                      stage=args.stage, eval_every=args.eval_every, device=args.device)
    t0 = time.time()
    trainer = Trainer(spec, args.data, args.out, cfg, val=args.val, init=args.init)
    print(f"{spec.name}: {len(trainer.images)} images, stage {trainer.stage}, recipe {trainer.r}", flush=True)
    history = trainer.run()
    if args.export:
        dev = torch.cuda.get_device_name() if trainer.dev.type == "cuda" else platform.processor() or "cpu"
        card = {"model": spec.name, "data": str(args.data), "steps": trainer.step,
                "batch": trainer.r["batch"], "crop": trainer.size, "stage": trainer.stage,
                "device": dev, "train_seconds": round(time.time() - t0),
                "final": history[-1] if history else {}}
        card = trainer.export(f"{args.out}/{spec.name}.safetensors", card)
        print(json.dumps(card, indent=2))


if __name__ == "__main__":
    main()
