"""Options and output helpers shared by commands."""
from __future__ import annotations

import json
import sys

import click
from rich.console import Console

err_console = Console(stderr=True, highlight=False)
DATA = sys.stdout  # data goes here even while a library (Ray) has stdout redirected to stderr


def model_option(default: str | None = None):
    from colorize_cli.api import DEFAULT_MODEL

    return click.option("--model", "-m", default=default or DEFAULT_MODEL, show_default=True,
                        help="model name (see `colorize models`)")


engine_option = click.option("--engine", default="auto", show_default=True,
                             type=click.Choice(["auto", "tensorrt", "cuda", "cpu"]),
                             help="inference back end")


def print_json(obj) -> None:
    DATA.write(json.dumps(obj) + "\n")
    DATA.flush()


def show_progress() -> bool:
    return sys.stderr.isatty()
