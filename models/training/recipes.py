"""Training recipes for every model in the registry (used by scripts/train.py).

Regression models: MSE or L1 on ab (or RGB). GAN models: pix2pix, cGAN + 100 * L1 with a
70x70 PatchGAN, optionally after an L1-only pretraining stage. eccv16: its own
class-rebalanced cross-entropy over 313 ab bins.
"""
from __future__ import annotations

import csv
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F

from colorize_cli.colorspace import rgb_to_lab

from .data import load_dataset, random_batch
from .patchgan import patchgan
from ..registry import ABPredictor, ModelSpec, create_model, save_weights


@dataclass
class TrainConfig:
    steps: int = 1000
    minutes: float | None = None     # stop after this wall time, whichever comes first
    batch: int | None = None          # default: the recipe's
    lr: float | None = None
    size: int | None = None           # crop size; default: the model's input size
    stage: str = "auto"               # auto | pretrain | gan | regress
    eval_every: int = 100
    seed: int = 0
    device: str = "cpu"


@dataclass(frozen=True)
class Recipe:
    """How the seed papers train a model (inference never reads this)."""
    loss: str = "mse"           # "mse", "l1", or "model" (the net's own .loss, e.g. eccv16)
    gan: bool = False           # a 70x70 PatchGAN + 100 * L1 (pix2pix)
    pretrain_l1: bool = False   # GAN models only: first the generator with L1 alone
    params: dict = field(default_factory=dict)   # lr, betas, batch, lr_drop (fraction of steps)


_PIX2PIX = Recipe("l1", gan=True)
RECIPES = {
    "lite-unet": Recipe("l1"), "lite-unet-lite1": Recipe("l1"), "lite-unet-lite2": Recipe("l1"),
    "baseline-cnn": Recipe("mse", params={"lr": 1e-3, "batch": 32, "lr_drop": 2 / 3}),
    "conv11": Recipe("l1"),
    "pix2pix-mobilenet": _PIX2PIX, "pix2pix-mobilenet-rgb": _PIX2PIX,
    "pix2pix-densenet": _PIX2PIX, "pix2pix-densenet-rgb": _PIX2PIX,
    "resnet18-unet": Recipe("l1", gan=True, pretrain_l1=True),
    "densenet-regression": Recipe("mse"),
    "eccv16": Recipe("model", params={"lr": 3e-5, "betas": (0.9, 0.99), "batch": 32}),
    "inception-fusion": Recipe("mse"),
}


def recipe_of(spec: ModelSpec) -> Recipe:
    return RECIPES[spec.name]


def recipe(spec: ModelSpec, cfg: TrainConfig) -> dict:
    r = recipe_of(spec)
    base = {"lr": 2e-4, "betas": (0.5, 0.999), "batch": 16} if r.gan else \
           {"lr": 1e-3, "betas": (0.9, 0.999), "batch": 32}
    base.update(r.params)
    if cfg.batch:
        base["batch"] = cfg.batch
    if cfg.lr:
        base["lr"] = cfg.lr
    return base


def target_of(model: ABPredictor, rgb: torch.Tensor):
    """(net input, regression target in net-output space, Lab) for a batch of RGB."""
    lab = rgb_to_lab(rgb)
    x = model.normalize(lab[:, :1])
    if model.spec.output == "rgb":
        return x, rgb * 2 - 1, lab
    return x, lab[:, 1:] / model.spec.ab_scale, lab


def regression_loss(model: ABPredictor, out: torch.Tensor, target: torch.Tensor, lab: torch.Tensor):
    loss = recipe_of(model.spec).loss
    if loss == "model":
        return model.net.loss(out, lab[:, 1:])
    if loss == "l1":
        return F.l1_loss(out.float(), target)
    return F.mse_loss(out.float(), target)


