"""Zhang, Isola, Efros: Colorful Image Colorization (ECCV 2016).

Classification over 313 in-gamut ab bins (grid 10), soft-encoded targets (5 nearest bins, Gaussian
sigma 5), class rebalancing (lambda 0.5, prior smoothed with sigma 5), annealed-mean decoding
(T = 0.38). Layer names follow the published PyTorch release (model1..model8, model_out), so its
state dict loads with strict=True.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


# The 313 in-gamut bins: for each a (step 10), the range of b (inclusive) that is kept.
_HULL = {-90: (50, 90), -80: (20, 90), -70: (0, 90), -60: (-20, 90), -50: (-30, 100), -40: (-40, 100),
         -30: (-50, 100), -20: (-50, 100), -10: (-60, 100), 0: (-70, 100), 10: (-80, 90), 20: (-80, 90),
         30: (-90, 90), 40: (-100, 90), 50: (-100, 80), 60: (-110, 80), 70: (-110, 80), 80: (-110, 70),
         90: (-110, 70), 100: (-90, 0)}


def ab_bins() -> torch.Tensor:
    pts = [(a, b) for a, (lo, hi) in _HULL.items() for b in range(lo, hi + 1, 10)]
    return torch.tensor(pts, dtype=torch.float32)  # (313, 2)


def soft_encode(ab: torch.Tensor, bins: torch.Tensor, k: int = 5, sigma: float = 5.0) -> torch.Tensor:
    """ab (N,2,H,W) -> soft targets (N,313,H,W): Gaussian weights on the k nearest bins."""
    n, _, h, w = ab.shape
    flat = ab.permute(0, 2, 3, 1).reshape(-1, 2)
    d2 = torch.cdist(flat, bins.to(flat)) ** 2
    dist, idx = d2.topk(k, largest=False)
    wts = torch.exp(-dist / (2 * sigma ** 2))
    wts = wts / wts.sum(1, keepdim=True)
    out = torch.zeros(flat.shape[0], bins.shape[0], device=ab.device).scatter_(1, idx, wts)
    return out.view(n, h, w, -1).permute(0, 3, 1, 2)


def rebalance_weights(prior: torch.Tensor, bins: torch.Tensor, lam: float = 0.5, sigma: float = 5.0) -> torch.Tensor:
    """w ∝ ((1-λ) p̃ + λ/Q)^-1 with p̃ the prior smoothed by a Gaussian over ab, E_p̃[w] = 1."""
    d2 = torch.cdist(bins, bins) ** 2
    kernel = torch.exp(-d2 / (2 * sigma ** 2))
    smooth = kernel @ prior
    smooth = smooth / smooth.sum()
    w = 1.0 / ((1 - lam) * smooth + lam / len(prior))
    return w / (smooth * w).sum()


def _convs(cin, cout, n, stride_last=1, dilation=1):
    layers = []
    for i in range(n):
        s = stride_last if i == n - 1 else 1
        layers += [nn.Conv2d(cin if i == 0 else cout, cout, 3, s, dilation, dilation=dilation, bias=True),
                   nn.ReLU(True)]
    return layers + [nn.BatchNorm2d(cout)]


class ECCV16(nn.Module):
    def __init__(self, temperature: float = 0.38):
        super().__init__()
        self.model1 = nn.Sequential(*_convs(1, 64, 2, stride_last=2))
        self.model2 = nn.Sequential(*_convs(64, 128, 2, stride_last=2))
        self.model3 = nn.Sequential(*_convs(128, 256, 3, stride_last=2))
        self.model4 = nn.Sequential(*_convs(256, 512, 3))
        self.model5 = nn.Sequential(*_convs(512, 512, 3, dilation=2))
        self.model6 = nn.Sequential(*_convs(512, 512, 3, dilation=2))
        self.model7 = nn.Sequential(*_convs(512, 512, 3))
        self.model8 = nn.Sequential(
            nn.ConvTranspose2d(512, 256, 4, 2, 1, bias=True), nn.ReLU(True),
            nn.Conv2d(256, 256, 3, 1, 1, bias=True), nn.ReLU(True),
            nn.Conv2d(256, 256, 3, 1, 1, bias=True), nn.ReLU(True),
            nn.Conv2d(256, 313, 1, 1, 0, bias=True))
        # 313 probabilities -> ab/110, the bin centres as fixed weights (as in the release).
        self.model_out = nn.Conv2d(313, 2, 1, bias=False)
        bins = ab_bins()
        with torch.no_grad():
            self.model_out.weight.copy_((bins / 110).T[:, :, None, None])
        self.model_out.weight.requires_grad_(False)
        self.temperature = temperature
        self.register_buffer("bins", bins, persistent=False)
        self.register_buffer("class_weights", torch.ones(313), persistent=False)

    def forward(self, x):
        h = x
        for block in (self.model1, self.model2, self.model3, self.model4, self.model5, self.model6,
                      self.model7, self.model8):
            h = block(h)
        return h  # logits over the 313 bins at 1/4 resolution

    def decode(self, logits: torch.Tensor) -> torch.Tensor:
        """Annealed mean: softmax(logits / T) -> expected ab. T=1 is the mean, T->0 the mode."""
        probs = F.softmax(logits / self.temperature, dim=1)
        return self.model_out(probs) * 110

    def set_prior(self, prior: torch.Tensor, lam: float = 0.5) -> None:
        self.class_weights = rebalance_weights(prior.to(self.bins), self.bins, lam)

    def loss(self, logits: torch.Tensor, ab: torch.Tensor) -> torch.Tensor:
        """Class-rebalanced multinomial cross-entropy against soft-encoded targets."""
        ab = F.interpolate(ab, size=logits.shape[-2:], mode="bilinear", align_corners=False)
        target = soft_encode(ab, self.bins)
        weight = self.class_weights[target.argmax(1)]            # (N,H,W), weight of the nearest bin
        ce = -(target * F.log_softmax(logits.float(), 1)).sum(1)
        return (weight * ce).mean()


def empirical_prior(ab: torch.Tensor, bins: torch.Tensor) -> torch.Tensor:
    """Histogram of ab values over the 313 bins (nearest bin)."""
    flat = ab.permute(0, 2, 3, 1).reshape(-1, 2)
    idx = torch.cdist(flat, bins.to(flat)).argmin(1)
    hist = torch.bincount(idx, minlength=len(bins)).float()
    return hist / hist.sum()
