"""The `colorize` click group; each command module adds itself to it."""
from __future__ import annotations

import click

from colorize_cli.version import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="colorize")
def cli() -> None:
    """Colorize black-and-white films and photo archives."""
