"""Quality metrics without downloaded networks, and the papers' Table 1 on one protocol.

Per image, then averaged: MSE and PSNR on 8-bit RGB at 256x256 (peak 255) and at full resolution,
SSIM (RGB at 256x256, 11x11 Gaussian window, sigma 1.5), colourfulness CF (Hasler-Süsstrunk) and
ΔCF = |CF(truth) - CF(result)|, CIEDE2000, AuC of the ab error (thresholds 0-150, normalised to 1).
The gray baseline (a = b = 0) is always reported first.
"""
from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from colorize_cli.colorspace import lab_to_rgb_in_gamut, rgb_to_lab
from colorize_cli.pipeline.image import colorize_rgb

SIZE = 256


def colourfulness(rgb: torch.Tensor) -> float:
    """Hasler & Süsstrunk (2003) on 8-bit RGB values, (3,H,W) float."""
    r, g, b = rgb
    rg, yb = r - g, 0.5 * (r + g) - b
    return float(torch.sqrt(rg.std() ** 2 + yb.std() ** 2) + 0.3 * torch.sqrt(rg.mean() ** 2 + yb.mean() ** 2))


def ssim(x: torch.Tensor, y: torch.Tensor, peak: float = 255.0) -> float:
    """Mean SSIM over channels, (3,H,W) float."""
    k = torch.exp(-(torch.arange(11) - 5.0) ** 2 / (2 * 1.5 ** 2))
    k = (k / k.sum())
    win = (k[:, None] * k[None, :]).expand(3, 1, 11, 11).to(x)
    x, y = x[None], y[None]
    mu_x, mu_y = F.conv2d(x, win, groups=3), F.conv2d(y, win, groups=3)
    sxx = F.conv2d(x * x, win, groups=3) - mu_x ** 2
    syy = F.conv2d(y * y, win, groups=3) - mu_y ** 2
    sxy = F.conv2d(x * y, win, groups=3) - mu_x * mu_y
    c1, c2 = (0.01 * peak) ** 2, (0.03 * peak) ** 2
    m = ((2 * mu_x * mu_y + c1) * (2 * sxy + c2)) / ((mu_x ** 2 + mu_y ** 2 + c1) * (sxx + syy + c2))
    return float(m.mean())


def ciede2000(lab1: torch.Tensor, lab2: torch.Tensor) -> torch.Tensor:
    """CIEDE2000 colour difference per pixel, Lab tensors (3, ...)."""
    L1, a1, b1 = lab1
    L2, a2, b2 = lab2
    C1, C2 = torch.hypot(a1, b1), torch.hypot(a2, b2)
    Cm = (C1 + C2) / 2
    G = 0.5 * (1 - torch.sqrt(Cm ** 7 / (Cm ** 7 + 25.0 ** 7)))
    a1p, a2p = (1 + G) * a1, (1 + G) * a2
    C1p, C2p = torch.hypot(a1p, b1), torch.hypot(a2p, b2)
    h1p = torch.rad2deg(torch.atan2(b1, a1p)) % 360
    h2p = torch.rad2deg(torch.atan2(b2, a2p)) % 360
    dLp, dCp = L2 - L1, C2p - C1p
    dh = h2p - h1p
    dh = torch.where(dh > 180, dh - 360, torch.where(dh < -180, dh + 360, dh))
    dh = torch.where(C1p * C2p == 0, torch.zeros_like(dh), dh)
    dHp = 2 * torch.sqrt(C1p * C2p) * torch.sin(torch.deg2rad(dh / 2))
    Lpm, Cpm = (L1 + L2) / 2, (C1p + C2p) / 2
    hs = h1p + h2p
    hpm = torch.where(C1p * C2p == 0, hs,
                      torch.where((h1p - h2p).abs() <= 180, hs / 2,
                                  torch.where(hs < 360, (hs + 360) / 2, (hs - 360) / 2)))
    T = (1 - 0.17 * torch.cos(torch.deg2rad(hpm - 30)) + 0.24 * torch.cos(torch.deg2rad(2 * hpm))
         + 0.32 * torch.cos(torch.deg2rad(3 * hpm + 6)) - 0.20 * torch.cos(torch.deg2rad(4 * hpm - 63)))
    dtheta = 30 * torch.exp(-(((hpm - 275) / 25) ** 2))
    Rc = 2 * torch.sqrt(Cpm ** 7 / (Cpm ** 7 + 25.0 ** 7))
    Sl = 1 + 0.015 * (Lpm - 50) ** 2 / torch.sqrt(20 + (Lpm - 50) ** 2)
    Sc, Sh = 1 + 0.045 * Cpm, 1 + 0.015 * Cpm * T
    Rt = -torch.sin(torch.deg2rad(2 * dtheta)) * Rc
    return torch.sqrt((dLp / Sl) ** 2 + (dCp / Sc) ** 2 + (dHp / Sh) ** 2 + Rt * (dCp / Sc) * (dHp / Sh))


