"""The frame processor between a film's decoder and its encoder (after video2x's Decoder ->
Processor -> Encoder): `FrameColorizer.predict(batch)` runs in the infer thread (or one of the
engine's lanes), `planes(handle, i)` in the encode thread.

Every engine takes the same path, so the film pipeline never asks which device it runs on:

  predict   Y' codes -> L at the chroma sites (colour.luma) -> the network's input -> the engine
            (on its own device; `Engine.lanes()` says how many batches may run at once) -> the small
            ab, brought to the host once per batch
  planes    on a batch's first frame: film hints, temporal smoothing (in order) and saturation for
            the whole batch; then per frame the colour module's Cb/Cr planes (buffers kept per film)

A new engine touches its own file, the engine map (`engines.BACKENDS`) and nothing here.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from colorize_cli.clock import stage_clock
from colorize_cli.colour import ChromaPlanes, L_at, L_table, luma_to_L, sites_from_codes
from colorize_cli.pipeline.predict import ChromaPredictor


def network_input(ys: list, bits: int, full_range: bool, chroma_hw: tuple[int, int],
                  predictor: ChromaPredictor) -> tuple[np.ndarray, np.ndarray]:
    """Y' planes (N of (H, W), uint8/uint16) -> (L at the chroma sites (N, ch, cw) float32, the
    network's input (N, 1, h, w)).

    L is taken once at full resolution (a table per Y' code) and averaged to the chroma sites; the
    network's input is shrunk from that half-size L (from the full-resolution L only for a film so
    small that the network sees more than the chroma sites hold).
    """
    ch, cw = chroma_hw
    H, W = ys[0].shape
    shape = predictor.render_shape(H, W)
    from_full = shape[0] > ch or shape[1] > cw
    L_c = np.empty((len(ys), ch, cw), np.float32)
    L = np.empty((len(ys), H, W), np.float32) if from_full else None
    sites = None if from_full else sites_from_codes(H, W, chroma_hw)
    table = L_table(bits, full_range)
    for i, y in enumerate(ys):
        if sites is not None:
            sites(y, table, ch < H, L_c[i])
            continue
        Li = luma_to_L(y, bits, full_range)
        L_c[i] = L_at(Li, chroma_hw)
        if from_full:
            L[i] = Li
    return L_c, predictor.shrink((L if from_full else L_c)[:, None], shape)


@dataclass
class Batch:
    """A batch between predict and planes: L at the chroma sites, the network's input and its ab
    (smoothed in place by the first planes call), the frames' pts."""
    L_c: np.ndarray
    small: np.ndarray
    ab: np.ndarray
    pts: list
    smoothed: bool = False


class FrameColorizer:
    """One film's processor: built once where the film starts, from its first frame's tags."""

    def __init__(self, predictor: ChromaPredictor, tags, chroma_hw: tuple[int, int], smoother=None,
                 saturation: float = 1.0, hinter=None):
        self.predictor, self.tags, self.chroma_hw = predictor, tags, chroma_hw
        self.smoother, self.saturation, self.hinter = smoother, saturation, hinter
        self.make = ChromaPlanes(tags.matrix, tags.bits, tags.full_range)   # the encode thread's buffers
        self.cuts = 0

    def lanes(self) -> list:
        """Callables that may run the network at the same time from different threads."""
        return self.predictor.engine.lanes()

    def predict(self, ys: list, pts: list, lane=None, times: dict | None = None) -> Batch:
        """Y' planes (N of (H, W)) -> a Batch; times gets "chroma" (the input) and "network"."""
        with stage_clock(times, "chroma"):
            L_c, small = network_input(ys, self.tags.bits, self.tags.full_range, self.chroma_hw, self.predictor)
        with stage_clock(times, "network"):
            ab = (lane or self.predictor.engine.infer)(small)
        return Batch(L_c, small, ab, pts)

    def planes(self, batch: Batch, i: int, times: dict | None = None) -> np.ndarray:
        """Cb/Cr (2, ch, cw) codes of frame i of the batch, valid until the next call."""
        self.smooth(batch, times)
        with stage_clock(times, "chroma"):
            return self.make(batch.L_c[i], batch.ab[i])

    def smooth(self, batch: Batch, times: dict | None = None) -> None:
        """Hints (by pts), then temporal smoothing, then saturation: the whole batch in order,
        warm-up frames included, once (before any of its frames is made)."""
        if batch.smoothed:
            return
        with stage_clock(times, "smooth" if self.smoother is not None else "chroma"):
            batch.ab = self._smoothed(batch)
        batch.smoothed = True

    def _smoothed(self, batch: Batch) -> np.ndarray:
        ab = batch.ab
        if self.hinter is not None:
            ab = self.hinter(batch.small, ab, batch.pts)
        if self.smoother is not None:
            before = self.smoother.cuts
            ab = self.smoother(batch.small, ab)
            self.cuts += self.smoother.cuts - before
        return ab * np.float32(self.saturation) if self.saturation != 1.0 else ab
