"""Hints on a film's frames, carried through their shot: a pass over the film before colorizing.

A point given on frame k applies to every frame of k's shot, forward and backward, at the place
the motion takes it: points are tracked frame to frame with pyramidal Lucas-Kanade optical flow
on the luma (short side TRACK_SIZE), and a point whose forward-backward error exceeds FB_TOL
pixels (occluded, or leaving the frame) stops there. Shots end at the scene cuts the smoother
detects (the same luma-histogram rule, pipeline.temporal). Several hinted frames in one shot
combine: each frame takes every point that reaches it. The result is keyed by the frame's pts,
so a segment of a film finds the same hints as a continuous run.
"""
from __future__ import annotations

from pathlib import Path

import av
import numpy as np

from colorize_cli.errors import MediaError
from colorize_cli.hints import Hints, Point

TRACK_SIZE = 240
FB_TOL = 1.5          # pixels at the tracking size


def tracking_frame(gray: np.ndarray) -> np.ndarray:
    """A decoded frame's gray plane (H, W) uint8 at the tracking size (short side TRACK_SIZE)."""
    import cv2

    H, W = gray.shape
    k = min(1.0, TRACK_SIZE / min(H, W))
    return cv2.resize(gray, (max(1, round(W * k)), max(1, round(H * k))), interpolation=cv2.INTER_AREA)


def small_frames(path: Path):
    """(pts, time, gray uint8 at the tracking size, full width, full height) per frame, in order."""
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        s.thread_type = "AUTO"
        for f in c.decode(s):
            g = f.to_ndarray(format="gray")
            H, W = g.shape
            yield f.pts, (float(f.time) if f.time is not None else None), tracking_frame(g), W, H


def is_cut(prev: np.ndarray | None, cur: np.ndarray) -> bool:
    """The smoother's cut rule (pipeline.temporal.histograms_cut) on gray uint8 frames."""
    from colorize_cli.pipeline.temporal import histograms_cut, luma_histogram

    def hist(g):
        return luma_histogram(g.astype(np.float32) * (100 / 255))
    return histograms_cut(None if prev is None else hist(prev), hist(cur))


def _track(frames: list[np.ndarray], start: int, pts0: np.ndarray, step: int) -> list[tuple[int, np.ndarray, np.ndarray]]:
    """Points (N, 2) at frame `start`, tracked towards step (+1 / -1) within `frames`:
    [(frame index, positions, alive mask)] for every frame reached (start included)."""
    import cv2

    out = [(start, pts0.copy(), np.ones(len(pts0), bool))]
    pos, alive = pts0.astype(np.float32).reshape(-1, 1, 2), np.ones(len(pts0), bool)
    i = start
    lk = dict(winSize=(21, 21), maxLevel=3, criteria=(cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 30, 0.01))
    while 0 <= i + step < len(frames) and alive.any():
        a, b = frames[i], frames[i + step]
        nxt, st, _ = cv2.calcOpticalFlowPyrLK(a, b, pos, None, **lk)
        back, st2, _ = cv2.calcOpticalFlowPyrLK(b, a, nxt, None, **lk)
        fb = np.linalg.norm((back - pos).reshape(-1, 2), axis=1)
        h, w = b.shape
        p = nxt.reshape(-1, 2)
        inside = (p[:, 0] >= 0) & (p[:, 0] < w) & (p[:, 1] >= 0) & (p[:, 1] < h)
        alive = alive & (st.ravel() == 1) & (st2.ravel() == 1) & (fb < FB_TOL) & inside
        pos = nxt
        i += step
        out.append((i, p.copy(), alive.copy()))
    return out


_CACHE: dict = {}     # (path, size, mtime, digest) -> track(): the segments of one film share it


def track(path: Path, hints: Hints) -> dict[int, list[Point]]:
    """pts -> the points that apply to that frame (full-resolution pixels); computed once per
    film and hint file in a process (a segmented film's segments share it)."""
    st = Path(path).stat()
    key = (str(path), st.st_size, st.st_mtime_ns, hints.digest)
    if key not in _CACHE:
        if len(_CACHE) >= 4:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = _track_film(Path(path), hints)
    return _CACHE[key]


