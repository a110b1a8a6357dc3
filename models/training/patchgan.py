"""pix2pix's 70x70 PatchGAN discriminator on (L, colour) pairs."""
from torch import nn


def patchgan(in_channels: int = 3, width: int = 64) -> nn.Sequential:
    def block(cin, cout, stride, norm=True):
        layers = [nn.Conv2d(cin, cout, 4, stride, 1, bias=not norm)]
        if norm:
            layers.append(nn.BatchNorm2d(cout))
        layers.append(nn.LeakyReLU(0.2, inplace=True))
        return layers

    return nn.Sequential(
        *block(in_channels, width, 2, norm=False),
        *block(width, width * 2, 2),
        *block(width * 2, width * 4, 2),
        *block(width * 4, width * 8, 1),
        nn.Conv2d(width * 8, 1, 4, 1, 1),
    )
