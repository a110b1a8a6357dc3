"""Options and output helpers shared by commands."""
from __future__ import annotations

import json
import sys

import click
from rich.console import Console

err_console = Console(stderr=True, highlight=False)


def model_option(default: str | None = None):
    from colorize_cli.api import DEFAULT_MODEL

    return click.option("--model", "-m", default=default or DEFAULT_MODEL, show_default=True,
                        help="model name (see `colorize models`)")


engine_option = click.option("--engine", default="auto", show_default=True,
                             type=click.Choice(["auto", "tensorrt", "cuda", "cpu"]),
                             help="inference back end")


def print_json(obj) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def show_progress() -> bool:
    return sys.stderr.isatty()
