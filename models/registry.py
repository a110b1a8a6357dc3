"""The networks in torch: `create_model(name)` returns an ABPredictor (Lab L in, Lab ab out, at
the network's size) with its weights; safetensors weights are saved and loaded here. The specs
themselves (no torch) are `spec` and `zoo`.
"""
from __future__ import annotations

import functools
import json
from pathlib import Path

import torch
from torch import nn

from colorize_cli.errors import UsageError
from colorize_cli.files import file_sha256
from colorize_cli.colorspace import AB_LIMIT, rgb_to_lab

from .int8 import dequantize, quantize
from .spec import LONG_SIDE, WEIGHTS_DIR, ModelSpec, get_spec, list_models, read_card, register, weights_sha256  # noqa: F401

class ABPredictor(nn.Module):
    """Wraps a raw network: Lab L (N,1,h,w) in [0,100] -> ab (N,2,h,w) in Lab units."""

    def __init__(self, spec: ModelSpec, net: nn.Module):
        super().__init__()
        self.spec = spec
        self.net = net
        self.card: dict = {}   # the model card of the weights loaded ({}: none, or no card)

    def normalize(self, L: torch.Tensor) -> torch.Tensor:
        return (L - self.spec.l_center) / self.spec.l_scale

    def decode(self, out: torch.Tensor, L: torch.Tensor) -> torch.Tensor:
        kind = self.spec.output
        if kind == "ab":
            return out.float() * self.spec.ab_scale
        if kind == "rgb":
            return rgb_to_lab(((out.float() + 1) / 2).clamp(0, 1))[:, 1:]
        return self.net.decode(out.float())

    def forward(self, L: torch.Tensor) -> torch.Tensor:
        x = self.normalize(L.float())
        weight = next(self.net.parameters(), None)
        if weight is not None and weight.dtype != x.dtype:   # an fp16 net (CUDA engine)
            x = x.to(weight.dtype).contiguous(memory_format=torch.channels_last)
        return self.decode(self.net(x), L).float().clamp(-AB_LIMIT, AB_LIMIT)


def create_model(name: str, weights: str | Path | None = "default", strict: bool = True) -> ABPredictor:
    """Build a named model. weights: "default" (shipped file if present), a path, or None."""
    spec = get_spec(name)
    model = ABPredictor(spec, spec.build())
    path = spec.weights_path if weights == "default" else weights
    if path is not None and Path(path).is_file():
        model.card = load_weights(model.net, path, strict=strict)
    elif weights not in ("default", None):
        raise UsageError(f"{weights}: weights file not found")
    return model.eval()




def load_weights(net: nn.Module, path: str | Path, strict: bool = True) -> dict:
    """Load safetensors weights (never a pickle: loading one can run code); returns the file's
    model card ({} when none). A damaged file or weights for another network is a UsageError
    naming the file and the model it is for."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    path = Path(path)
    if path.suffix.lower() not in (".safetensors", ".onnx"):
        raise UsageError(f"{path}: only .safetensors or .onnx weights are loaded (a pickled file can run code)")
    card = read_card(path)
    expected = card.get("sha256")
    if expected and expected != weights_sha256(path):
        raise UsageError(f"{path}: sha256 does not match its model card (corrupt download?)")
    if path.suffix.lower() == ".onnx":     # a shipped graph: its initializers are the weights
        state = onnx_state(path, net)
    else:
        try:
            stored = load_file(str(path))
        except (SafetensorError, OSError, ValueError, RuntimeError) as e:
            raise UsageError(f"{path}: not a readable safetensors file ({str(e).splitlines()[0][:120]})") from None
        try:
            state = dequantize(stored)
        except ValueError as e:
            raise UsageError(f"{path}: damaged int8 weights ({e})") from None
    try:
        net.load_state_dict(state, strict=strict)
    except RuntimeError as e:
        named = card.get("model") or ""
        hint = f"its card says {named!r}: pass --model {named}" if named else "pass the --model it was trained for"
        first = str(e).splitlines()[1].strip()[:160] if "\n" in str(e) else str(e)[:160]
        raise UsageError(f"{path}: not weights for {type(net).__name__} ({hint}; {first})") from None
    return card


def onnx_state(path: Path, net: nn.Module) -> dict:
    """The state dict of a shipped ONNX graph (scripts/export_onnx.py, exported unfolded): each
    initializer named as the ABPredictor's parameter, int8 ones behind DequantizeLinear and fp16
    ones behind Cast turned back to float, equal ones the exporter merged behind Identity nodes;
    batch-norm counters the graph does not hold are zero."""
    import onnx
    from onnx import numpy_helper

    try:
        graph = onnx.load(str(path)).graph
    except Exception as e:  # noqa: BLE001 - a damaged file is the user's one line
        raise UsageError(f"{path}: not a readable ONNX file ({str(e)[:120]})") from None
    arrays = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    for node in graph.node:
        if node.op_type == "DequantizeLinear" and node.input[0] in arrays:
            q, scale = arrays[node.input[0]], arrays[node.input[1]]
            arrays[node.output[0]] = q.astype("float32") * scale.reshape((-1,) + (1,) * (q.ndim - 1))
        elif node.op_type == "Cast" and node.input[0] in arrays:
            arrays[node.output[0]] = arrays[node.input[0]].astype("float32")
        elif node.op_type == "Identity" and node.input[0] in arrays:   # the exporter's merged duplicates
            arrays[node.output[0]] = arrays[node.input[0]]
    state = {}
    for key, value in net.state_dict().items():
        found = arrays.get("net." + key)   # the graph's names are the ABPredictor's ("net." + the net's)
        if found is not None:
            state[key] = torch.from_numpy(found.copy()).to(value.dtype).reshape(value.shape)
        elif key.endswith("num_batches_tracked"):
            state[key] = torch.zeros_like(value)
    return state


def save_weights(net: nn.Module, path: str | Path, card: dict, storage: str = "fp16") -> dict:
    """Save safetensors + a JSON model card holding its sha256. storage: "fp16", or "int8" for
    big networks (half the bytes; see models/int8.py)."""
    from safetensors.torch import save_file

    path = Path(path)
    if storage == "int8":
        state = quantize(net.state_dict())
        storage = "int8 weights, one fp32 scale per output channel; fp16 for the rest"
    elif storage == "fp16":
        state = {k: (v.half() if v.is_floating_point() else v).contiguous()
                 for k, v in net.state_dict().items()}
    else:
        raise ValueError(f"unknown storage {storage!r}")
    save_file(state, str(path))
    path.chmod(0o644)   # safetensors writes through a private temporary file
    card = dict(card, storage=storage, sha256=file_sha256(path), bytes=path.stat().st_size)
    path.with_suffix(".json").write_text(json.dumps(card, indent=2) + "\n")
    return card
