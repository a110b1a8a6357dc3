#!/usr/bin/env python3
"""Export a training checkpoint to shipped weights (fp16 safetensors + model card with sha256).

  python scripts/export.py runs/baseline/baseline-cnn-regress.ckpt --model baseline-cnn \
      --out models/weights/baseline-cnn.safetensors --card '{"data": "train_shards"}'
"""
import argparse
import json

import torch

from colorize_cli.models import create_model, save_weights


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("checkpoint")
    ap.add_argument("--model", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--card", default="{}", help="JSON fields for the model card")
    args = ap.parse_args()
    state = torch.load(args.checkpoint, map_location="cpu")
    net = create_model(args.model, weights=None).net
    net.load_state_dict(state["net"])
    card = {"model": args.model, "steps": state["step"], "history_tail": state["history"][-3:],
            **json.loads(args.card)}
    print(json.dumps(save_weights(net, args.out, card), indent=2))


if __name__ == "__main__":
    main()
