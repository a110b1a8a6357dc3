"""How many CPU threads colorize may use, and applying that budget to every library that spawns.

Default: the cores this process may run on (the CPU affinity mask, e.g. `taskset`, cgroups via
the scheduler), lowered by OMP_NUM_THREADS when that is set. The same number goes to PyTorch's
intra-op pool, OpenCV and ONNX Runtime; ONNX Runtime is told not to spin-wait, so idle workers
sleep instead of stealing a busy machine's cores from the decode and encode threads.

While a film runs, its decode, infer and encode threads work at the same time. The network keeps
the whole budget, as lanes: on the CPU engine (ONNX Runtime) as many batches run at once as there
are threads, each on a single thread (`Engine.lanes`), rather than one batch with every layer split
over the cores; a lane never waits at a layer for a core that the decode or encode thread has taken.
The OpenCV work beside it (chroma planes, optical flow) runs on one thread (`film_stages`), since
splitting it further only takes cores from the network. Measured with `colorize bench`: see the
README.
"""
from __future__ import annotations

import contextlib
import os


def available_cores() -> int:
    try:
        n = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        n = os.cpu_count() or 1
    omp = os.environ.get("OMP_NUM_THREADS", "").strip()
    if omp.isdigit() and int(omp) > 0:
        n = min(n, int(omp))
    return max(1, n)


def apply(threads: int | None = None) -> int:
    """Set torch (where installed) and OpenCV to `threads` (default available_cores()); returns
    the number used."""
    import sys

    n = threads or available_cores()
    torch = sys.modules.get("torch")    # only a torch already imported (a torch engine's) is set
    if torch is not None and torch.get_num_threads() != n:
        torch.set_num_threads(n)
    try:
        import cv2
        cv2.setNumThreads(n)
    except ImportError:
        pass
    return n


def ort_options(threads: int):
    """ONNX Runtime session options: `threads` intra-op, one inter-op, no spin-waiting."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.log_severity_level = 3     # errors only: its notes (unused initializers dropped) are not the user's
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    opts.add_session_config_entry("session.inter_op.allow_spinning", "0")
    # the shipped graphs hold int8 weights behind DequantizeLinear: fold them to float once, at
    # load (by default ORT keeps them for QDQ fusion and would dequantize on every run)
    opts.add_session_config_entry("session.disable_quant_qdq", "1")
    return opts


@contextlib.contextmanager
def film_stages():
    """OpenCV single-threaded while a film's stage threads run beside the network; restored after."""
    try:
        import cv2
    except ImportError:
        yield
        return
    before = cv2.getNumThreads()
    cv2.setNumThreads(1)
    try:
        yield
    finally:
        cv2.setNumThreads(before)
