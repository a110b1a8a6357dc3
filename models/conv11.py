"""Eleven 3x3 conv + batch norm + ReLU regression net, modelled on Zhang et al.'s (L1 or L2)."""
from torch import nn


WIDTHS = [64, 64, 128, 128, 256, 256, 256, 256, 128, 128, 64]
STRIDES = {1: 2, 3: 2}  # two stride-2 convs: the net works at 1/4 and upsamples bilinearly


class Conv11(nn.Module):
    def __init__(self):
        super().__init__()
        layers, cin = [], 1
        for i, w in enumerate(WIDTHS):
            dil = 2 if 4 <= i <= 7 else 1
            layers += [nn.Conv2d(cin, w, 3, STRIDES.get(i, 1), padding=dil, dilation=dil, bias=False),
                       nn.BatchNorm2d(w), nn.ReLU(inplace=True)]
            cin = w
        self.body = nn.Sequential(*layers)
        self.head = nn.Sequential(nn.Conv2d(cin, 2, 1), nn.Upsample(scale_factor=4, mode="bilinear"), nn.Tanh())

    def forward(self, x):
        return self.head(self.body(x))
