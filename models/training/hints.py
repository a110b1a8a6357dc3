"""Training lite-unet's hint channels (models.hint_lite): random true-colour points sampled from
each training crop (Zhang et al. 2017), the automatic network frozen, resumable in steps.

- Points per crop: geometric with p = 1/8, clipped to 1..30 (mean about 8); positions uniform;
  each a disc of radius 1-3 px coloured with the truth's mean ab over its box (the eval's hints
  are discs of radius 3 at 256 px with the truth's 7x7 mean colour).
- Loss: L1 between the hinted ab and the truth's, at the crop's size; only the hint head trains
  (the automatic network runs without gradients).
- Schedule and data order depend on the step only (campaign.lr_factor, campaign.step_generator),
  so a resumed run follows the same curve; a checkpoint every `checkpoint_steps`.
"""
from __future__ import annotations

import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
import torch.nn.functional as F

from colorize_cli.colorspace import rgb_to_lab

from .campaign import CampaignConfig, lr_factor, step_generator
from .data import random_batch
from ..hint_lite import HintLiteUNet


@dataclass
class HintConfig:
    size: int = 224
    batch: int = 16
    total_steps: int = 4000
    warmup_steps: int = 50
    lr: float = 3e-4
    max_points: int = 30
    p_points: float = 1 / 8
    checkpoint_steps: int = 50
    seed: int = 1
    cached: int = 0       # > 0: the automatic network's outputs for this many centre crops, computed
                          # once (fp16 in memory); each step then trains the head alone on them


def sample_hints(ab: torch.Tensor, gen: torch.Generator, cfg: HintConfig) -> torch.Tensor:
    """Hint maps (N, 3, H, W) for true ab / 110 (N, 2, H, W): a, b where hinted, then the mask."""
    n, _, h, w = ab.shape
    out = torch.zeros(n, 3, h, w)
    u = torch.rand(n, generator=gen).clamp_min(1e-6)
    counts = (torch.log(u) / torch.log(torch.tensor(1 - cfg.p_points))).floor().long() + 1
    yy, xx = torch.meshgrid(torch.arange(7) - 3, torch.arange(7) - 3, indexing="ij")
    for i in range(n):
        for _ in range(int(counts[i].clamp(1, cfg.max_points))):
            r = int(torch.randint(1, 4, (1,), generator=gen))
            y = int(torch.randint(r, h - r, (1,), generator=gen))
            x = int(torch.randint(r, w - r, (1,), generator=gen))
            box = ab[i, :, y - r:y + r + 1, x - r:x + r + 1]
            colour = box.mean((1, 2))
            disc = ((yy ** 2 + xx ** 2) <= r * r)[3 - r:4 + r, 3 - r:4 + r]
            for c in range(2):
                out[i, c, y - r:y + r + 1, x - r:x + r + 1][disc] = colour[c]
            out[i, 2, y - r:y + r + 1, x - r:x + r + 1][disc] = 1.0
    return out


class HintTrainer:
    def __init__(self, net: HintLiteUNet, images: torch.Tensor, folder: str | Path, cfg: HintConfig, say=print):
        self.net, self.images, self.cfg, self.say = net, images, cfg, say
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        for p in net.base.parameters():
            p.requires_grad_(False)
        self.opt = torch.optim.AdamW(net.head.parameters(), lr=cfg.lr, weight_decay=1e-4)
        self.base_lrs = [cfg.lr]
        self.sched = CampaignConfig(warmup_steps=cfg.warmup_steps)
        self.step, self.seconds = 0, 0.0
        ck = self.folder / "hints.ckpt"
        if ck.is_file():
            state = torch.load(ck, weights_only=False)
            net.load_state_dict(state["model"])
            self.opt.load_state_dict(state["opt"])
            self.step, self.seconds = state["step"], state["seconds"]
            say(f"resumed {ck} at step {self.step}")

    def save(self) -> None:
        ck = self.folder / "hints.ckpt"
        tmp = ck.with_name(ck.name + ".tmp")
        torch.save({"model": self.net.state_dict(), "opt": self.opt.state_dict(), "step": self.step,
                    "seconds": self.seconds, "config": asdict(self.cfg)}, tmp)
        os.replace(tmp, ck)

    def train_step(self) -> dict:
        cfg = self.cfg
        self.net.eval()
        self.net.head.train()
        f = lr_factor(self.step, self.sched, cfg.total_steps)
        for g, lr in zip(self.opt.param_groups, self.base_lrs):
            g["lr"] = lr * f
        gen = step_generator(cfg.seed, self.step)
        if cfg.cached:
            x, auto, h4, ab = self._cached_batch(gen)
        else:
            rgb = random_batch(self.images, cfg.batch, cfg.size, gen)
            lab = rgb_to_lab(rgb)
            x, ab = lab[:, :1] / 100, lab[:, 1:] / 110
            with torch.no_grad():
                auto, h4 = self.net.automatic(x)
        hint = sample_hints(ab, gen, cfg)
        loss = F.l1_loss(self.net.hinted(x, hint, auto, h4), ab)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        self.step += 1
        return {"loss": float(loss.detach()), "auto_l1": float(F.l1_loss(auto, ab)), "lr_factor": f}

    def _cached_batch(self, gen: torch.Generator):
        if not hasattr(self, "cache"):
            self.cache = self._build_cache()
        idx = torch.randint(len(self.cache[0]), (self.cfg.batch,), generator=gen)
        return tuple(t[idx].float() for t in self.cache)

    def _build_cache(self):
        """(L / 100, automatic ab / 110, decoder /4 features, true ab / 110) of the first
        `cached` images' centre crops, fp16."""
        cfg = self.cfg
        n, _, h, w = self.images.shape
        y0, x0 = (h - cfg.size) // 2, (w - cfg.size) // 2
        parts = [[], [], [], []]
        t = time.time()
        for i in range(0, min(n, cfg.cached), 32):
            rgb = self.images[i:i + 32, :, y0:y0 + cfg.size, x0:x0 + cfg.size].float() / 255
            lab = rgb_to_lab(rgb)
            x, ab = lab[:, :1] / 100, lab[:, 1:] / 110
            with torch.no_grad():
                auto, h4 = self.net.automatic(x)
            for store, v in zip(parts, (x, auto, h4, ab)):
                store.append(v.half())
        self.say(f"cached {min(n, cfg.cached)} crops in {time.time() - t:.0f} s")
        return tuple(torch.cat(v) for v in parts)

    def run(self, stop: int, on_checkpoint=None) -> None:
        while self.step < stop:
            t = time.perf_counter()
            parts = self.train_step()
            self.seconds += time.perf_counter() - t
            if self.step % self.cfg.checkpoint_steps == 0 or self.step >= stop:
                self.save()
                self.say(f"step={self.step} hours={self.seconds / 3600:.3f} " +
                         " ".join(f"{k}={v:.4g}" for k, v in parts.items()))
                if on_checkpoint:
                    on_checkpoint(self)
