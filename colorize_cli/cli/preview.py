"""`colorize preview`: a contact sheet (gray | colorized) to judge a model in seconds."""
from __future__ import annotations

import click

from .group import cli
from .common import make, model_options


@cli.command()
@click.argument("input")
@click.option("-o", "--output", required=True, help="contact sheet to write (.png, .jpg or .webp)")
@click.option("--overwrite", is_flag=True, help="replace an existing file (never the input)")
@click.option("--frames", default=8, show_default=True, type=click.IntRange(1, 64))
@model_options(only=("model", "engine", "weights", "render_size"))
@click.option("--width", default=384, show_default=True, type=click.IntRange(16, 4096),
              help="width of each thumbnail")
def preview(input, output, frames, width, overwrite, **kw):
    """Sample frames across a film (or the first photos of a folder); write gray beside colour."""
    from colorize_cli.api import Colorizer, ModelOptions
    from colorize_cli.tools.preview import check_sheet_output, contact_sheet, sample_images

    fmt = check_sheet_output(input, output, overwrite)      # before any model or file is opened
    options = make(ModelOptions, kw)
    labels: list = []
    images = sample_images(input, frames, labels)
    cz = Colorizer(options=options)
    pairs = [(img, cz.colorize_array(img)) for img in images]
    contact_sheet(pairs, output, width, fmt, overwrite, labels, cz.spec.name)
    click.echo(output)
    return 0
