"""`colorize models`: the registry, with sizes and whether weights are present."""
from __future__ import annotations

import click

from .group import cli
from .common import print_json


@cli.command("models")
@click.option("--json", "as_json", is_flag=True)
@click.option("--wide", is_flag=True, help="one table row per model (for wide terminals)")
def models_cmd(as_json, wide):
    """List the models: name, parameters, render size, weights (shipped with the package,
    installed after training here, or trainable with scripts/train_zoo.py), and what each is."""
    from colorize_cli.inventory import models

    rows = models()
    if as_json:
        for r in rows:
            print_json(r)
        return 0
    if wide:
        return _table(rows)
    import shutil
    import textwrap

    width = max(40, min(shutil.get_terminal_size((80, 24)).columns, 100))
    name_w = max(len(r["name"]) + (10 if r["default"] else 0) for r in rows)
    for r in rows:
        name = r["name"] + (" (default)" if r["default"] else "")
        weights = {"shipped": f"shipped {r['weights_mb']} MB", "installed": f"installed {r['weights_mb']} MB",
                   "trainable": "trainable: scripts/train_zoo.py"}[r["source"]]
        about = r["description"]
        if r["source"] == "trainable" and r["seed_comparison_gain_db"] is not None:
            about += f" [our 200-step run: {r['seed_comparison_gain_db']:+.2f} dB over gray]"
        params = f"{r['parameters'] / 1e6:5.2f}M" if r["parameters"] is not None else "    ?"   # no card, no torch
        click.echo(f"{name:<{name_w}}  {params} params  {r['render_size']:>4} px  {weights}")
        click.echo(textwrap.fill(about, width, initial_indent="    ", subsequent_indent="    "))
    return 0


def _table(rows) -> int:
    from rich.console import Console
    from rich.table import Column, Table

    # names are never cut (they are what users type); the description wraps instead
    table = Table(Column("model", no_wrap=True, overflow="fold"), Column("description", ratio=1),
                  Column("params", no_wrap=True), Column("render size", no_wrap=True),
                  Column("weights", no_wrap=True))
    for r in rows:
        table.add_row(r["name"] + (" (default)" if r["default"] else ""), r["description"],
                      f"{r['parameters'] / 1e6:.2f}M" if r["parameters"] is not None else "?", f"{r['render_size']} px",
                      f"{r['source']}, {r['weights_mb']} MB" if r["weights"] else "trainable")
    Console(highlight=False).print(table)
    return 0
