"""`colorize status OUT`: progress of an archive job from its manifest."""
from __future__ import annotations

import click

from .group import cli
from .common import print_json


@cli.command()
@click.argument("folder")
@click.option("--json", "as_json", is_flag=True)
def status(folder, as_json):
    """Done, failed, pending, throughput and ETA of the job whose output folder is FOLDER."""
    from colorize_cli.inventory import job_status

    s = job_status(folder)
    if as_json:
        print_json(s)
        return 0
    eta = f", ETA {s['eta_seconds']:.0f} s" if s["eta_seconds"] else ""
    click.echo(f"{s['done']}/{s['total']} done, {s['failed']} failed, {s['pending']} pending, "
               f"{s['running']} running, {s['interrupted']} interrupted (redone by the next run); "
               f"{s['frames']} frames (a photo counts as one) at {s['fps']} fps{eta}")
    for f in s["failures"]:
        click.echo(f"  failed: {f['error']}")
    return 0
