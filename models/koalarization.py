"""Deep Koalarization (Baldassarre et al. 2017): a conv encoder fused with an Inception-ResNet-v2
embedding of the whole image, then a conv + upsampling decoder to ab."""
from __future__ import annotations

import os
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn



def inception_resnet_v2() -> tuple[nn.Module, bool]:
    """timm's Inception-ResNet-v2 with 1001 outputs; ImageNet weights if a file is given/cached."""
    import timm

    path = os.environ.get("COLORIZE_INCEPTION_WEIGHTS")
    net = timm.create_model("inception_resnet_v2", pretrained=False, num_classes=1001)
    if path and Path(path).is_file():
        state = torch.load(path, map_location="cpu")
        if state["classif.weight"].shape[0] == 1000:  # timm/ImageNet-1k head: keep the 1000 rows
            net.reset_classifier(1000)
        net.load_state_dict(state)
        return net, True
    return net, False


def _conv(cin, cout, stride=1):
    return [nn.Conv2d(cin, cout, 3, stride, 1), nn.ReLU(inplace=True)]


class Koalarization(nn.Module):
    def __init__(self):
        super().__init__()
        enc = [(1, 64, 2), (64, 128, 1), (128, 128, 2), (128, 256, 1), (256, 256, 2), (256, 512, 1),
               (512, 512, 1), (512, 256, 1)]
        self.encoder = nn.Sequential(*[m for a, b, s in enc for m in _conv(a, b, s)])
        self.embedder, self.embedder_pretrained = inception_resnet_v2()
        dim = self.embedder.num_classes
        self.fusion = nn.Sequential(nn.Conv2d(256 + dim, 256, 1), nn.ReLU(inplace=True))
        up = nn.Upsample(scale_factor=2, mode="nearest")
        self.decoder = nn.Sequential(*_conv(256, 128), up, *_conv(128, 64), *_conv(64, 64), up,
                                     *_conv(64, 32), nn.Conv2d(32, 2, 3, 1, 1), nn.Tanh(), up)

    def forward(self, x):
        feats = self.encoder(x)
        # the embedding sees the whole image: L resized to 299x299, stacked to 3 channels
        small = F.interpolate(x, size=(299, 299), mode="bilinear", align_corners=False).expand(-1, 3, -1, -1)
        emb = self.embedder(small)                                   # (N, 1001) pre-softmax
        emb = emb[:, :, None, None].expand(-1, -1, *feats.shape[-2:])
        out = self.decoder(self.fusion(torch.cat([feats, emb], 1)))
        if out.shape[-2:] != x.shape[-2:]:
            out = F.interpolate(out, size=x.shape[-2:], mode="bilinear", align_corners=False)
        return out