def ab_auc(ab_pred: torch.Tensor, ab_true: torch.Tensor, max_t: int = 150) -> float:
    err = (ab_pred - ab_true).norm(dim=0).flatten()
    ts = torch.arange(0, max_t + 1, dtype=torch.float32)
    return float((err[None, :] <= ts[:, None]).float().mean(1).mean())


def image_metrics(pred8: np.ndarray, true8: np.ndarray) -> dict:
    p = torch.from_numpy(np.array(pred8)).permute(2, 0, 1).float()
    t = torch.from_numpy(np.array(true8)).permute(2, 0, 1).float()
    mse = float(((p - t) ** 2).mean())
    lab_p, lab_t = rgb_to_lab(p[None] / 255)[0], rgb_to_lab(t[None] / 255)[0]
    cf_p, cf_t = colourfulness(p), colourfulness(t)
    return {"mse": mse, "psnr": 10 * math.log10(255 ** 2 / max(mse, 1e-10)), "ssim": ssim(p, t),
            "cf": cf_p, "dcf": abs(cf_t - cf_p), "cf_true": cf_t,
            "ciede2000": float(ciede2000(lab_p, lab_t).mean()), "auc": ab_auc(lab_p[1:], lab_t[1:])}


def gray_of(rgb8: np.ndarray) -> np.ndarray:
    """The a = b = 0 version of an image, with its own L (the gray baseline and the model input)."""
    t = torch.from_numpy(np.array(rgb8)).permute(2, 0, 1)[None].float() / 255
    L = rgb_to_lab(t)[:, :1]
    out = lab_to_rgb_in_gamut(L, torch.zeros(1, 2, *L.shape[-2:]))
    return (out[0].permute(1, 2, 0) * 255).round().clamp(0, 255).byte().numpy()


