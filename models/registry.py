"""One registry of named models (after timm's register_model).

A ModelSpec says everything the pipeline needs to run a network: how L is normalised on the
way in, what comes out (ab, RGB or ab-bin logits) and which weights file belongs to it.
`create_model(name)` returns an ABPredictor: Lab L in, Lab ab out, at the network's size.
"""
from __future__ import annotations

import difflib
import functools
import importlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import torch
from torch import nn

from colorize_cli.errors import UsageError
from colorize_cli.files import file_sha256
from colorize_cli.colorspace import AB_LIMIT, rgb_to_lab

from .int8 import dequantize, quantize

WEIGHTS_DIR = Path(__file__).parent / "weights"
LONG_SIDE = 4   # a render's long side is at most this times its short side (8000x8 strips stay small)


@dataclass(frozen=True)
class ModelSpec:
    name: str
    builder: Callable[[], nn.Module]
    description: str
    paper: str
    output: str = "ab"            # "ab" (tanh * ab_scale), "rgb" (tanh RGB), "bins" (net decodes)
    input_size: int = 256         # default render size: short side of L fed to the net
    stride: int = 4               # render sizes are rounded to a multiple of this
    l_center: float = 50.0        # net input = (L - l_center) / l_scale
    l_scale: float = 50.0
    ab_scale: float = AB_LIMIT
    loss: str = "mse"             # "mse", "l1", or "model" (the net's own .loss, e.g. eccv16)
    gan: bool = False             # train with a 70x70 PatchGAN + 100 * L1 (pix2pix)
    pretrain_l1: bool = False     # GAN models only: first train the generator with L1 alone
    recipe: dict = field(default_factory=dict)  # lr, betas, batch, lr_drop (fraction of steps)
    licence: str = "MIT"
    card: dict = field(default_factory=dict)

    @property
    def weights_path(self) -> Path:
        return WEIGHTS_DIR / f"{self.name}.safetensors"

    @property
    def has_weights(self) -> bool:
        return self.weights_path.is_file()

    def card_info(self) -> dict:
        path = WEIGHTS_DIR / f"{self.name}.json"
        return json.loads(path.read_text()) if path.is_file() else {}

    def render_size(self, requested: int | None = None, card: dict | None = None) -> int:
        """The short side the network runs at: as asked, else the card of the weights in use
        (`card`; weights may have been trained at another scale), else the shipped card's, else the
        spec's; a multiple of the stride. The one rule shared by the predictor and every engine
        (TensorRT profiles included)."""
        size = (requested or (card or {}).get("render_size") or self.card_info().get("render_size")
                or self.input_size)
        return max(self.stride, round(size / self.stride) * self.stride)

    def render_shape(self, height: int, width: int, size: int, own: int | None = None) -> tuple[int, int]:
        """(h, w) the network sees for a (height, width) image at render size `size`: aspect kept,
        multiples of the stride; the short side is never raised above the source's unless the
        model's own size asks for it (a 1x1 image at --render-size 4096 runs at the model's size),
        and the long side is at most LONG_SIDE times the short side (an 8000x8 strip is bounded)."""
        own = own or self.render_size()   # callers on a hot path pass it (it reads the card)
        short = min(size, max(min(height, width), own))
        scale = min(short / min(height, width), LONG_SIDE * short / max(height, width))
        h = max(self.stride, round(height * scale / self.stride) * self.stride)
        w = max(self.stride, round(width * scale / self.stride) * self.stride)
        return h, w


_REGISTRY: dict[str, ModelSpec] = {}


def register(spec: ModelSpec) -> ModelSpec:
    if spec.name in _REGISTRY:
        raise ValueError(f"model {spec.name!r} registered twice")
    _REGISTRY[spec.name] = spec
    return spec


_MODULES = ("lite_unet", "baseline_cnn", "conv11", "pix2pix", "densenet_regression", "eccv16", "koalarization")


def _load_all() -> None:
    """Import every model module once (a module imported on its own before, e.g. lite_unet by a
    training script, has registered only its own models)."""
    for mod in _MODULES:
        importlib.import_module(f"{__package__}.{mod}")   # a no-op once imported


def list_models() -> list[str]:
    _load_all()
    return list(_REGISTRY)


def get_spec(name: str) -> ModelSpec:
    _load_all()
    if name not in _REGISTRY:
        close = difflib.get_close_matches(name, _REGISTRY, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise UsageError(f"unknown model {name!r}{hint}; `colorize models` lists them")
    return _REGISTRY[name]


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
    model = ABPredictor(spec, spec.builder())
    path = spec.weights_path if weights == "default" else weights
    if path is not None and Path(path).is_file():
        model.card = load_weights(model.net, path, strict=strict)
    elif weights not in ("default", None):
        raise UsageError(f"{weights}: weights file not found")
    return model.eval()


def read_card(weights: str | Path) -> dict:
    """The JSON model card beside a weights file ({} when there is none or it is unreadable)."""
    card = Path(weights).with_suffix(".json")
    try:
        return json.loads(card.read_text()) if card.is_file() else {}
    except (OSError, ValueError):
        return {}


def weights_sha256(path: str | Path) -> str:
    """sha256 of a weights file, read once per process for as long as the file is unchanged
    (a run names its weights in the job's configuration and checks them against their card)."""
    st = Path(path).stat()
    return _sha256_of(str(Path(path).resolve()), st.st_size, st.st_mtime_ns, st.st_ino)


@functools.lru_cache(maxsize=16)
def _sha256_of(path: str, size: int, mtime_ns: int, inode: int) -> str:
    return file_sha256(path)


def load_weights(net: nn.Module, path: str | Path, strict: bool = True) -> dict:
    """Load safetensors weights (never a pickle: loading one can run code); returns the file's
    model card ({} when none). A damaged file or weights for another network is a UsageError
    naming the file and the model it is for."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    path = Path(path)
    if path.suffix.lower() != ".safetensors":
        raise UsageError(f"{path}: only .safetensors weights are loaded (a pickled file can run code)")
    card = read_card(path)
    expected = card.get("sha256")
    if expected and expected != weights_sha256(path):
        raise UsageError(f"{path}: sha256 does not match its model card (corrupt download?)")
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
