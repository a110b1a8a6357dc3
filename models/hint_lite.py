"""lite-unet with learned hint channels (Zhang, Zhu et al. 2017, "Real-time user-guided image
colorization with learned deep priors"), built so the automatic output cannot change.

The automatic network (`LiteUNet`: encoder, decoder, heads, decode buffers) is kept whole and
frozen. A hint branch reads the lightness with the hint map (a/110 and b/110 where hinted, and
the hint mask) through a strided conv stack and adds its features to the encoder's at every stride
through 1x1 projections that start at zero; a copy of the decoder (starting as the automatic one)
decodes them. With no hint the automatic path runs, untouched; with hints, `hinted` runs, and at
the start of training it equals the automatic output exactly.
"""
from __future__ import annotations

import copy

import torch
import torch.nn.functional as F
from torch import nn

from .lite_unet import ENCODERS, LiteUNet

BRANCH = (16, 32, 48, 64, 96)      # hint-branch widths at /2, /4, /8, /16, /32


class HintBranch(nn.Module):
    def __init__(self, channels, widths=BRANCH):
        super().__init__()
        convs, cin = [], 4
        for w in widths:
            convs.append(nn.Sequential(nn.Conv2d(cin, w, 3, 2, 1), nn.ReLU(inplace=True),
                                       nn.Conv2d(w, w, 3, 1, 1), nn.ReLU(inplace=True)))
            cin = w
        self.convs = nn.ModuleList(convs)
        self.proj = nn.ModuleList(nn.Conv2d(w, c, 1) for w, c in zip(widths, channels))
        for p in self.proj:
            nn.init.zeros_(p.weight)
            nn.init.zeros_(p.bias)

    def forward(self, x: torch.Tensor, hint: torch.Tensor, feats: list[torch.Tensor]) -> list[torch.Tensor]:
        h = torch.cat([x - 0.5, hint], 1)
        out = []
        for conv, proj, f in zip(self.convs, self.proj, feats):
            h = conv(h)
            d = proj(h)
            if d.shape[-2:] != f.shape[-2:]:
                d = F.interpolate(d, size=f.shape[-2:], mode="bilinear", align_corners=False)
            out.append(f + d)
        return out


class HintLiteUNet(nn.Module):
    def __init__(self, base: LiteUNet):
        super().__init__()
        self.base = base
        self.branch = HintBranch(ENCODERS[base.encoder_name][1])
        self.hint_decoder = copy.deepcopy(base.decoder)

    def trainable(self) -> list[nn.Parameter]:
        return [*self.branch.parameters(), *self.hint_decoder.parameters()]

    def hinted_heads(self, x: torch.Tensor, hint: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        with torch.no_grad():
            feats = self.base.features(x)
        return self.hint_decoder(self.branch(x, hint, feats))

    def forward(self, x: torch.Tensor, hint: torch.Tensor | None = None) -> torch.Tensor:
        """ab / 110 at the input size; hint (N, 3, H, W): a/110 and b/110 where hinted, mask."""
        if hint is None or not bool((hint[:, 2] > 0).any()):
            return self.base(x)
        b = self.base
        reg, logits = self.hinted_heads(x, hint)
        ab = b.blend(reg, logits, b.mix, b.temperature) * b.gain
        return F.interpolate(ab, size=x.shape[-2:], mode="bilinear", align_corners=False)
