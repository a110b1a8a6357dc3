#!/usr/bin/env python3
"""Copy the training campaign's record into the repository and draw its curve.

  python scripts/campaign_report.py --run runs/campaign --out models/cards/campaign

Writes OUT/curve.csv (val PSNR gain over gray, per-image ΔCF, CIEDE2000 against training hours,
one row per val point of the long run), OUT/sweep.json (the size sweep and its rule), OUT/log.txt
(the campaign's log) and OUT/curve.png. Checkpoints stay in runs/ (git-ignored).
"""
import argparse
import csv
import shutil
from pathlib import Path


def plot(rows: list[dict], path: Path) -> None:
    from PIL import Image, ImageDraw

    W, H, pad = 720, 460, 60
    img = Image.new("RGB", (W, H), "white")
    d = ImageDraw.Draw(img)
    xs = [float(r["train_hours"]) for r in rows] or [0.0]
    x1 = max(max(xs), 1e-3) * 1.05
    panels = [("gain_db", "PSNR gain over gray (dB)", (30, 90, 200)), ("dcf", "per-image delta CF (|CF - true CF|)", (200, 60, 40)),
              ("ciede2000", "CIEDE2000", (40, 150, 60))]
    ph = (H - 2 * pad) // 3
    for k, (key, label, colour) in enumerate(panels):
        top = pad + k * ph
        ys = [float(r[key]) for r in rows] or [0.0]
        y0, y1 = min(ys), max(ys)
        if y1 - y0 < 1e-6:
            y0, y1 = y0 - 0.5, y1 + 0.5
        d.rectangle([pad, top, W - pad, top + ph - 10], outline="black")
        d.text((pad + 4, top + 2), f"{label}: {ys[-1]:.3f} (latest)", fill=colour)
        d.text((W - pad + 4, top), f"{y1:.4g}", fill="black")              # the panel's range
        d.text((W - pad + 4, top + ph - 22), f"{y0:.4g}", fill="black")
        for x, y in zip(xs, ys):                                           # each point's value
            px = pad + x / x1 * (W - 2 * pad)
            d.text((px - 12, top + ph - 24 - (y - y0) / (y1 - y0) * (ph - 24) - 12), f"{y:.4g}", fill=colour)
        pts = [(pad + x / x1 * (W - 2 * pad), top + ph - 12 - (y - y0) / (y1 - y0) * (ph - 24)) for x, y in zip(xs, ys)]
        if len(pts) > 1:
            d.line(pts, fill=colour, width=2)
        for px, py in pts:
            d.ellipse([px - 3, py - 3, px + 3, py + 3], fill=colour)
    for x in xs:
        d.text((pad + x / x1 * (W - 2 * pad) - 10, H - pad + 2), f"{x:.1f}", fill="black")
    d.text((W // 2 - 80, H - pad + 20), f"training hours (0 - {x1:.2f})", fill="black")
    d.text((4, 4), "lite-unet campaign on val (195 photos, 256x256)", fill="black")
    img.save(path)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run", default="runs/campaign")
    ap.add_argument("--out", default="models/cards/campaign")
    args = ap.parse_args()
    run, out = Path(args.run), Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for name, dst in (("curve.csv", "curve.csv"), ("sweep.json", "sweep.json"), ("campaign.log", "log.txt")):
        if (run / name).is_file():
            shutil.copyfile(run / name, out / dst)
    rows = list(csv.DictReader(open(run / "curve.csv"))) if (run / "curve.csv").is_file() else []
    plot(rows, out / "curve.png")
    print(f"{len(rows)} val points; {out}")


if __name__ == "__main__":
    main()
