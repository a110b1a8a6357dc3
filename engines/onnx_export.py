"""ONNX export of an ABPredictor (L in Lab units -> ab), dynamic batch and spatial axes."""
from __future__ import annotations

from pathlib import Path

import torch


def export_onnx(model, path: str | Path, height: int | None = None, width: int | None = None,
                opset: int = 17, fold: bool = True) -> Path:
    """fold=False keeps every weight as the model holds it (batch norms unfolded): the shipped
    int8 weights then stay exactly the int8 values of the safetensors file (ONNX Runtime folds
    the norms at load)."""
    path = Path(path)
    spec = model.spec
    h = height or spec.input_size
    w = width or spec.input_size
    model = model.float().eval().cpu()
    dummy = torch.rand(1, 1, h, w) * 100
    dyn = {"L": {0: "batch", 2: "height", 3: "width"}, "ab": {0: "batch", 2: "out_height", 3: "out_width"}}
    tmp = path.with_suffix(".partial.onnx")
    import warnings

    with warnings.catch_warnings():   # the tracer's notes on shape arithmetic are not the user's business
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        warnings.simplefilter("ignore", UserWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(model, (dummy,), str(tmp), input_names=["L"], output_names=["ab"], dynamic_axes=dyn,
                          opset_version=opset, dynamo=False, do_constant_folding=fold)
    tmp.replace(path)
    return path


MIN_NUMEL = 1024   # smaller tensors stay float (as models/int8.py)


def int8_weights(src: str | Path, dst: str | Path, storage: str = "int8") -> dict:
    """Store an ONNX graph's big float weights as int8, one scale per row (axis 0, symmetric, as
    models/int8.py), each behind a DequantizeLinear node that ONNX Runtime folds back to float at
    load: weight-only, the network runs in float. storage="fp16" stores them as float16 behind a
    Cast instead (for weights shipped in fp16: no second rounding). Returns counts for the card."""
    import numpy as np
    import onnx
    from onnx import helper, numpy_helper

    model = onnx.load(str(src))
    graph = model.graph
    keep, nodes, stored, kept = [], [], 0, 0
    for init in graph.initializer:
        w = numpy_helper.to_array(init)
        if w.dtype != np.float32 or w.ndim < 2 or w.size < MIN_NUMEL:
            keep.append(init)
            kept += w.size
            continue
        name = init.name
        if storage == "fp16":
            keep.append(numpy_helper.from_array(w.astype(np.float16), name + "_fp16"))
            nodes.append(helper.make_node("Cast", [name + "_fp16"], [name], name=name + "_cast",
                                          to=onnx.TensorProto.FLOAT))
            stored += w.size
            continue
        rows = w.reshape(w.shape[0], -1)
        scale = np.maximum(np.abs(rows).max(1), 1e-12) / 127
        q = np.clip(np.round(rows / scale[:, None]), -127, 127).astype(np.int8).reshape(w.shape)
        keep += [numpy_helper.from_array(q, name + "_int8"),
                 numpy_helper.from_array(scale.astype(np.float32), name + "_scale"),
                 numpy_helper.from_array(np.zeros(w.shape[0], np.int8), name + "_zero")]
        nodes.append(helper.make_node("DequantizeLinear", [name + "_int8", name + "_scale", name + "_zero"],
                                      [name], name=name + "_dequantize", axis=0))
        stored += w.size
    del graph.initializer[:]
    graph.initializer.extend(keep)
    old = list(graph.node)
    del graph.node[:]
    graph.node.extend(nodes + old)
    onnx.checker.check_model(model)
    tmp = Path(dst).with_suffix(".partial.onnx")
    onnx.save(model, str(tmp))
    tmp.replace(dst)
    return {f"{storage}_weights": int(stored), "float32_weights": int(kept)}


def parity(model, path: str | Path, size: int) -> float:
    """Largest |ab| difference (Lab units) between the torch model and the ONNX file on random L."""
    import numpy as np
    import onnxruntime as ort

    torch.manual_seed(0)
    L = torch.rand(2, 1, size, size * 3 // 2 // 32 * 32 or size) * 100
    with torch.no_grad():
        ref = model(L).numpy()
    got = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(["ab"], {"L": L.numpy()})[0]
    return float(np.abs(got - ref).max())


def write_weights_file(model, dst: str | Path, card: dict, storage: str, made_by: str) -> dict:
    """A model's one weights file, as shipped or installed: the ONNX graph with its big weights
    int8 (or fp16), written whole or not at all, and its card beside it (NAME.json: sha256,
    bytes, parameters, the largest difference from the torch model). Returns the card."""
    import json
    import tempfile

    from colorize_cli.files import file_sha256

    dst = Path(dst)
    with tempfile.TemporaryDirectory() as tmp:
        float_path = export_onnx(model, Path(tmp) / "float.onnx", fold=False)
        tmp_out = Path(tmp) / "weights.onnx"
        counts = int8_weights(float_path, tmp_out, storage)
        diff = parity(model, tmp_out, model.spec.render_size())
        partial = dst.with_name(f".{dst.stem}.partial.onnx")
        import shutil

        shutil.copyfile(tmp_out, partial)
        partial.replace(dst)
    card = {**card, "sha256": file_sha256(dst), "bytes": dst.stat().st_size, "format": "onnx",
            "storage": card.get("storage", storage), "parameters": sum(p.numel() for p in model.net.parameters()),
            "onnx": {**counts, "max_ab_diff_vs_torch": round(diff, 4), "made_by": made_by}}
    dst.with_suffix(".json").write_text(json.dumps(card, indent=2) + "\n")
    return card
