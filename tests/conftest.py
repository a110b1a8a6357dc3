import atexit
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("COLORIZE_SHARED", ROOT.parent / "shared")) / "data"
sys.path.insert(0, str(Path(__file__).parent))

# The tests never see this machine's cache: a model installed there (a trained eccv16 in
# ~/.cache/colorize/models) would turn a "trainable" model into a runnable one, and its speed
# history would change estimates. One empty folder for the session; CLI children inherit it.
os.environ["COLORIZE_CACHE"] = tempfile.mkdtemp(prefix="colorize-tests-cache-")
atexit.register(shutil.rmtree, os.environ["COLORIZE_CACHE"], True)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"shared data not found at {SHARED}")
    return SHARED


@pytest.fixture(scope="session")
def random_weights(tmp_path_factory) -> Path:
    """A random-weight baseline-cnn: for tests where the colours do not matter."""
    import torch

    from colorize_cli.models import create_model, save_weights

    torch.manual_seed(0)
    net = create_model("baseline-cnn", weights=None).net
    path = tmp_path_factory.mktemp("weights") / "random.safetensors"
    save_weights(net, path, {"model": "baseline-cnn", "note": "random, tests only"})
    return path


def default_signals() -> None:
    """preexec_fn for children that are sent SIGINT: a shell that starts pytest in the
    background (no job control) makes SIGINT ignored, the children would inherit that, and
    Python never installs its KeyboardInterrupt handler over an ignored signal."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGHUP, signal.SIG_DFL)   # CI may run the tests under nohup


def run_cli(*args, cwd=None, timeout=300) -> subprocess.CompletedProcess:
    """`colorize ARGS` in a fresh process: for what a process adds (signals, kills, start-up,
    environment, concurrency)."""
    return subprocess.run([sys.executable, "-m", "colorize_cli", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd, timeout=timeout)


def run_cli_here(*args, cwd=None, timeout=None) -> subprocess.CompletedProcess:
    """`colorize ARGS` in this process (the same `main` the command runs): no start-up cost.
    stdout and stderr are captured as the command writes them; the exit code is main's."""
    import contextlib
    import io

    from colorize_cli.cli import main

    out, err = io.StringIO(), io.StringIO()
    old = os.getcwd()
    try:
        if cwd is not None:
            os.chdir(cwd)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main([str(a) for a in args])
            except SystemExit as e:
                code = e.code if isinstance(e.code, int) else 1
            except Exception:   # what the console script would print as a traceback
                import traceback

                traceback.print_exc()
                code = 1
    finally:
        os.chdir(old)
    return subprocess.CompletedProcess(["colorize", *map(str, args)], code, out.getvalue(), err.getvalue())


@pytest.fixture
def cli():
    return run_cli_here
