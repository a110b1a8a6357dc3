"""`colorize eval`: the comparison table (gray baseline first) on a folder of colour photos."""
from __future__ import annotations

import json

import click

from .group import cli
from .common import model_options


@cli.command("eval")
@click.argument("folder", required=False)
@click.option("--model", "-m", "models", default="baseline-cnn", show_default=True,
              help="comma-separated model names")
@model_options(only=("engine",))
@click.option("--limit", type=int, help="only the first N images")
@click.option("--grid", help="write a PNG grid gray | models | truth")
@click.option("--video", "videos", multiple=True,
              help="colour clip to make gray and score per temporal mode (repeatable; FOLDER optional)")
@click.option("--frames", type=int, help="--video: only the first N frames of each clip")
@click.option("--json", "as_json", is_flag=True)
def evaluate_cmd(folder, models, engine, limit, grid, videos, frames, as_json):
    """MSE/PSNR/SSIM/CF/ΔCF/CIEDE2000/AuC and timing for each model and the gray baseline.

    With --video: PSNR, ΔCF, warp error and CDC per clip for per-frame output, ema and flow.
    """
    from colorize_cli.api import Colorizer
    from colorize_cli.errors import UsageError

    engine = engine or "auto"
    if videos:
        from colorize_cli.video_eval import evaluate_clips, markdown

        for name in models.split(","):
            table = evaluate_clips(list(videos), Colorizer(name.strip(), engine, batch_size=8).predictor,
                                   limit=frames)
            if as_json:
                click.echo(json.dumps({"model": name.strip(), "clips": table}, indent=2))
            else:
                click.echo(f"{name.strip()}: {len(videos)} clips, metrics at 360p\n\n{markdown(table)}\n")
        if not folder:
            return 0
    if not folder:
        raise UsageError("give a FOLDER of colour photos, or --video CLIP")
    from colorize_cli.evaluate import evaluate, load_val, markdown_table, picture_grid

    images = load_val(folder, limit)
    if not images:
        raise UsageError(f"{folder}: no .jpg/.png images")
    predictors = {"gray (a=b=0)": None}
    for name in models.split(","):
        predictors[name] = Colorizer(name.strip(), engine, batch_size=16).predictor
    rows = evaluate(predictors, images)
    if as_json:
        click.echo(json.dumps(rows, indent=2))
    else:
        click.echo(f"{len(images)} images from {folder}; metrics at 256x256 unless 'full'\n")
        click.echo(markdown_table(rows))
    if grid:
        picture_grid(predictors, images, grid)
    return 0
