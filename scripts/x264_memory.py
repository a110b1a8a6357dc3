"""Peak RSS of PyAV's libx264 encoding a 2-second 1080p film, for x264 options given as KEY=VALUE.

    python3 scripts/x264_memory.py                    # the preset's own look-ahead (medium: 40)
    python3 scripts/x264_memory.py rc-lookahead=20

Used to choose io.video.LOOKAHEAD_BYTES: the encoder's look-ahead is most of a film run's memory.
"""
import resource
import sys

import av
import numpy as np

opts = dict(a.split("=", 1) for a in sys.argv[1:])
rng = np.random.default_rng(0)
big = np.kron(rng.integers(0, 255, (1080 // 8, 1920 // 8 + 60), dtype=np.uint8), np.ones((8, 8), np.uint8))
with av.open("/dev/null", "w", format="mp4") as out:
    v = out.add_stream("libx264", rate=24)
    v.width, v.height, v.pix_fmt = 1920, 1080, "yuv420p"
    v.options = {"crf": "18", "preset": "medium", **opts}
    for i in range(48):
        y = big[:, i * 8:i * 8 + 1920]
        for p in v.encode(av.VideoFrame.from_ndarray(np.stack([y, y, y], -1), format="rgb24")):
            out.mux(p)
    for p in v.encode():
        out.mux(p)
print(opts or "preset's own", f"peak {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MB")
