#!/usr/bin/env python3
"""The campaign's decision (issue #26): the default rule over the shipped models and the kept
campaign points, each point already through the decode rule (`scripts/export_lite.py --weights
runs/campaign/main/val-STEP.pt --renders 224 --out runs/decide/STEP`).

  python scripts/campaign_decide.py --decided runs/decide

Default rule (issue #4, unchanged): among the candidates within 0.3 dB of the best val PSNR, the
lowest per-image ΔCF. Candidates: every shipped model's card (`models/weights/NAME.json`,
metrics on the 195 val photos at 256²) and every decided point's card. Prints one table and the
rule's choice; exits 0 whatever it chooses (shipping is a separate, deliberate step:
`scripts/export_onnx.py lite-unet --weights runs/decide/STEP/lite-unet.safetensors`).
"""
import argparse
import json
from pathlib import Path

WITHIN_DB = 0.3


def candidates(decided: Path, weights: Path) -> list[dict]:
    rows = []
    for card_path in sorted(weights.glob("*.json")):
        m = json.loads(card_path.read_text()).get("metrics_val_256")
        if m and "psnr" in m and "dcf" in m:
            rows.append({"name": f"{card_path.stem} (shipped)", **m})
    for card_path in sorted(decided.glob("*/lite-unet.json")):
        card = json.loads(card_path.read_text())
        step = int(card_path.parent.name)
        rows.append({"name": f"campaign step {step:,}", "decode": card["decode"], "render": card["render_size"],
                     "file": str(card_path.with_suffix(".safetensors")), **card["metrics_val_256"]})
    return rows


def gain(row: dict) -> float:
    """The PSNR gain over gray as the card records it (gain_db, or psnr - psnr_gray)."""
    return row["gain_db"] if "gain_db" in row else row["psnr"] - row["psnr_gray"]


def choose(rows: list[dict]) -> dict:
    best = max(r["psnr"] for r in rows)
    return min((r for r in rows if r["psnr"] >= best - WITHIN_DB), key=lambda r: r["dcf"])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--decided", default="runs/decide")
    ap.add_argument("--weights", default=str(Path(__file__).resolve().parent.parent / "models" / "weights"))
    args = ap.parse_args()
    rows = candidates(Path(args.decided), Path(args.weights))
    if not rows:
        print(f"{args.decided}: no decided campaign point and no shipped card")
        return 2
    chosen = choose(rows)
    print("| candidate | PSNR dB | gain over gray | ΔCF | CF | CIEDE2000 | decode |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        mark = "**" if r is chosen else ""
        decode = r.get("decode")
        decode = f"mix {decode['mix']:g}, T {decode['temperature']:g}, gain {decode['gain']:g}, render {r['render']}" \
            if decode else "card"
        print(f"| {mark}{r['name']}{mark} | {r['psnr']:.2f} | {gain(r):+.2f} | {r['dcf']:.1f} | "
              f"{r['cf']:.1f} | {r['ciede2000']:.2f} | {decode} |")
    print(f"default rule (lowest ΔCF within {WITHIN_DB} dB of the best PSNR): {chosen['name']}"
          + (f" -> {chosen['file']}" if "file" in chosen else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
