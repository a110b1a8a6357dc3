"""Colours the editor suggests for a new point: the model's own colour there, that colour more
saturated, and common colours of archive pictures, all at the point's own lightness (only a
hint's a, b count: L stays the photo's), pulled into the sRGB gamut."""
from __future__ import annotations

import numpy as np

from colorize_cli.colour.lab import in_gamut, lab_to_linear, linear_to_encoded, rgb_to_lab

# hue directions (a, b) of colours that archives are full of, at chroma ~50
COMMON = {
    "sky": (-8, -38), "navy": (12, -50), "foliage": (-40, 38), "grass": (-50, 50),
    "skin": (18, 22), "brick": (45, 35), "red": (62, 42), "khaki": (2, 30),
    "yellow": (-4, 70), "purple": (40, -40),
}


def _hex(L: float, a: float, b: float) -> str:
    """#rrggbb of (L, a, b), the chroma reduced until it fits the gamut."""
    for k in np.linspace(1.0, 0.0, 21):
        if in_gamut(np.array([L]), np.array([a * k]), np.array([b * k]))[0]:
            a, b = a * k, b * k
            break
    rgb = np.clip(linear_to_encoded(lab_to_linear(np.array([L]), np.array([a]), np.array([b])))[0], 0, 1)
    return "#%02x%02x%02x" % tuple(int(round(c * 255)) for c in rgb)


def suggestions(model_rgb: np.ndarray, gray_code: float) -> list[str]:
    """model_rgb: the automatic result's colour at the point (0-255); gray_code: the luma code
    there (0-255): -> distinct #rrggbb, the model's colour first."""
    from colorize_cli.colour.lab import gray_to_L

    L = float(gray_to_L(np.array([gray_code / 255.0]))[0])
    _, a, b = rgb_to_lab(np.asarray(model_rgb, np.float64) / 255.0)
    out = [_hex(L, a, b), _hex(L, a * 1.8, b * 1.8), _hex(L, a * 2.8, b * 2.8)]
    out += [_hex(L, ca, cb) for ca, cb in COMMON.values()]
    return list(dict.fromkeys(out))
