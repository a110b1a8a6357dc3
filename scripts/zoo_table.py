#!/usr/bin/env python3
"""The seed comparison's table (issue #30) from one `colorize eval --json` run and the training
queue's rows, and one card per queue-trained model.

    colorize eval ../shared/data/val --engine cpu --json --model "$(python3 scripts/zoo_table.py \\
        --queue runs/zoo/queue.json runs/zoo-b/queue.json runs/zoo-c/queue.json --eval-models)" > runs/zoo-eval.json
    python3 scripts/zoo_table.py --eval runs/zoo-eval.json --cards models/cards/zoo \\
        --queue runs/zoo/queue.json runs/zoo-b/queue.json runs/zoo-c/queue.json

--eval-models prints the --model list that scores every queue file: a model whose shipped weights
come from a longer training is named twice (NAME, its shipped file; NAME=FILE, the queue's), so
eval labels the queue's row NAME=FILE. The table has one row per queue model (PSNR, gain over
gray, CF, ΔCF, CIEDE2000, AuC, ms per image at batch 1 and batched, parameters, steps,
CPU-minutes, bytes, shipped or card only), then the other rows of the same run (the default, the
longer-trained shipped files) for reference. Each card is the queue's own (protocol, sha256,
bytes) with the val row added under "seed_comparison".
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from train_zoo import SHIP_LIMIT  # noqa: E402

GRAY = "gray (a=b=0)"
METRICS = [("psnr", 2), ("gain", 2), ("cf", 1), ("dcf", 1), ("ciede2000", 2), ("auc", 3), ("ms_batch1", 1),
           ("ms_batched", 1)]
HEAD = ("| model | PSNR dB | gain dB | CF | ΔCF | CIEDE2000 | AuC | ms/img b1 | ms/img batched | parameters "
        "| steps | CPU-min | int8/fp16 file | weights |")


def queue_rows(paths: list[Path]) -> dict:
    rows = {}
    for p in paths:
        rows.update({k: v for k, v in json.loads(p.read_text()).items() if v.get("status") == "done"})
    return rows


def shipped_path(name: str) -> Path:
    from colorize_cli.models import get_spec

    return Path(get_spec(name).shipped_path)


def eval_models(queue: dict) -> str:
    """The --model list: the default first, then each queue model (twice where shipped weights differ)."""
    items = ["lite-unet"]
    for name, row in queue.items():
        if Path(row["placed"]) == shipped_path(name):
            items.append(name)
        else:
            items += [name, f"{name}={row['placed']}"] if shipped_path(name).is_file() else [name]
    return ",".join(items)


def label_of(name: str, row: dict, scores: dict) -> str:
    """The eval label of a queue file: NAME=FILE where the shipped file is another one, else NAME."""
    if Path(row["placed"]) != shipped_path(name) and shipped_path(name).is_file():
        label = f"{name}={row['placed']}"
    else:
        label = name
    if label not in scores:
        raise SystemExit(f"the eval run has no row {label!r}: run eval with --model as --eval-models prints")
    return label


def cells(m: dict, gray_psnr: float) -> list[str]:
    m = {**m, "gain": m["psnr"] - gray_psnr}
    return [f"{m[k]:+.{d}f}" if k == "gain" else f"{m[k]:.{d}f}" if k in m else "–" for k, d in METRICS]


def table(scores: dict, queue: dict) -> tuple[str, dict]:
    """(markdown, {name: val row of its queue file})."""
    gray = scores[GRAY]["psnr"]
    lines = [HEAD, "|---" * 14 + "|", "| gray (a=b=0) | " + " | ".join(cells(scores[GRAY], gray)) + " |" + " – |" * 5]
    used, vals = {GRAY}, {}
    for name, row in queue.items():
        label = label_of(name, row, scores)
        used.add(label)
        vals[name] = {**scores[label], "gain_db": scores[label]["psnr"] - gray}
        ships = "shipped" if Path(row["placed"]) == shipped_path(name) else (
            "card only" if row["bytes"] > SHIP_LIMIT else "installed (shipped file: longer training)")
        lines.append(f"| {name} | " + " | ".join(cells(scores[label], gray)) +
                     f" | {row['parameters'] / 1e6:.2f} M | {row['steps']} | {row['cpu_minutes_this_run']:.1f} | "
                     f"{row['bytes'] / 1e6:.1f} MB | {ships} |")
    lines.append("| *not the protocol, same run:* |" + " |" * 13)
    for label in scores:
        if label not in used:
            lines.append(f"| {label} (shipped) | " + " | ".join(cells(scores[label], gray)) + " |" + " – |" * 5)
    return "\n".join(lines), vals


def write_cards(vals: dict, queue: dict, folder: Path, command: str, gray_psnr: float) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, val in vals.items():
        card = json.loads(Path(queue[name]["file"]).with_suffix(".json").read_text())
        card["seed_comparison"] = {"val_256": {k: round(v, 4) for k, v in val.items()}, "command": command,
                                   "gray_psnr": round(gray_psnr, 4),
                                   "cpu_minutes": queue[name]["cpu_minutes_this_run"],
                                   "shipped": Path(queue[name]["placed"]) == shipped_path(name)}
        (folder / f"{name}.json").write_text(json.dumps(card, indent=2) + "\n")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--queue", nargs="+", type=Path, required=True, help="the queue's queue.json files")
    ap.add_argument("--eval-models", action="store_true", help="print the --model list for colorize eval")
    ap.add_argument("--eval", type=Path, help="colorize eval --json output")
    ap.add_argument("--cards", type=Path, help="write one card per queue model here")
    ap.add_argument("--command", default="colorize eval ../shared/data/val --engine cpu --json --model ...")
    args = ap.parse_args()
    queue = queue_rows(args.queue)
    if args.eval_models:
        print(eval_models(queue))
        return 0
    scores = json.loads(args.eval.read_text())
    markdown, vals = table(scores, queue)
    print(markdown)
    if args.cards:
        write_cards(vals, queue, args.cards, args.command, scores[GRAY]["psnr"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
