"""The registry of named models, without torch (after timm's register_model).

A ModelSpec says everything the pipeline needs to run a network: how L is normalised on the way
in, what comes out (ab, RGB or ab-bin logits), its shipped weights (`.safetensors` for torch,
`.onnx` for the CPU runtime, which needs no torch) and card. The networks themselves are built
only where torch is (`ModelSpec.build()`, `registry.create_model`); the specs are in `zoo`.
"""
from __future__ import annotations

import difflib
import functools
import importlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from colorize_cli.colour.lab import AB_LIMIT
from colorize_cli.errors import UsageError
from colorize_cli.files import file_sha256

WEIGHTS_DIR = Path(__file__).parent / "weights"
REFERENCE_CARDS = Path(__file__).parent / "cards" / "zoo"   # the seed comparison's cards (issue #30)


def installed_dir() -> Path:
    """Where weights trained here are installed (`scripts/train_zoo.py --install`): NAME.onnx and
    its card NAME.json under the cache folder (COLORIZE_CACHE, else ~/.cache/colorize/models)."""
    from colorize_cli.files import cache_root

    return cache_root() / "models"
LONG_SIDE = 4   # a render's long side is at most this times its short side (8000x8 strips stay small)


@dataclass(frozen=True)
class ModelSpec:
    name: str
    builder: str                  # "module:factory" in this package: the network (torch), built on demand
    description: str
    paper: str
    output: str = "ab"            # "ab" (tanh * ab_scale), "rgb" (tanh RGB), "bins" (net decodes)
    input_size: int = 256         # default render size: short side of L fed to the net
    stride: int = 4               # render sizes are rounded to a multiple of this
    l_center: float = 50.0        # net input = (L - l_center) / l_scale
    l_scale: float = 50.0
    ab_scale: float = AB_LIMIT
    licence: str = "MIT"
    card: dict = field(default_factory=dict)

    def build(self):
        """The network (an nn.Module; imports torch and the model's module)."""
        module, factory = self.builder.split(":")
        return getattr(importlib.import_module(f"{__package__}.{module}"), factory)()

    @property
    def shipped_path(self) -> Path:
        """The weights shipped in the package: one ONNX graph (big weights int8 behind
        DequantizeLinear, or fp16 behind Cast) that ONNX Runtime runs alone and torch reads its
        weights from."""
        return WEIGHTS_DIR / f"{self.name}.onnx"

    @property
    def onnx_path(self) -> Path:
        """The weights a run uses: the shipped file, else one installed in `installed_dir()`."""
        if self.shipped_path.is_file():
            return self.shipped_path
        installed = installed_dir() / f"{self.name}.onnx"
        return installed if installed.is_file() else self.shipped_path

    weights_path = onnx_path

    @property
    def has_weights(self) -> bool:
        return self.onnx_path.is_file()

    @property
    def weights_source(self) -> str:
        """"shipped", "installed" (trained here, in installed_dir()) or "trainable" (none yet)."""
        if self.shipped_path.is_file():
            return "shipped"
        return "installed" if self.onnx_path.is_file() else "trainable"

    def card_info(self) -> dict:
        path = self.onnx_path.with_suffix(".json")
        return json.loads(path.read_text()) if path.is_file() else {}

    def reference_card(self) -> dict:
        """The card of the seed comparison's run of this model (protocol, sha256, val numbers;
        `scripts/zoo_table.py`), shipped whether or not its weights are; {} when there is none."""
        path = REFERENCE_CARDS / f"{self.name}.json"
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


def _load_all() -> None:
    importlib.import_module(f"{__package__}.zoo")   # registers every spec once


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
