"""CIE Lab (D65) and Y'CbCr constants and the scalar maths, in numpy (float64): the one definition
that the tables, the compiled kernels and the torch reference (`colorize_cli.colorspace`) share."""
from __future__ import annotations

import numpy as np

RGB2XYZ = np.array([[0.412453, 0.357580, 0.180423],
                    [0.212671, 0.715160, 0.072169],
                    [0.019334, 0.119193, 0.950227]])
XYZ2RGB = np.linalg.inv(RGB2XYZ)
WHITE = np.array([0.95047, 1.0, 1.08883])
EPS = (6 / 29) ** 3
KAPPA = 3 * (6 / 29) ** 2
# Kr, Kb of the Y'CbCr matrices named by FFmpeg's colorspace tags.
KR_KB = {"bt601": (0.299, 0.114), "bt709": (0.2126, 0.0722), "bt2020": (0.2627, 0.0593)}
AB_LIMIT = 110.0   # |a|, |b| beyond this is outside sRGB for any L
GAMUT_TOL = 1e-3   # sRGB values this far outside [0, 1] still count as inside


def srgb_to_linear(c: np.ndarray) -> np.ndarray:
    c = np.asarray(c, np.float64)
    return np.where(c <= 0.04045, c / 12.92, ((np.maximum(c, 0) + 0.055) / 1.055) ** 2.4)


def linear_to_encoded(lin: np.ndarray) -> np.ndarray:
    """The sRGB transfer without clipping (values outside [0, 1] show out-of-gamut colours)."""
    return np.where(lin <= 0.0031308, 12.92 * lin, 1.055 * np.maximum(lin, 1e-8) ** (1 / 2.4) - 0.055)


def f(t: np.ndarray) -> np.ndarray:
    return np.where(t > EPS, np.maximum(t, EPS) ** (1 / 3), t / KAPPA + 4 / 29)


def finv(t: np.ndarray) -> np.ndarray:
    return np.where(t > 6 / 29, t ** 3, KAPPA * (t - 4 / 29))


def gray_to_L(v: np.ndarray) -> np.ndarray:
    """Lab L of a neutral sRGB grey level v in [0, 1]."""
    return 116 * f(srgb_to_linear(np.clip(v, 0, 1))) - 16


def luma_to_gray(y: np.ndarray, bits: int, full_range: bool) -> np.ndarray:
    """Integer Y' code values -> grey level in [0, 1]."""
    y = np.asarray(y, np.float64)
    if full_range:
        return np.clip(y / ((1 << bits) - 1), 0, 1)
    s = 1 << (bits - 8)
    return np.clip((y - 16 * s) / (219 * s), 0, 1)


def lab_to_linear(L: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Lab planes -> linear sRGB (..., 3), unclipped."""
    fy = (np.asarray(L, np.float64) + 16) / 116
    xyz = np.stack([finv(fy + a / 500), finv(fy), finv(fy - b / 200)], -1) * WHITE
    return xyz @ XYZ2RGB.T


def in_gamut(L: np.ndarray, a: np.ndarray, b: np.ndarray, tol: float = GAMUT_TOL) -> np.ndarray:
    rgb = linear_to_encoded(lab_to_linear(L, a, b))
    return ((rgb >= -tol) & (rgb <= 1 + tol)).all(-1)


def rgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """sRGB in [0, 1] (..., 3) -> Lab (..., 3): L in [0, 100] (as colorspace.rgb_to_lab, in numpy)."""
    xyz = srgb_to_linear(rgb) @ RGB2XYZ.T / WHITE
    fx, fy, fz = (f(xyz[..., k]) for k in range(3))
    return np.stack([116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)], -1)
