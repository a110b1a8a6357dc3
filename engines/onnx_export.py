"""ONNX export of an ABPredictor (L in Lab units -> ab), dynamic batch and spatial axes."""
from __future__ import annotations

from pathlib import Path

import torch


def export_onnx(model, path: str | Path, height: int | None = None, width: int | None = None,
                opset: int = 17) -> Path:
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
                          opset_version=opset, dynamo=False)
    tmp.replace(path)
    return path
