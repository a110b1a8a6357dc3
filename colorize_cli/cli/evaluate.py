"""`colorize eval`: the comparison table (gray baseline first) on a folder of colour photos."""
from __future__ import annotations

import json
from pathlib import Path

import click

from .group import cli
from .common import model_options


@cli.command("eval")
@click.argument("folder", required=False)
@click.option("--model", "-m", "models", default="baseline-cnn", show_default=True,
              help="comma-separated model names; NAME=FILE scores that weights file (e.g. one the "
                   "training queue installed, where shipped weights would take precedence)")
@model_options(only=("engine",))
@click.option("--limit", type=int, help="only the first N images")
@click.option("--grid", help="write a PNG grid gray | models | truth")
@click.option("--video", "videos", multiple=True,
              help="colour clip to make gray and score per temporal mode (repeatable; FOLDER optional)")
@click.option("--frames", type=int, help="--video: only the first N frames of each clip")
@click.option("--hints", "hint_counts", help="also score with k random true-colour points per photo, "
              "e.g. 0,1,2,5,10,20 (seeded positions; the truth's 7x7 mean colour); with --video, "
              "each k >= 1 adds a hinted-shot row per clip")
@click.option("--json", "as_json", is_flag=True)
def evaluate_cmd(folder, models, engine, limit, grid, videos, frames, hint_counts, as_json):
    """MSE/PSNR/SSIM/CF/ΔCF/CIEDE2000/AuC and timing for each model and the gray baseline.

    With --video: PSNR, ΔCF, warp error and CDC per clip for per-frame output, ema and flow.
    Needs torch (the metrics are torch maths): the [gpu] extra.
    """
    from colorize_cli.api import Colorizer
    from colorize_cli.errors import MissingExtraError, UsageError

    try:
        import torch  # noqa: F401
    except ImportError:
        raise MissingExtraError("colorize eval computes its metrics with torch: "
                                "pip install 'colorize-archive[gpu]'") from None

    engine = engine or "auto"
    ks = _hint_counts(hint_counts) if hint_counts else []
    if videos:
        _evaluate_videos(videos, models, engine, frames, as_json, [k for k in ks if k > 0])
        if not folder:
            return 0
    if not folder:
        raise UsageError("give a FOLDER of colour photos, or --video CLIP")
    from colorize_cli.tools.evaluate import evaluate, load_val, markdown_table, picture_grid

    images = load_val(folder, limit)
    if not images:
        raise UsageError(f"{folder}: no .jpg/.png images")
    predictors = {"gray (a=b=0)": None}
    for label, name, weights in parse_models(models):
        predictors[label] = Colorizer(name, engine, batch_size=16, weights=weights).predictor
    rows = evaluate(predictors, images)
    if ks:
        _add_hint_rows(rows, predictors, images, ks)
    if as_json:
        click.echo(json.dumps(rows, indent=2))
    else:
        click.echo(f"{len(images)} images from {folder}; metrics at 256x256 unless 'full'\n")
        click.echo(markdown_table(rows))
    if grid:
        picture_grid(predictors, images, grid)
    return 0


def _evaluate_videos(videos, models: str, engine: str, frames, as_json: bool, hint_ks: list[int]) -> None:
    """Per clip and temporal mode; with --hints K, also the hinted-shot rows (K points on one
    frame of the clip's longest shot, the rest of the shot scored, through `colorize run`'s path)."""
    from colorize_cli.api import Colorizer
    from colorize_cli.tools import film_hints_eval
    from colorize_cli.tools.video_eval import evaluate_clips, markdown

    for label, name, weights in parse_models(models):
        colorizer = Colorizer(name, engine, batch_size=8, weights=weights)
        table = evaluate_clips(list(videos), colorizer.predictor, limit=frames)
        hinted = [film_hints_eval.hinted_shot(v, colorizer, k, frames=frames or 96) for k in hint_ks for v in videos]
        if as_json:
            click.echo(json.dumps({"model": label, "clips": table, "hinted_shots": hinted}, indent=2))
            continue
        click.echo(f"{label}: {len(videos)} clips, metrics at 360p\n\n{markdown(table)}\n")
        for k in hint_ks:
            rows = [r for r in hinted if r["points"] == k]
            click.echo(f"{label}, hinted shot: {k} true-colour points on one frame, PSNR of the shot's "
                       f"other frames (480 px wide, lossless, the first {frames or 96} frames)\n\n"
                       f"{film_hints_eval.markdown(rows)}\n")


def parse_models(models: str) -> list[tuple[str, str, str]]:
    """"a,b=FILE" -> [(label, name, weights)]: weights "default" (shipped, else installed) or FILE;
    the label is the name, or NAME=FILE where a name comes twice."""
    from colorize_cli.errors import UsageError

    out = []
    for item in (m.strip() for m in models.split(",") if m.strip()):
        name, _, weights = item.partition("=")
        if weights and not Path(weights).expanduser().is_file():
            raise UsageError(f"{weights}: no such weights file (--model {item})")
        out.append((name.strip(), name.strip(), str(Path(weights).expanduser()) if weights else "default"))
    names = [n for _, n, _ in out]
    return [(f"{n}={w}" if names.count(n) > 1 and w != "default" else n, n, w) for _, n, w in out]


def _hint_counts(hint_counts: str) -> list[int]:
    """--hints "0,2,10" -> [0, 2, 10]; a UsageError for anything else."""
    from colorize_cli.errors import UsageError

    try:
        ks = sorted({int(k) for k in hint_counts.split(",") if k.strip()})
    except ValueError:
        raise UsageError(f"--hints {hint_counts!r}: give counts like 0,2,10") from None
    if not ks or min(ks) < 0 or max(ks) > 1000:
        raise UsageError(f"--hints {hint_counts!r}: counts from 0 to 1000")
    return ks


def _add_hint_rows(rows: dict, predictors: dict, images, ks: list[int]) -> None:
    """Rows for each model with k random true-colour hints (--hints 0,2,10), gain over gray added."""
    from colorize_cli.tools.evaluate import evaluate_hints

    gray_psnr = rows["gray (a=b=0)"]["psnr"]
    for name, row in evaluate_hints(predictors, images, ks).items():
        row["gain_db"] = row["psnr"] - gray_psnr
        rows[name] = row
