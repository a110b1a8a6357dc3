#!/usr/bin/env python3
"""Export a training checkpoint to shipped weights (safetensors + model card with sha256).

  python scripts/export.py runs/baseline/baseline-cnn-regress.ckpt --model baseline-cnn \
      --out models/weights/baseline-cnn.safetensors --card '{"data": "train_shards"}'

Big networks ship as int8 (half the bytes of fp16): --storage int8. A .safetensors file given in
place of a checkpoint is re-stored, its card carried over (metrics must then be measured again).
"""
import argparse
import json

import torch

from colorize_cli.models import create_model, save_weights
from colorize_cli.models.registry import read_card

STALE = ("sha256", "bytes", "storage", "metrics_val_256")   # facts of the old file, not the new one


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("checkpoint", help="a training .ckpt, or shipped .safetensors to store again")
    ap.add_argument("--model", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--storage", choices=("fp16", "int8"), default="fp16")
    ap.add_argument("--card", default="{}", help="JSON fields for the model card")
    args = ap.parse_args()
    if args.checkpoint.endswith(".safetensors"):
        net = create_model(args.model, weights=args.checkpoint).net
        card = {k: v for k, v in read_card(args.checkpoint).items() if k not in STALE}
    else:
        state = torch.load(args.checkpoint, map_location="cpu")
        net = create_model(args.model, weights=None).net
        net.load_state_dict(state["net"])
        card = {"steps": state["step"], "history_tail": state["history"][-3:]}
    card = {**card, "model": args.model, **json.loads(args.card)}
    print(json.dumps(save_weights(net, args.out, card, storage=args.storage), indent=2))


if __name__ == "__main__":
    main()