class Trainer:
    def __init__(self, spec: ModelSpec, data: "str | torch.Tensor", out_dir: str | Path, cfg: TrainConfig,
                 val: str | None = None, init: str | None = None):
        self.spec, self.cfg = spec, cfg
        self.out = Path(out_dir)
        self.out.mkdir(parents=True, exist_ok=True)
        self.dev = torch.device(cfg.device)
        self.r = recipe(spec, cfg)
        self.size = cfg.size or spec.input_size
        torch.manual_seed(cfg.seed)
        self.gen = torch.Generator().manual_seed(cfg.seed)
        self.model = create_model(spec.name, weights=init).to(self.dev).train()
        self.stage = cfg.stage
        if self.stage == "auto":
            r = recipe_of(spec)
            self.stage = "gan" if r.gan and not r.pretrain_l1 else ("pretrain" if r.pretrain_l1 else "regress")
        pad = self.size * 9 // 8
        images = data if isinstance(data, torch.Tensor) else load_dataset(data, pad)
        self.images = images.to(self.dev)
        if hasattr(self.model.net, "set_prior"):  # eccv16: class rebalancing from this data's ab
            from ..eccv16 import empirical_prior
            sample = rgb_to_lab(self.images[:512].float() / 255)[:, 1:, ::4, ::4]
            self.model.net.set_prior(empirical_prior(sample, self.model.net.bins))
        self.val = load_dataset(val, self.size, limit=64).to(self.dev) if val else None
        self.opt = torch.optim.Adam(self.model.parameters(), lr=self.r["lr"], betas=self.r["betas"])
        self.disc = self.opt_d = None
        if self.stage == "gan":
            cin = 1 + (3 if spec.output == "rgb" else 2)
            self.disc = patchgan(cin).to(self.dev).train()
            self.opt_d = torch.optim.Adam(self.disc.parameters(), lr=self.r["lr"], betas=self.r["betas"])
        self.step = 0
        self.history: list[dict] = []
        self.amp = self.dev.type == "cuda"
        if self.dev.type == "cuda":
            self.model.to(memory_format=torch.channels_last)
        self._resume()

    # --- checkpoints -------------------------------------------------------------------------
    @property
    def ckpt_path(self) -> Path:
        return self.out / f"{self.spec.name}-{self.stage}.ckpt"

    def _resume(self) -> None:
        if not self.ckpt_path.is_file():
            return
        state = torch.load(self.ckpt_path, map_location=self.dev)
        self.model.net.load_state_dict(state["net"])
        self.opt.load_state_dict(state["opt"])
        if self.disc is not None and "disc" in state:
            self.disc.load_state_dict(state["disc"])
            self.opt_d.load_state_dict(state["opt_d"])
        self.step = state["step"]
        self.history = state["history"]
        torch.set_rng_state(state["rng"])
        self.gen.set_state(state["gen"])

    def save_checkpoint(self) -> None:
        state = {"net": self.model.net.state_dict(), "opt": self.opt.state_dict(), "step": self.step,
                 "history": self.history, "rng": torch.get_rng_state(), "gen": self.gen.get_state()}
        if self.disc is not None:
            state["disc"], state["opt_d"] = self.disc.state_dict(), self.opt_d.state_dict()
        tmp = self.ckpt_path.with_suffix(".tmp")
        torch.save(state, tmp)
        tmp.replace(self.ckpt_path)

    # --- steps ---------------------------------------------------------------------------------
    def lr_at(self, step: int) -> float:
        drop = self.r.get("lr_drop")
        if drop and step >= drop * self.cfg.steps:
            return self.r["lr"] * 0.1
        return self.r["lr"]

    def train_step(self, rgb: torch.Tensor) -> dict:
        for g in self.opt.param_groups:
            g["lr"] = self.lr_at(self.step)
        x, target, lab = target_of(self.model, rgb)
        with torch.autocast(self.dev.type, dtype=torch.bfloat16, enabled=self.amp):
            out = self.model.net(x)
        if self.stage != "gan":
            loss = regression_loss(self.model, out, target, lab)
            self.opt.zero_grad(set_to_none=True)
            loss.backward()
            self.opt.step()
            return {"loss": loss.item()}
        return self._gan_step(x, out, target)

    def _gan_step(self, x, fake, real) -> dict:
        with torch.autocast(self.dev.type, dtype=torch.bfloat16, enabled=self.amp):
            d_real = self.disc(torch.cat([x, real], 1))
            d_fake = self.disc(torch.cat([x, fake.detach()], 1))
        loss_d = 0.5 * (F.binary_cross_entropy_with_logits(d_real.float(), torch.ones_like(d_real.float()))
                        + F.binary_cross_entropy_with_logits(d_fake.float(), torch.zeros_like(d_fake.float())))
        self.opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        self.opt_d.step()
        with torch.autocast(self.dev.type, dtype=torch.bfloat16, enabled=self.amp):
            d_fake = self.disc(torch.cat([x, fake], 1))
        adv = F.binary_cross_entropy_with_logits(d_fake.float(), torch.ones_like(d_fake.float()))
        l1 = F.l1_loss(fake.float(), real)
        loss_g = adv + 100 * l1
        self.opt.zero_grad(set_to_none=True)
        loss_g.backward()
        self.opt.step()
        return {"loss": l1.item(), "loss_g": adv.item(), "loss_d": loss_d.item()}

    @torch.no_grad()
    def validate(self) -> float:
        """Validation loss: MSE of ab/110 (the same number for every model, lower is better)."""
        if self.val is None:
            return math.nan
        self.model.eval()
        rgb = self.val.float() / 255
        lab = rgb_to_lab(rgb)
        with torch.autocast(self.dev.type, dtype=torch.bfloat16, enabled=self.amp):
            ab = torch.cat([self.model(lab[i:i + 16, :1]) for i in range(0, len(lab), 16)])
        self.model.train()
        if ab.shape[-2:] != lab.shape[-2:]:      # eccv16 predicts at 1/4: upsampled, as a run does
            ab = F.interpolate(ab.float(), size=lab.shape[-2:], mode="bilinear", align_corners=False)
        return float(F.mse_loss(ab.float() / 110, lab[:, 1:] / 110))

    def run(self) -> list[dict]:
        t0 = time.time()
        batch = self.r["batch"]
        while self.step < self.cfg.steps:
            if self.cfg.minutes and time.time() - t0 > self.cfg.minutes * 60:
                break
            rgb = random_batch(self.images, batch, self.size, self.gen)
            logs = self.train_step(rgb)
            self.step += 1
            if self.step % self.cfg.eval_every == 0 or self.step == self.cfg.steps:
                logs.update(step=self.step, val=self.validate(), seconds=round(time.time() - t0, 1),
                            lr=self.lr_at(self.step))
                self.history.append(logs)
                print(" ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                               for k, v in logs.items()), flush=True)
                self.save_checkpoint()
        self.save_checkpoint()
        self.write_curves()
        return self.history

    def write_curves(self) -> None:
        if not self.history:
            return
        path = self.out / f"{self.spec.name}-{self.stage}-loss.csv"
        keys = sorted({k for row in self.history for k in row})
        with open(path, "w", newline="") as f:
            w = csv.DictWriter(f, keys)
            w.writeheader()
            w.writerows(self.history)
        plot_curves(self.history, path.with_suffix(".png"))

    def export(self, path: str | Path, card: dict) -> dict:
        return save_weights(self.model.net, path, card)


def plot_curves(history: list[dict], path: Path, size=(640, 360)) -> None:
    """A minimal line plot of train and val loss with Pillow (no matplotlib dependency)."""
    from PIL import Image, ImageDraw

    img = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(img)
    steps = [h["step"] for h in history]
    series = {"train": ([h["loss"] for h in history], (30, 90, 200)),
              "val": ([h.get("val", math.nan) for h in history], (220, 80, 30))}
    vals = [v for s, _ in series.values() for v in s if not math.isnan(v)]
    lo, hi = min(vals), max(vals)
    pad = 40
    def xy(step, v):
        x = pad + (step - steps[0]) / max(1, steps[-1] - steps[0]) * (size[0] - 2 * pad)
        y = size[1] - pad - (v - lo) / max(hi - lo, 1e-12) * (size[1] - 2 * pad)
        return x, y
    draw.rectangle([pad, pad, size[0] - pad, size[1] - pad], outline="black")
    for i, (name, (ys, colour)) in enumerate(series.items()):
        pts = [xy(s, v) for s, v in zip(steps, ys) if not math.isnan(v)]
        if len(pts) > 1:
            draw.line(pts, fill=colour, width=2)
        draw.text((pad + 5 + 60 * i, 5), name, fill=colour)
    draw.text((5, pad - 15), f"{hi:.4g}", fill="black")
    draw.text((5, size[1] - pad), f"{lo:.4g}", fill="black")
    draw.text((size[0] - pad - 60, size[1] - pad + 5), f"step {steps[-1]}", fill="black")
    img.save(path)
