"""DenseNet121's first blocks (through the second transition) + a conv/upsampling decoder, MSE."""
from torch import nn

from .backbones import gray_to_3, torchvision_encoder


class DenseNetRegression(nn.Module):
    def __init__(self):
        super().__init__()
        m, self.encoder_pretrained = torchvision_encoder("densenet121")
        f = m.features
        # conv0 + denseblock1 (6 layers) + transition1 + denseblock2 (12 layers) + transition2: /16, 256 ch
        self.encoder = nn.Sequential(f.conv0, f.norm0, f.relu0, f.pool0, f.denseblock1, f.transition1,
                                     f.denseblock2, f.transition2)
        layers, cin = [], 256
        for w in (256, 128, 64, 32):
            layers += [nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(cin, w, 3, padding=1),
                       nn.BatchNorm2d(w), nn.ReLU(inplace=True)]
            cin = w
        self.decoder = nn.Sequential(*layers, nn.Conv2d(cin, 2, 3, padding=1), nn.Tanh())

    def forward(self, x):
        out = self.decoder(self.encoder(gray_to_3(x)))
        if out.shape[-2:] != x.shape[-2:]:
            out = nn.functional.interpolate(out, size=x.shape[-2:], mode="bilinear", align_corners=False)
        return out