def _track_film(path: Path, hints: Hints) -> dict[int, list[Point]]:
    """Pass 1 finds the shots; each hint is placed on its frame; pass 2 keeps the pixels of the
    hinted shots only; each hint is then followed through its shot, forward and backward."""
    if not hints.frames:
        return {}
    shots, size = _shots(path)
    if size is None:
        return {}
    return follow_hints(shots, size, hints, lambda order, needed: _keep_pixels(path, shots, order, needed))


def follow_hints(shots: list, size: tuple, hints: Hints, keep_pixels) -> dict[int, list[Point]]:
    """pts -> points, for shots of (pts, time, None) entries: keep_pixels(order, needed shots)
    fills in the tracking-size frames of the shots that hold a hint (the hint editor keeps its
    own copy of them and passes its own)."""
    order = [(si, fi) for si, shot in enumerate(shots) for fi in range(len(shot))]
    placed = [(*_place(key, shots, order, hints), points) for key, points in hints.frames.items()]
    keep_pixels(order, {si for si, _, _ in placed})
    result: dict[int, list[Point]] = {}
    for si, fi, points in placed:
        _follow(shots[si], fi, points, size, result)
    return result


def _shots(path: Path) -> tuple[list[list], tuple | None]:
    """The film's shots, each a list of (pts, time, None) (pixels come in pass 2), and its size."""
    shots: list[list] = []
    prev = size = None
    try:
        for pts, t, small, W, H in small_frames(path):
            size = (W, H)
            if is_cut(prev, small):
                shots.append([])
            shots[-1].append((pts, t, None))
            prev = small
    except av.FFmpegError as e:
        raise MediaError(f"{path}: cannot read the film to place its hints ({e})") from None
    return shots, size


def _place(key, shots: list, order: list, hints: Hints) -> tuple[int, int]:
    """(shot, frame in the shot) of a hint's key: a frame index, or "t=SECONDS" (the frame shown then)."""
    if isinstance(key, int):
        if key >= len(order):
            raise MediaError(f"{hints.source}: frame {key} is beyond the film's {len(order)} frames")
        return order[key]
    _, si, fi = min((abs((t or 0) - key), si, fi) for si, shot in enumerate(shots)
                    for fi, (_, t, _) in enumerate(shot))
    return si, fi


def _keep_pixels(path: Path, shots: list, order: list, needed: set) -> None:
    """Pass 2: the small grey frames of the hinted shots, in place in `shots`."""
    for n, (pts, t, small, _, _) in enumerate(small_frames(path)):
        if n >= len(order):
            break
        si, fi = order[n]
        if si in needed:
            shots[si][fi] = (pts, t, small)


def _follow(shot: list, fi: int, points: list, size: tuple, result: dict) -> None:
    """The points of frame fi tracked through their shot both ways, added to result by pts."""
    W, H = size
    small = [s for _, _, s in shot]
    h, w = small[0].shape
    sx, sy = w / W, h / H
    start = np.array([[(p.x + 0.5) * sx - 0.5, (p.y + 0.5) * sy - 0.5] for p in points], np.float32)
    for step in (1, -1):
        for i, pos, alive in _track(small, fi, start, step):
            here = result.setdefault(shot[i][0], [])
            for p, (x, y), ok in zip(points, pos, alive):
                if ok:
                    here.append(Point((x + 0.5) / sx - 0.5, (y + 0.5) / sy - 0.5, p.rgb, p.radius))
    pts0 = shot[fi][0]       # the hinted frame itself was added twice (forward and backward): once
    result[pts0] = result[pts0][: len(result[pts0]) - len(points)]


class FilmHinter:
    """Applies tracked hints to a batch of predicted ab at the network's size, by frame pts."""

    def __init__(self, by_pts: dict[int, list[Point]], width: int, height: int, source: Hints):
        self.by_pts, self.width, self.height, self.source = by_pts, width, height, source

    def __call__(self, L_small: np.ndarray, ab: np.ndarray, pts: list) -> np.ndarray:
        from colorize_cli.hints import draw, hint_ab
        from colorize_cli.pipeline.hints import apply_hints

        if not any(p in self.by_pts for p in pts):
            return ab
        out = ab.copy()
        h, w = ab.shape[-2:]
        for i, p in enumerate(pts):
            points = self.by_pts.get(p)
            if not points:
                continue
            rgb, weight = draw(self.source, self.width, self.height, w, h, points=points)
            out[i] = apply_hints(np.ascontiguousarray(L_small[i, 0]), ab[i], hint_ab(rgb, weight), weight)
        return out
