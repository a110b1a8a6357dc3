"""`colorize models`: the registry, with sizes and whether weights are present."""
from __future__ import annotations

import click

from .group import cli
from .common import print_json


@cli.command("models")
@click.option("--json", "as_json", is_flag=True)
def models_cmd(as_json):
    """List the models: name, description, parameters, weights."""
    from colorize_cli.inventory import models

    rows = models()
    if as_json:
        for r in rows:
            print_json(r)
        return 0
    from rich.console import Console
    from rich.table import Column, Table

    # names are never cut (they are what users type); the description wraps instead
    table = Table(Column("model", no_wrap=True, overflow="fold"), Column("description", ratio=1),
                  Column("params", no_wrap=True), Column("render size", no_wrap=True),
                  Column("weights", no_wrap=True))
    for r in rows:
        table.add_row(r["name"] + (" (default)" if r["default"] else ""), r["description"],
                      f"{r['parameters'] / 1e6:.2f}M", f"{r['render_size']} px",
                      f"yes, {r['weights_mb']} MB" if r["weights"] else "no")
    Console(highlight=False).print(table)
    return 0
