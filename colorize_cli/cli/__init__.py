"""The `colorize` command: a click group, one module per command. The CLI only parses;
the work is done by colorize_cli.api."""
from __future__ import annotations

import signal
import sys
import threading

import click

from colorize_cli.errors import ColorizeError

from .group import cli


def _register() -> None:
    from . import bench, doctor, edit, engines, evaluate, models, preview, run, status  # noqa: F401


_interrupted = threading.Event()


def _interrupt(signum, frame):
    _interrupted.set()       # a library may turn the KeyboardInterrupt into its own error (an
    raise KeyboardInterrupt  # extension module's import fails): the exit still says interrupted


def main(argv: list[str] | None = None) -> int:
    import warnings

    # a library's warnings (Pillow's "possibly corrupt EXIF", ...) are not lines a user can act on;
    # what matters about a file reaches the user as its item's error or note
    warnings.filterwarnings("ignore", module="PIL")
    try:
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, _interrupt)  # clean up partial files on `kill` as on Ctrl-C
            # and when the terminal or SSH session goes away (unless ignored: `nohup colorize ...`)
            if hasattr(signal, "SIGHUP") and signal.getsignal(signal.SIGHUP) is signal.SIG_DFL:
                signal.signal(signal.SIGHUP, _interrupt)
            if signal.getsignal(signal.SIGINT) is signal.default_int_handler:   # Ctrl-C: the same, flagged
                signal.signal(signal.SIGINT, _interrupt)
        _register()   # inside the try: Ctrl-C while importing is an interrupt too, not a traceback
        rv = cli.main(args=argv, prog_name="colorize", standalone_mode=False)
        return rv if isinstance(rv, int) else 0
    except click.exceptions.Abort:
        click.echo("interrupted", err=True)
        return 130
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        return 130
    except click.UsageError as e:   # one line, like every other usage error
        where = f" (see `{e.ctx.command_path} --help`)" if e.ctx is not None else ""
        click.echo(f"error: {e.format_message()}{where}", err=True)
        return e.exit_code
    except click.ClickException as e:
        e.show()
        return e.exit_code
    except click.exceptions.Exit as e:
        return e.exit_code
    except ColorizeError as e:
        if _interrupted.is_set():
            click.echo("interrupted", err=True)
            return 130
        click.echo(f"error: {e}", err=True)
        return e.exit_code


def entry() -> None:
    try:
        code = main()
    except KeyboardInterrupt:   # between handlers (start-up, shutdown)
        print("interrupted", file=sys.stderr)
        code = 130
    sys.exit(code)
