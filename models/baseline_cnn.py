"""The seed papers' small Lab-regression CNN (231,682 parameters)."""
from torch import nn



def _conv(cin: int, cout: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, 3, stride=stride, padding=1)


class BaselineCNN(nn.Module):
    def __init__(self):
        super().__init__()
        relu = nn.ReLU(inplace=True)
        up = nn.Upsample(scale_factor=2, mode="nearest")
        self.body = nn.Sequential(
            _conv(1, 32), relu, _conv(32, 32, 2), relu,
            _conv(32, 64), relu, _conv(64, 64, 2), relu,
            _conv(64, 128), relu, up,
            _conv(128, 64), relu, up,
            _conv(64, 32), relu, _conv(32, 2), nn.Tanh(),
        )

    def forward(self, x):
        return self.body(x)
