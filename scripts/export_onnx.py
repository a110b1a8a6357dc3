#!/usr/bin/env python3
"""Export a model's weights to the one file that ships: the ONNX graph the plain (torch-free)
install runs and torch reads its weights from (models/registry.onnx_state):
models/weights/NAME.onnx, its big weights stored as the safetensors file stores them (int8 behind
DequantizeLinear, or fp16 behind Cast), folded to float by ONNX Runtime at load.
The card gets the file's sha256 and size, and the largest difference from the torch model on
random L at the model's size (Lab units; the tests check it again). --weights takes the
.safetensors that scripts/export.py or scripts/train_lite.py wrote (default: the shipped graph).

  python scripts/export_onnx.py lite-unet --weights runs/lite/lite-unet.safetensors
"""
import argparse
import json
from pathlib import Path

from colorize_cli.engines.onnx_export import write_weights_file
from colorize_cli.models import create_model, get_spec
from colorize_cli.models.spec import read_card


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("models", nargs="+")
    ap.add_argument("--weights", help="a .safetensors file to export (one model; its card is the new card)")
    args = ap.parse_args()
    for name in args.models:
        spec = get_spec(name)
        source = Path(args.weights) if args.weights else spec.onnx_path
        card = read_card(source)
        model = create_model(name, weights=source).eval()
        storage = "int8" if str(card.get("storage", "")).startswith("int8") else "fp16"
        card = write_weights_file(model, spec.shipped_path, card, storage, "scripts/export_onnx.py")
        print(name, json.dumps({k: card[k] for k in ("sha256", "bytes", "onnx")}))


if __name__ == "__main__":
    main()
