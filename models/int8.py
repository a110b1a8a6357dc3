"""Int8 storage for large weights files.

Each convolution or linear weight is stored as int8 with one fp32 scale per row of its first
dimension (symmetric: w ≈ q * scale, |q| ≤ 127); biases, norms and small tensors stay fp16. The
file is about half an fp16 one, and loading multiplies the weights back: the network itself runs
in float exactly as before, so every engine (ONNX, TensorRT, CUDA) sees ordinary weights. What it
costs on val is measured per model and written in its card.
"""
from __future__ import annotations

import torch

SCALE = ".int8_scale"   # key suffix of a stored weight's scales
MIN_NUMEL = 1024        # smaller tensors are not worth a scale vector


def quantize(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """A state dict -> tensors to store: int8 + scales for the big weights, fp16 for the rest."""
    out = {}
    for key, value in state.items():
        if value.is_floating_point() and value.dim() >= 2 and value.numel() >= MIN_NUMEL:
            rows = value.detach().float().reshape(value.shape[0], -1)
            scale = rows.abs().amax(1).clamp_min(1e-12) / 127
            q = torch.round(rows / scale[:, None]).clamp(-127, 127).to(torch.int8)
            out[key] = q.reshape(value.shape).contiguous()
            out[key + SCALE] = scale.contiguous()
        else:
            out[key] = (value.half() if value.is_floating_point() else value).contiguous()
    return out


def dequantize(stored: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Stored tensors -> a float state dict. A weight without its scale (or a scale without its
    weight) is a damaged file: ValueError naming the tensor."""
    state = {}
    for key, value in stored.items():
        if key.endswith(SCALE):
            if key[: -len(SCALE)] not in stored:
                raise ValueError(f"int8 scale {key!r} has no weight")
            continue
        scale = stored.get(key + SCALE)
        if value.dtype == torch.int8:
            if scale is None or scale.shape != (value.shape[0],):
                raise ValueError(f"int8 tensor {key!r} has no scale of {value.shape[0]} rows")
            shape = (-1,) + (1,) * (value.dim() - 1)
            state[key] = value.float() * scale.float().reshape(shape)
        else:
            state[key] = value.float() if value.is_floating_point() else value
    return state
