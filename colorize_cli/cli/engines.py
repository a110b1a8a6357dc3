"""`colorize engines build|list|clear`: the TensorRT plan cache."""
from __future__ import annotations

import click

from .group import cli
from .common import make, model_options, print_json


@cli.group()
def engines():
    """Manage cached TensorRT engines."""


@engines.command("list")
@click.option("--json", "as_json", is_flag=True)
def list_cmd(as_json):
    from colorize_cli.inventory import engine_plans

    folder, plans = engine_plans()
    if as_json:
        for p in plans:
            print_json(p)
    else:
        click.echo(f"{folder}: {len(plans)} engine(s)")
        for p in plans:
            click.echo(f"  {p.get('model', '?')}  TensorRT {p.get('tensorrt', '?')}  sm {p.get('capability', '?')}"
                       f"  {p.get('precision', '?')}  {p['file']}")
    return 0


@engines.command("clear")
def clear_cmd():
    from colorize_cli.inventory import clear_engine_plans

    click.echo(f"removed {clear_engine_plans()} engine(s)")
    return 0


@engines.command("build")
@model_options(only=("model", "weights", "batch_size", "render_size"))
def build_cmd(**kw):
    """Export ONNX and build the FP16 TensorRT engine that `colorize run` with the same
    --model, --weights, --batch-size and --render-size will look for."""
    from colorize_cli.inventory import build_engine
    from colorize_cli.options import ModelOptions

    click.echo("; ".join(build_engine(make(ModelOptions, kw))) or "engine already cached")
    return 0
