#!/usr/bin/env python3
"""Train lite-unet on a CPU in stages that resume (see colorize_cli.models.training.lite).

  nohup python scripts/train_lite.py --data ../shared/data/train_shards --val ../shared/data/val \
      --out runs/lite0 --stage all > runs/lite0.log 2>&1 &

The long campaign (resumable in steps; run the same line again to resume):

  nohup nice -n 19 python scripts/train_lite.py --campaign --data ../shared/data/train_shards \
      --val ../shared/data/val --out runs/campaign --threads 2 >> runs/campaign.out 2>&1 &

Then choose the decode (mix, T) on val and export: scripts/export_lite.py.
"""
import argparse
from dataclasses import fields

import torch

from colorize_cli.models.training.campaign import Campaign, CampaignConfig
from colorize_cli.models.training.lite import LiteConfig, LiteTrainer


class ValScorer:
    """The eval protocol of `colorize eval` on val (256², the whole photo path, torch on the CPU)."""

    def __init__(self, folder: str, limit: int | None = None):
        from colorize_cli.tools.evaluate import load_val

        self.images = load_val(folder, limit)

    def gray(self) -> dict:
        from colorize_cli.tools.evaluate import evaluate

        return {k: float(v) for k, v in evaluate({"gray": None}, self.images)["gray"].items()}

    def score(self, net, render: int) -> dict:
        from colorize_cli.engines.cpu import CPUEngine
        from colorize_cli.tools.evaluate import evaluate
        from colorize_cli.models import get_spec
        from colorize_cli.models.registry import ABPredictor
        from colorize_cli.pipeline.predict import ChromaPredictor

        net.eval()
        engine = CPUEngine(ABPredictor(get_spec("lite-unet"), net), max_batch=16, render_size=render, backend="torch")
        m = evaluate({"x": ChromaPredictor(engine)}, self.images, timing_batch=1)["x"]
        return {k: float(v) for k, v in m.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, help="folder of images or of .tar shards")
    ap.add_argument("--val", help="validation image folder")
    ap.add_argument("--out", default="runs/lite")
    ap.add_argument("--stage", default="all", choices=["cache", "decoder", "finetune", "all"])
    ap.add_argument("--threads", type=int)
    ap.add_argument("--campaign", action="store_true",
                    help="the long resumable fine-tuning campaign (models/training/campaign.py); run it again to resume")
    ap.add_argument("--init", help="campaign start weights (default: the shipped lite-unet)")
    ap.add_argument("--val-limit", type=int, help="score on the first N val photos only (smoke runs)")
    names = {}     # options of both configs; each config takes its own default for what is not given
    for f in (*fields(LiteConfig), *fields(CampaignConfig)):
        if f.name not in names:
            names[f.name] = ap.add_argument(f"--{f.name.replace('_', '-')}", type=type(f.default),
                                            default=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.campaign:
        if not args.val:
            ap.error("--campaign needs --val (the curve and the sweep are scored on val)")
        cc = CampaignConfig(**{f.name: getattr(args, f.name) for f in fields(CampaignConfig) if hasattr(args, f.name)})
        Campaign(args.data, ValScorer(args.val, args.val_limit), args.out, cc, args.init).run()
        return
    cfg = LiteConfig(**{f.name: getattr(args, f.name) for f in fields(LiteConfig) if hasattr(args, f.name)})
    trainer = LiteTrainer(args.data, args.val, args.out, cfg)
    if args.stage in ("cache", "all"):
        trainer.build_cache()
    if args.stage in ("decoder", "all"):
        trainer.train_decoder()
    if args.stage in ("finetune", "all"):
        trainer.finetune()


if __name__ == "__main__":
    main()
