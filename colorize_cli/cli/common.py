"""Options and output helpers shared by commands."""
from __future__ import annotations

import json
import sys

import click
from rich.console import Console

err_console = Console(stderr=True, highlight=False)
DATA = sys.stdout  # data goes here even while a library (Ray) has stdout redirected to stderr


def model_option(default: str | None = None):
    """--model; when not given: the model named by --weights' card, else the default model."""
    from colorize_cli.api import DEFAULT_MODEL

    return click.option("--model", "-m", default=default, show_default=False,
                        help=f"model name (see `colorize models`) [default: the model of --weights' card, "
                             f"else {DEFAULT_MODEL}]")


engine_option = click.option("--engine", default="auto", show_default=True,
                             type=click.Choice(["auto", "tensorrt", "cuda", "cpu"]),
                             help="inference back end")


def print_json(obj) -> None:
    DATA.write(json.dumps(obj) + "\n")
    DATA.flush()


def show_progress() -> bool:
    return sys.stderr.isatty()
