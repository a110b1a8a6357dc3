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
import tempfile
from pathlib import Path

import numpy as np
import torch

from colorize_cli.engines.onnx_export import export_onnx, int8_weights
from colorize_cli.files import file_sha256
from colorize_cli.models import create_model, get_spec
from colorize_cli.models.spec import read_card


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
    ap.add_argument("--weights", help="a .safetensors file to export (one model; its card is the new card)")
    args = ap.parse_args()
    for name in args.models:
        spec = get_spec(name)
        source = Path(args.weights) if args.weights else spec.onnx_path
        card = read_card(source)
        model = create_model(name, weights=source).eval()
        storage = "int8" if str(card.get("storage", "")).startswith("int8") else "fp16"
        with tempfile.TemporaryDirectory() as tmp:
            float_path = export_onnx(model, Path(tmp) / "float.onnx", fold=False)
            tmp_out = Path(tmp) / "shipped.onnx"
            counts = int8_weights(float_path, tmp_out, storage)
            diff = parity(model, tmp_out, spec.render_size())
            tmp_out.replace(spec.onnx_path)
        card.update(sha256=file_sha256(spec.onnx_path), bytes=spec.onnx_path.stat().st_size, format="onnx",
                    parameters=sum(p.numel() for p in model.net.parameters()),
                    onnx={**counts, "max_ab_diff_vs_torch": round(diff, 4), "made_by": "scripts/export_onnx.py"})
        spec.onnx_path.with_suffix(".json").write_text(json.dumps(card, indent=2) + "\n")
        print(name, json.dumps({k: card[k] for k in ("sha256", "bytes", "onnx")}))


if __name__ == "__main__":
    main()
