"""`colorize status OUT`: progress of an archive job from its manifest."""
from __future__ import annotations

import click

from . import cli
from .common import print_json


@cli.command()
@click.argument("folder")
@click.option("--json", "as_json", is_flag=True)
def status(folder, as_json):
    """Done, failed, pending, throughput and ETA of the job whose output folder is FOLDER."""
    from colorize_cli.errors import UsageError
    from colorize_cli.jobs.manifest import Manifest

    from pathlib import Path

    from colorize_cli.jobs.manifest import NAME

    if not (Path(folder) / NAME).is_file():
        raise UsageError(f"{folder}: no colorize manifest here")
    m = Manifest(folder, readonly=True)   # status only reads: works on a read-only folder too
    s = m.summary()
    m.close()
    if as_json:
        print_json(s)
        return 0
    eta = f", ETA {s['eta_seconds']:.0f} s" if s["eta_seconds"] else ""
    click.echo(f"{s['done']}/{s['total']} done, {s['failed']} failed, {s['pending']} pending, "
               f"{s['running']} running, {s['interrupted']} interrupted (redone by the next run); "
               f"{s['frames']} frames at {s['fps']} fps{eta}")
    for f in s["failures"]:
        click.echo(f"  failed: {f['error']}")
    return 0
