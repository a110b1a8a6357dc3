"""`colorize engines build|list|clear`: the TensorRT plan cache."""
from __future__ import annotations

import click

from . import cli
from .common import make, model_options, print_json


@cli.group()
def engines():
    """Manage cached TensorRT engines."""


@engines.command("list")
@click.option("--json", "as_json", is_flag=True)
def list_cmd(as_json):
    from colorize_cli.engines.tensorrt import cache_dir, list_plans

    plans = list_plans()
    if as_json:
        for p in plans:
            print_json(p)
    else:
        click.echo(f"{cache_dir()}: {len(plans)} engine(s)")
        for p in plans:
            click.echo(f"  {p.get('model', '?')}  TensorRT {p.get('tensorrt', '?')}  sm {p.get('capability', '?')}"
                       f"  {p.get('precision', '?')}  {p['file']}")
    return 0


@engines.command("clear")
def clear_cmd():
    from colorize_cli.engines.tensorrt import clear_plans

    click.echo(f"removed {clear_plans()} engine(s)")
    return 0


@engines.command("build")
@model_options(only=("model", "weights", "batch_size", "render_size"))
def build_cmd(**kw):
    """Export ONNX and build the FP16 TensorRT engine that `colorize run` with the same
    --model, --weights, --batch-size and --render-size will look for."""
    from colorize_cli.api import ModelOptions, resolve_model
    from colorize_cli.engines import select_engine
    from colorize_cli.models import create_model

    o = make(ModelOptions, kw)
    cls, _ = select_engine("tensorrt")  # exit 3 with the reason when unavailable
    eng = cls.load(create_model(resolve_model(o.model, o.weights), weights=o.weights), max_batch=o.batch_size,
                   render_size=o.render_size)
    click.echo("; ".join(eng.notes) or "engine already cached")
    return 0
