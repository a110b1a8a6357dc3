"""torchvision/timm encoders, with ImageNet weights only when they are already on this machine."""
from __future__ import annotations

import os
from pathlib import Path

import torch
from torch import nn

# torchvision weight files as cached by torch.hub (never downloaded here).
TV_FILES = {
    "densenet121": "densenet121-a639ec97.pth",
    "mobilenet_v2": "mobilenet_v2-b0353104.pth",
    "resnet18": "resnet18-f37072fd.pth",
}


def cached_weights(name: str) -> Path | None:
    env = os.environ.get(f"COLORIZE_{name.upper()}_WEIGHTS")
    if env and Path(env).is_file():
        return Path(env)
    path = Path(torch.hub.get_dir()) / "checkpoints" / TV_FILES.get(name, "-")
    return path if path.is_file() else None


def torchvision_encoder(name: str) -> tuple[nn.Module, bool]:
    """(model, pretrained?) — ImageNet weights if cached, else random init (trained from scratch)."""
    import torchvision

    model = getattr(torchvision.models, name)(weights=None)
    path = cached_weights(name)
    if path is not None:
        state = torch.load(path, map_location="cpu")
        if name == "densenet121":  # old checkpoints name layers "norm.1" instead of "norm1"
            import re
            pat = re.compile(r"^(.*denselayer\d+\.(?:norm|relu|conv))\.((?:[12])\.(?:weight|bias|running_mean|running_var))$")
            state = {(pat.sub(lambda m: m.group(1) + m.group(2), k)): v for k, v in state.items()}
        model.load_state_dict(state)
    return model, path is not None


def gray_to_3(x: torch.Tensor) -> torch.Tensor:
    """Encoders made for RGB see L replicated to three channels (keeps ImageNet weights usable)."""
    return x.expand(-1, 3, -1, -1)
