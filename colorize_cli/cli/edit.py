"""`colorize edit`: the hint editor in the browser (colorize_cli.editor)."""
from __future__ import annotations

import os
import sys

import click

from .common import make, model_options
from .group import cli


@cli.command()
@click.argument("inputs", nargs=-1, required=True)
@click.option("-o", "--output", help="the -o of the run that will apply the hints (hint files are named "
                                     "after its outputs); default: as `colorize run`")
@click.option("--hints", "hints_dir", metavar="DIR",
              help="folder the hint files are saved in (default: <input folder>.hints beside it)")
@model_options(only=("model", "engine", "weights", "render_size", "threads"))
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default="a free port",
              help="port on 127.0.0.1")
@click.option("--no-browser", is_flag=True, help="only print the address (on a server: forward the port over SSH)")
def edit(inputs, output, hints_dir, port, no_browser, **kw):
    """Place colour hints on photos and film frames in the browser; save them for `colorize run --hints`.

    Serves one local page (127.0.0.1, with a token in its address) for the inputs given: click a
    spot of the gray picture, pick its colour, see the result at once; Save writes the hint files
    that `colorize run INPUTS --hints DIR` applies. Ctrl-C stops it.
    """
    from colorize_cli.editor.app import open_editor
    from colorize_cli.options import ModelOptions

    server = open_editor(inputs, output, hints_dir, make(ModelOptions, kw), port)   # usage errors first
    try:
        folder = server.folder
        click.echo(f"colorize edit: {len(folder.items)} input(s); hints are saved in {folder.dir}", err=True)
        click.echo(f"apply them with: {folder.command()}", err=True)
        click.echo(server.url)
        click.echo("open the address above in a browser; Ctrl-C stops", err=True)
        sys.stdout.flush()
        if not no_browser and _has_display():
            import webbrowser

            webbrowser.open(server.url)
        server.serve_forever()
    except KeyboardInterrupt:
        click.echo("stopped", err=True)
    finally:
        server.close()
    return 0


def _has_display() -> bool:
    return sys.platform in ("darwin", "win32") or bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
