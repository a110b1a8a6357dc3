import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("COLORIZE_SHARED", ROOT.parent / "shared")) / "data"
sys.path.insert(0, str(Path(__file__).parent))


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


def run_cli(*args, cwd=None, timeout=300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "colorize_cli", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd, timeout=timeout)


@pytest.fixture
def cli():
    return run_cli
