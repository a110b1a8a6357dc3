"""pix2pix-style U-Net generators over torchvision encoders (MobileNetV2, DenseNet121, ResNet18)."""
from __future__ import annotations

import torch
from torch import nn

from .backbones import gray_to_3, torchvision_encoder


class UpBlock(nn.Module):
    """Transposed conv x2, batch norm, optional dropout, ReLU; then concatenation with the skip."""

    def __init__(self, cin: int, cout: int, dropout: bool):
        super().__init__()
        layers = [nn.ConvTranspose2d(cin, cout, 4, 2, 1, bias=False), nn.BatchNorm2d(cout)]
        if dropout:
            layers.append(nn.Dropout(0.5))
        layers.append(nn.ReLU(inplace=True))
        self.body = nn.Sequential(*layers)

    def forward(self, x, skip=None):
        x = self.body(x)
        if skip is not None:
            if x.shape[-2:] != skip.shape[-2:]:
                x = nn.functional.interpolate(x, size=skip.shape[-2:], mode="bilinear", align_corners=False)
            x = torch.cat([x, skip], 1)
        return x


class EncoderUNet(nn.Module):
    """Encoder stages give skips at /2, /4, /8, /16 and the bottleneck at /32; five up blocks."""

    def __init__(self, stages: nn.ModuleList, channels: list[int], out_channels: int, widths=(512, 256, 128, 64, 32)):
        super().__init__()
        self.stages = stages
        skips = channels[:-1][::-1]           # /16, /8, /4, /2
        cin = channels[-1]
        ups = []
        for i, w in enumerate(widths):
            ups.append(UpBlock(cin, w, dropout=i < 3))
            cin = w + (skips[i] if i < len(skips) else 0)
        self.ups = nn.ModuleList(ups)
        self.head = nn.Sequential(nn.Conv2d(cin, out_channels, 3, padding=1), nn.Tanh())

    def forward(self, x):
        feats = []
        h = gray_to_3(x)
        for stage in self.stages:
            h = stage(h)
            feats.append(h)
        skips = feats[:-1][::-1]
        h = feats[-1]
        for i, up in enumerate(self.ups):
            h = up(h, skips[i] if i < len(skips) else None)
        if h.shape[-2:] != x.shape[-2:]:
            h = nn.functional.interpolate(h, size=x.shape[-2:], mode="bilinear", align_corners=False)
        return self.head(h)


def densenet_stages():
    m, pre = torchvision_encoder("densenet121")
    f = m.features
    stages = nn.ModuleList([
        nn.Sequential(f.conv0, f.norm0, f.relu0),                        # /2, 64
        nn.Sequential(f.pool0, f.denseblock1),                           # /4, 256
        nn.Sequential(f.transition1, f.denseblock2),                     # /8, 512
        nn.Sequential(f.transition2, f.denseblock3),                     # /16, 1024
        nn.Sequential(f.transition3, f.denseblock4, f.norm5, nn.ReLU()),  # /32, 1024
    ])
    return stages, [64, 256, 512, 1024, 1024], pre


def mobilenet_stages():
    m, pre = torchvision_encoder("mobilenet_v2")
    f = m.features
    stages = nn.ModuleList([f[0:2], f[2:4], f[4:7], f[7:14], f[14:19]])
    return stages, [16, 24, 32, 96, 1280], pre


def resnet_stages():
    m, pre = torchvision_encoder("resnet18")
    stages = nn.ModuleList([
        nn.Sequential(m.conv1, m.bn1, m.relu),   # /2, 64
        nn.Sequential(m.maxpool, m.layer1),      # /4, 64
        m.layer2, m.layer3, m.layer4,            # /8 128, /16 256, /32 512
    ])
    return stages, [64, 64, 128, 256, 512], pre


def unet(stages_fn, out_channels: int) -> EncoderUNet:
    stages, channels, pretrained = stages_fn()
    net = EncoderUNet(stages, channels, out_channels)
    net.encoder_pretrained = pretrained
    return net
