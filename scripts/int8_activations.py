#!/usr/bin/env python3
"""Issue #27's side question: ONNX Runtime with int8 activations (static QDQ, per-channel int8
weights, activations calibrated on train photos) against the float graph, for the CPU engine.
Prints val metrics (the `colorize eval` protocol) and batch-1 / batch-8 network times for both,
measured side by side in one run. The rule fixed before the run: int8 becomes the CPU default
only if it stays within 0.05 dB PSNR and 0.2 CIEDE2000 of float and is faster.

  python scripts/int8_activations.py --model lite-unet --train ../shared/data/train_shards \\
      --val ../shared/data/val --calib 64 --limit 60
"""
import argparse
import io
import tarfile
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from colorize_cli.colour import rgb_to_L
from colorize_cli.engines.cpu import CPUEngine, OnnxModel
from colorize_cli.engines.onnx_export import export_onnx
from colorize_cli.models import create_model, get_spec
from colorize_cli.pipeline.predict import ChromaPredictor
from colorize_cli.tools.evaluate import evaluate, load_val


def calibration_inputs(shards: Path, n: int, size: int) -> list[np.ndarray]:
    """L of n train photos, shrunk to the network's input (short side `size`, a multiple of 32)."""
    out = []
    for shard in sorted(shards.glob("*.tar")):
        with tarfile.open(shard) as tar:
            for m in tar:
                if not m.name.lower().endswith((".jpg", ".jpeg", ".png")):
                    continue
                img = Image.open(io.BytesIO(tar.extractfile(m).read())).convert("RGB").resize((size, size))
                out.append(rgb_to_L(np.asarray(img))[None, None].astype(np.float32))
                if len(out) >= n:
                    return out
    return out


class Reader:
    def __init__(self, inputs):
        self.it = iter(inputs)

    def get_next(self):
        x = next(self.it, None)
        return None if x is None else {"L": x}


def net_ms(engine, shape, batch: int, runs: int = 20) -> float:
    L = np.random.default_rng(0).random((batch, 1, *shape), np.float32) * 100
    engine.infer(L)
    t = time.perf_counter()
    for _ in range(runs):
        engine.infer(L)
    return 1000 * (time.perf_counter() - t) / runs


def main() -> None:
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="lite-unet")
    ap.add_argument("--train", required=True)
    ap.add_argument("--val", required=True)
    ap.add_argument("--calib", type=int, default=64)
    ap.add_argument("--limit", type=int, default=60)
    args = ap.parse_args()
    spec = get_spec(args.model)
    size = spec.render_size()
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = export_onnx(create_model(args.model).eval(), Path(tmp) / "fp32.onnx")
        int8 = Path(tmp) / "int8.onnx"
        quantize_static(str(fp32), str(int8), Reader(calibration_inputs(Path(args.train), args.calib, size)),
                        quant_format=QuantFormat.QDQ, per_channel=True, activation_type=QuantType.QUInt8,
                        weight_type=QuantType.QInt8, calibrate_method=CalibrationMethod.MinMax)
        engines = {name: CPUEngine(OnnxModel(spec, path, spec.card_info()), max_batch=8)
                   for name, path in (("float", fp32), ("int8 activations", int8))}
        rows = evaluate({name: ChromaPredictor(e) for name, e in engines.items()}, load_val(args.val, args.limit))
        shape = spec.render_shape(480, 640, size)
        for name, e in engines.items():
            r = rows[name]
            print(f"{name:18s} PSNR {r['psnr']:.3f}  CIEDE2000 {r['ciede2000']:.3f}  CF {r['cf']:.2f}  "
                  f"net b1 {net_ms(e, shape, 1):.2f} ms  b8 {net_ms(e, shape, 8):.2f} ms  ({shape[1]}x{shape[0]})")
        d_psnr = rows["float"]["psnr"] - rows["int8 activations"]["psnr"]
        d_ciede = rows["int8 activations"]["ciede2000"] - rows["float"]["ciede2000"]
        print(f"int8 - float: PSNR {-d_psnr:+.3f} dB, CIEDE2000 {d_ciede:+.3f} "
              f"(rule: within 0.05 dB and 0.2, and faster)")


if __name__ == "__main__":
    main()
