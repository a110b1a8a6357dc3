#!/usr/bin/env python3
"""Export a model's shipped weights to the ONNX graph the plain (torch-free) install runs:
models/weights/NAME.onnx, its big weights stored as the safetensors file stores them (int8 behind
DequantizeLinear, or fp16 behind Cast), folded to float by ONNX Runtime at load.
The card gets the file's sha256 and size, and the largest difference from the torch model on
random L at the model's size (`onnx_max_ab_diff`, Lab units; the tests check it again).

  python scripts/export_onnx.py lite-unet baseline-cnn pix2pix-densenet resnet18-unet
"""
import argparse
import json
import tempfile
from pathlib import Path

import numpy as np
import torch

from colorize_cli.engines.onnx_export import export_onnx, int8_weights
from colorize_cli.files import file_sha256
from colorize_cli.models import create_model, get_spec


def parity(model, path: Path, size: int) -> float:
    import onnxruntime as ort

    torch.manual_seed(0)
    L = torch.rand(2, 1, size, size * 3 // 2 // 32 * 32 or size) * 100
    with torch.no_grad():
        ref = model(L).numpy()
    got = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(["ab"], {"L": L.numpy()})[0]
    return float(np.abs(got - ref).max())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("models", nargs="+")
    args = ap.parse_args()
    for name in args.models:
        spec = get_spec(name)
        model = create_model(name).eval()
        card_path = spec.weights_path.with_suffix(".json")
        card = json.loads(card_path.read_text())
        storage = "int8" if str(card.get("storage", "")).startswith("int8") else "fp16"
        with tempfile.TemporaryDirectory() as tmp:
            float_path = export_onnx(model, Path(tmp) / "float.onnx", fold=False)
            counts = int8_weights(float_path, spec.onnx_path, storage)
        card["onnx"] = {"file": spec.onnx_path.name, "sha256": file_sha256(spec.onnx_path),
                        "bytes": spec.onnx_path.stat().st_size, **counts,
                        "max_ab_diff_vs_torch": round(parity(model, spec.onnx_path, spec.render_size()), 4),
                        "made_by": "scripts/export_onnx.py"}
        card_path.write_text(json.dumps(card, indent=2) + "\n")
        print(name, json.dumps(card["onnx"]))


if __name__ == "__main__":
    main()
