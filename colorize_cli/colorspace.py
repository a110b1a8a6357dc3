"""Colour math in torch: sRGB <-> CIE Lab (D65) and Y'CbCr, batched as (N, C, H, W).

Plain tensor arithmetic, so it runs on any device and exports to ONNX: training, evaluation and the
tests' reference for the colour module (`colorize_cli.colour`, which colorizes). The constants are
the colour module's (`colour.lab`): one definition.
"""
from __future__ import annotations

import torch

from colorize_cli.colour import lab as _lab

_RGB2XYZ = torch.tensor(_lab.RGB2XYZ, dtype=torch.float32)
_XYZ2RGB = torch.tensor(_lab.XYZ2RGB, dtype=torch.float32)
_WHITE = torch.tensor(_lab.WHITE, dtype=torch.float32)
_EPS, _KAPPA = _lab.EPS, _lab.KAPPA
KR_KB, AB_LIMIT = _lab.KR_KB, _lab.AB_LIMIT


def _mix(m: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    return torch.einsum("ij,njhw->nihw", m.to(x), x)


def srgb_to_linear(c: torch.Tensor) -> torch.Tensor:
    return torch.where(c <= 0.04045, c / 12.92, ((c.clamp(min=0) + 0.055) / 1.055) ** 2.4)


def linear_to_srgb(c: torch.Tensor) -> torch.Tensor:
    c = c.clamp(0, 1)
    return torch.where(c <= 0.0031308, 12.92 * c, 1.055 * c.clamp(min=1e-8) ** (1 / 2.4) - 0.055)


def _f(t: torch.Tensor) -> torch.Tensor:
    return torch.where(t > _EPS, t.clamp(min=_EPS) ** (1 / 3), t / _KAPPA + 4 / 29)


def _finv(t: torch.Tensor) -> torch.Tensor:
    return torch.where(t > 6 / 29, t ** 3, _KAPPA * (t - 4 / 29))


def rgb_to_lab(rgb: torch.Tensor) -> torch.Tensor:
    """sRGB in [0, 1] -> Lab with L in [0, 100], a/b roughly [-110, 110]."""
    xyz = _mix(_RGB2XYZ, srgb_to_linear(rgb)) / _WHITE.to(rgb).view(1, 3, 1, 1)
    fx, fy, fz = _f(xyz).unbind(1)
    return torch.stack([116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)], 1)


def lab_to_rgb(lab: torch.Tensor, clip: bool = True) -> torch.Tensor:
    L, a, b = lab.unbind(1)
    fy = (L + 16) / 116
    xyz = torch.stack([_finv(fy + a / 500), _finv(fy), _finv(fy - b / 200)], 1)
    lin = _mix(_XYZ2RGB, xyz * _WHITE.to(lab).view(1, 3, 1, 1))
    if not clip:
        return torch.where(lin <= 0.0031308, 12.92 * lin, 1.055 * lin.clamp(min=1e-8) ** (1 / 2.4) - 0.055)
    return linear_to_srgb(lin)


def gray_to_L(v: torch.Tensor) -> torch.Tensor:
    """Lab L of a neutral sRGB grey level v in [0, 1] (any shape)."""
    return 116 * _f(srgb_to_linear(v.clamp(0, 1))) - 16


def L_to_gray(L: torch.Tensor) -> torch.Tensor:
    return linear_to_srgb(_finv((L + 16) / 116))


def lab_to_rgb_in_gamut(L: torch.Tensor, ab: torch.Tensor, steps: int = 6) -> torch.Tensor:
    """Lab -> sRGB keeping L: chroma is scaled down (binary search) until the colour fits sRGB.

    Clipping RGB instead would shift the lightness of saturated colours.
    """
    ab = ab.clamp(-AB_LIMIT, AB_LIMIT)
    lo = torch.zeros_like(L)
    hi = torch.ones_like(L)
    fits = _in_gamut(torch.cat([L, ab], 1))
    if steps > 0 and not bool(fits.all()):
        for _ in range(steps):
            mid = (lo + hi) / 2
            ok = _in_gamut(torch.cat([L, ab * mid], 1))
            lo = torch.where(ok, mid, lo)
            hi = torch.where(ok, hi, mid)
        scale = torch.where(fits, torch.ones_like(lo), lo)
        ab = ab * scale
    return lab_to_rgb(torch.cat([L, ab], 1))


def _in_gamut(lab: torch.Tensor, tol: float = _lab.GAMUT_TOL) -> torch.Tensor:
    rgb = lab_to_rgb(lab, clip=False)
    return ((rgb >= -tol) & (rgb <= 1 + tol)).all(1, keepdim=True)


def luma_to_gray(y: torch.Tensor, bits: int, full_range: bool) -> torch.Tensor:
    """Integer Y' code values -> grey level in [0, 1]."""
    top = (1 << bits) - 1
    if full_range:
        return (y.float() / top).clamp(0, 1)
    s = 1 << (bits - 8)
    return ((y.float() - 16 * s) / (219 * s)).clamp(0, 1)


def rgb_to_cbcr(rgb: torch.Tensor, matrix: str, bits: int, full_range: bool) -> torch.Tensor:
    """sRGB in [0, 1] -> (Cb, Cr) code values as float, not yet rounded."""
    kr, kb = KR_KB[matrix]
    r, g, b = rgb.unbind(1)
    y = kr * r + (1 - kr - kb) * g + kb * b
    cb = (b - y) / (2 * (1 - kb))
    cr = (r - y) / (2 * (1 - kr))
    top = (1 << bits) - 1
    s = 1 << (bits - 8)
    if full_range:
        mid = 1 << (bits - 1)
        return torch.stack([cb, cr], 1) * top + mid
    return torch.stack([cb, cr], 1) * (224 * s) + 128 * s
