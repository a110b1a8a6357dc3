"""`colorize doctor`: what this machine offers colorize."""
from __future__ import annotations

import click

from .common import print_json
from .group import cli


@cli.command()
@click.option("--json", "as_json", is_flag=True)
def doctor(as_json):
    """Report torch, CUDA, PyAV, usable encoders, engines, threads and paths."""
    from colorize_cli.inventory import machine

    info = machine()
    if as_json:
        print_json(info)
        return 0
    for k, v in info.items():
        if isinstance(v, dict):
            click.echo(f"{k}:")
            for kk, vv in v.items():
                click.echo(f"  {kk}: {vv}")
        else:
            click.echo(f"{k}: {v}")
    return 0
