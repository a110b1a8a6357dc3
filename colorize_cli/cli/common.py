"""Options and output helpers shared by commands. Command-line options are made from the
fields of colorize_cli.options (flag, help, type, choices), so each is declared once."""
from __future__ import annotations

import json
import sys

import click
from rich.console import Console

err_console = Console(stderr=True, highlight=False)


def data_stream():
    """Where data goes: stdout, even while a library (Ray) has stdout redirected to stderr."""
    return sys.__stdout__ if sys.stdout is sys.stderr else sys.stdout


def options_of(cls, only: tuple | None = None, defaults: dict | None = None):
    """A decorator adding a click option for each field of the options class `cls` (or those in
    `only`). Values are parsed by type here and validated by `cls` itself; a value left out is
    the field's default (click passes None, dropped by `make`)."""
    from colorize_cli.options import cli_fields

    defaults = defaults or {}

    def decorate(fn):
        for f in reversed(cli_fields(cls)):
            if only is not None and f.name not in only:
                continue
            m = f.metadata
            decls = [m["flag"] or "--" + f.name.replace("_", "-")] + ([m["short"]] if m["short"] else [])
            if m["type"] is bool:
                fn = click.option(*decls, f.name, is_flag=True, default=None, help=m["help"])(fn)
                continue
            ptype = click.Choice(m["choices"]) if m["choices"] else m["type"]
            fn = click.option(*decls, f.name, type=ptype, default=defaults.get(f.name), help=m["help"],
                              metavar=None if m["choices"] else m["metavar"])(fn)
        return fn
    return decorate


def make(cls, kwargs: dict):
    """An options object from the command's keyword arguments (those that belong to `cls`,
    popped); unset ones keep the class's default."""
    from dataclasses import fields

    names = {f.name for f in fields(cls)}
    given = {k: kwargs.pop(k) for k in list(kwargs) if k in names}
    return cls(**{k: v for k, v in given.items() if v is not None})


def model_options(only=("model", "engine", "weights", "batch_size", "render_size", "threads"), defaults=None):
    from colorize_cli.options import ModelOptions

    return options_of(ModelOptions, only, defaults)


def run_options(only=None):
    from colorize_cli.options import RunOptions

    return options_of(RunOptions, only)


def print_json(obj) -> None:
    out = data_stream()
    out.write(json.dumps(obj) + "\n")
    out.flush()


def show_progress() -> bool:
    return sys.stderr.isatty()