def load_val(folder: str | Path, limit: int | None = None) -> list[tuple[str, np.ndarray]]:
    files = sorted(p for p in Path(folder).iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    return [(p.name, np.asarray(Image.open(p).convert("RGB"))) for p in files[:limit]]


def evaluate(predictors: dict, images: list[tuple[str, np.ndarray]], timing_batch: int = 16) -> dict:
    """predictors: name -> ChromaPredictor (None for the gray baseline). Returns name -> mean metrics."""
    rows = {}
    cases = []  # the inputs are the same for every model: prepare them once
    for _, full in images:
        small_true = np.asarray(Image.fromarray(full).resize((SIZE, SIZE), Image.BICUBIC))
        cases.append((full, gray_of(full), small_true, gray_of(small_true)))
    for name, pred in predictors.items():
        per, per_full, times = [], [], []
        for full, gray_full, small_true, small_gray in cases:
            if pred is None:
                out_small, out_full = small_gray, gray_full
            else:
                t = time.perf_counter()
                out_small = colorize_rgb(small_gray, pred)
                times.append(time.perf_counter() - t)
                out_full = colorize_rgb(gray_full, pred)
            per.append(image_metrics(out_small, small_true))
            mse_full = float(((out_full.astype(np.float64) - full) ** 2).mean())
            per_full.append(10 * math.log10(255 ** 2 / max(mse_full, 1e-10)))
        row = {k: float(np.mean([m[k] for m in per])) for k in per[0]}
        row["psnr_full"] = float(np.mean(per_full))
        if pred is not None:
            row["ms_batch1"] = 1000 * float(np.median(times))
            row["ms_batched"] = batched_ms(pred, timing_batch)
        rows[name] = row
    return rows


def hint_points(true8: np.ndarray, k: int, seed: int) -> list:
    """k random true-colour points of an image (the `--hints` protocol): seeded positions at least
    3 pixels from the border, each with the truth's 7x7 mean colour, radius 3."""
    rng = np.random.default_rng(seed)
    h, w = true8.shape[:2]
    out = []
    for _ in range(k):
        y, x = int(rng.integers(3, h - 3)), int(rng.integers(3, w - 3))
        rgb = true8[y - 3:y + 4, x - 3:x + 4].reshape(-1, 3).mean(0)
        out.append((x, y, tuple(int(round(c)) for c in rgb), 3))
    return out


def evaluate_hints(predictors: dict, images: list[tuple[str, np.ndarray]], ks: list[int]) -> dict:
    """Rows "MODEL, k hints" for each k: the 256x256 metrics with k true-colour points per image
    (hint_points, seeded by the image's index, so every model gets the same points)."""
    from colorize_cli.hints import from_points

    rows = {}
    cases = []
    for _, full in images:
        small_true = np.asarray(Image.fromarray(full).resize((SIZE, SIZE), Image.BICUBIC))
        cases.append((small_true, gray_of(small_true)))
    for name, pred in predictors.items():
        if pred is None:
            continue
        for k in ks:
            per, times = [], []
            for i, (small_true, small_gray) in enumerate(cases):
                hints = from_points(hint_points(small_true, k, seed=i)) if k else None
                t = time.perf_counter()
                out = colorize_rgb(small_gray, pred, hints=hints)
                times.append(time.perf_counter() - t)
                per.append(image_metrics(out, small_true))
            row = {m: float(np.mean([x[m] for x in per])) for m in per[0]}
            row["ms_batch1"] = 1000 * float(np.median(times))
            rows[f"{name}, {k} hint{'s' if k != 1 else ''}"] = row
    return rows


def batched_ms(pred, batch: int) -> float:
    L = np.random.default_rng(0).random((batch, 1, SIZE, SIZE), np.float32) * 100
    pred.predict(L)
    t = time.perf_counter()
    for _ in range(3):
        pred.predict(L)
    return 1000 * (time.perf_counter() - t) / (3 * batch)


COLUMNS = [("mse", "MSE", 1), ("psnr", "PSNR dB", 2), ("psnr_full", "PSNR full", 2), ("ssim", "SSIM", 3),
           ("cf", "CF", 1), ("dcf", "ΔCF", 1), ("ciede2000", "CIEDE2000", 2), ("auc", "AuC", 3),
           ("ms_batch1", "ms/img b1", 1), ("ms_batched", "ms/img batched", 1)]


def markdown_table(rows: dict) -> str:
    head = "| model | " + " | ".join(c[1] for c in COLUMNS) + " |"
    sep = "|---" * (len(COLUMNS) + 1) + "|"
    lines = [head, sep]
    for name, row in rows.items():
        cells = [f"{row[k]:.{d}f}" if k in row else "–" for k, _, d in COLUMNS]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def picture_grid(predictors: dict, images: list[tuple[str, np.ndarray]], path: str | Path, n: int = 6,
                 cell: int = 160) -> None:
    """gray | each model | ground truth, one row per image."""
    cols = ["gray", *[k for k, v in predictors.items() if v is not None], "truth"]
    images = images[:: max(1, len(images) // n)][:n]  # spread over the folder (and its sources)
    sheet = Image.new("RGB", (cell * len(cols), cell * len(images)), "white")
    for r, (_, full) in enumerate(images):
        small = np.asarray(Image.fromarray(full).resize((cell, cell), Image.BICUBIC))
        g = gray_of(small)
        outs = [g, *[colorize_rgb(g, p) for p in predictors.values() if p is not None], small]
        for c, img in enumerate(outs):
            sheet.paste(Image.fromarray(img), (c * cell, r * cell))
    sheet.save(path)
