"""Training lite-unet on a CPU: cached frozen features first, then a short end-to-end fine-tune.

Stage `cache`: every training image (short side `size`, centre square, and its mirror as a
separate entry) goes once through the frozen ImageNet encoder; the five feature maps are stored
as fp16 memmaps with the ab targets. Stage `decoder`: the decoder trains on random batches of the
cache (many epochs for the price of one encoder pass). Stage `finetune`: the upper encoder blocks
and the decoder train end to end on random crops and flips at a low learning rate, encoder batch
norm frozen. Every stage checkpoints every few minutes and resumes from its last checkpoint.

Loss: L1 on ab / 110 (regression head) + `ce_weight` * cross-entropy over 313 soft-encoded ab bins
(class head), class weights = ECCV16 rebalancing weights (lambda 0.5) raised to `rebalance`
(0 = unweighted, 1 = Zhang et al.'s full rebalancing).
"""
from __future__ import annotations

import json
import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from colorize_cli.colorspace import rgb_to_lab

from .data import decode_square, iter_image_bytes, load_dataset
from ..eccv16 import ab_bins, empirical_prior, rebalance_weights, soft_encode
from ..lite_unet import LiteUNet, load_imagenet_lite


@dataclass
class LiteConfig:
    encoder: str = "lite0"
    size: int = 128
    batch: int = 32
    lr_decoder: float = 1e-3
    lr_finetune_decoder: float = 1e-4
    lr_finetune_encoder: float = 3e-5
    ce_weight: float = 0.1
    rebalance: float = 0.5
    decoder_minutes: float = 20.0
    finetune_minutes: float = 40.0
    finetune_from_block: int = 4      # encoder blocks from this index (and conv_head) train in stage 2
    checkpoint_minutes: float = 3.0
    max_steps: int = 0                # per stage, 0 = no limit (tests count steps, never seconds)
    seed: int = 0


LEVELS = [(0, 16, 2), (1, 24, 4), (2, 40, 8), (3, 112, 16), (4, 1280, 32)]  # index, channels (lite0), stride


def lab_targets(rgb: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(L / 100 at full size, ab / 110 at /2, ab / 110 at /4) for RGB in [0, 1]."""
    lab = rgb_to_lab(rgb)
    ab = lab[:, 1:] / 110
    return lab[:, :1] / 100, F.avg_pool2d(ab, 2), F.avg_pool2d(ab, 4)


class LiteLoss:
    def __init__(self, cfg: LiteConfig, prior: torch.Tensor):
        self.cfg = cfg
        self.bins = ab_bins()
        w = rebalance_weights(prior, self.bins, lam=0.5) ** cfg.rebalance
        self.weights = w / (prior * w).sum()

    def __call__(self, reg, logits, ab2, ab4) -> tuple[torch.Tensor, dict]:
        l1 = F.l1_loss(reg.float(), ab2)
        target = soft_encode(ab4.float() * 110, self.bins)
        ce = -(target * F.log_softmax(logits.float(), 1)).sum(1)
        ce = (self.weights[target.argmax(1)] * ce).mean()
        return l1 + self.cfg.ce_weight * ce, {"l1": float(l1.detach()), "ce": float(ce.detach())}


class LiteTrainer:
    def __init__(self, data: str, val: str | None, out: str | Path, cfg: LiteConfig):
        self.cfg, self.data = cfg, data
        self.out = Path(out)
        self.out.mkdir(parents=True, exist_ok=True)
        torch.manual_seed(cfg.seed)
        self.net = LiteUNet(cfg.encoder)
        self.val = load_dataset(val, cfg.size, limit=96) if val else None
        self.log = open(self.out / "train.log", "a")

    # --- helpers -----------------------------------------------------------------------------
    def say(self, **kw) -> None:
        line = " ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in kw.items())
        print(line, flush=True)
        self.log.write(line + "\n")
        self.log.flush()

    def _save(self, path: Path, state: dict) -> None:
        tmp = path.with_suffix(".tmp")
        torch.save(state, tmp)
        tmp.replace(path)

    @torch.no_grad()
    def validate(self) -> dict:
        """PSNR gain of the regression head and of the mean of the class head on ab (val, fixed)."""
        if self.val is None:
            return {}
        self.net.eval()
        rgb = self.val.float() / 255
        L, ab2, _ = lab_targets(rgb)
        ab_full = rgb_to_lab(rgb)[:, 1:] / 110
        out = {}
        regs, means = [], []
        for i in range(0, len(L), 32):
            reg, logits = self.net.heads(L[i:i + 32])
            regs.append(reg)
            means.append(self.net.blend(reg, logits, 1.0, 1.0))
        for name, ab in (("reg", torch.cat(regs)), ("cls", torch.cat(means))):
            ab = F.interpolate(ab, size=ab_full.shape[-2:], mode="bilinear", align_corners=False)
            out[f"val_ab_mse_{name}"] = float(F.mse_loss(ab, ab_full))
        out["val_ab_mse_gray"] = float(ab_full.pow(2).mean())
        return out

    def prior(self) -> torch.Tensor:
        path = self.out / "prior.pt"
        if path.is_file():
            return torch.load(path)
        sample = load_dataset(self.data, 64, limit=2000).float() / 255
        prior = empirical_prior(rgb_to_lab(sample)[:, 1:], ab_bins())
        torch.save(prior, path)
        return prior

    # --- stage 1: cache ----------------------------------------------------------------------
    def cache_dir(self) -> Path:
        return self.out / f"cache-{self.cfg.encoder}-{self.cfg.size}"

    def build_cache(self) -> int:
        d = self.cache_dir()
        meta_path = d / "meta.json"
        if meta_path.is_file() and json.loads(meta_path.read_text()).get("complete"):
            return json.loads(meta_path.read_text())["n"]
        d.mkdir(parents=True, exist_ok=True)
        s = self.cfg.size
        images = np.stack([a for a in self._decode_all(s)])             # (N, s, s, 3) uint8
        n = 2 * len(images)
        load_imagenet_lite(self.net.encoder, self.cfg.encoder)
        self.net.eval()
        shapes = self._feature_shapes()
        maps = [np.lib.format.open_memmap(d / f"f{i}.npy", "w+", np.float16, (n, *shp))
                for i, shp in enumerate(shapes)]
        ab2 = np.lib.format.open_memmap(d / "ab2.npy", "w+", np.float16, (n, 2, s // 2, s // 2))
        ab4 = np.lib.format.open_memmap(d / "ab4.npy", "w+", np.float16, (n, 2, s // 4, s // 4))
        t0 = time.time()
        bs = 64
        with torch.inference_mode():
            for i in range(0, len(images), bs):
                rgb = torch.from_numpy(images[i:i + bs]).permute(0, 3, 1, 2).float() / 255
                for flip in (False, True):
                    x = rgb.flip(-1) if flip else rgb
                    L, a2, a4 = lab_targets(x)
                    rows = slice(i + flip * len(images), i + flip * len(images) + len(x))
                    for m, f in zip(maps, self.net.features(L)):
                        m[rows] = f.half().numpy()
                    ab2[rows], ab4[rows] = a2.half().numpy(), a4.half().numpy()
                if (i // bs) % 10 == 0:
                    self.say(stage="cache", done=i + len(rgb), of=len(images),
                             img_s=2 * (i + len(rgb)) / (time.time() - t0))
        for m in (*maps, ab2, ab4):
            m.flush()
        meta_path.write_text(json.dumps({"n": n, "complete": True, "config": asdict(self.cfg),
                                         "seconds": round(time.time() - t0)}))
        return n

    def _decode_all(self, size: int):
        for _, data in iter_image_bytes(self.data):
            try:
                yield decode_square(data, size)
            except (OSError, ValueError):
                continue

    def _feature_shapes(self) -> list[tuple]:
        with torch.inference_mode():
            feats = self.net.features(torch.zeros(1, 1, self.cfg.size, self.cfg.size))
        return [tuple(f.shape[1:]) for f in feats]

    # --- stage 1: decoder --------------------------------------------------------------------
    def train_decoder(self) -> None:
        n = self.build_cache()
        load_imagenet_lite(self.net.encoder, self.cfg.encoder)   # for validation
        d = self.cache_dir()
        maps = [np.load(d / f"f{i}.npy", mmap_mode="r") for i in range(5)]
        ab2, ab4 = np.load(d / "ab2.npy", mmap_mode="r"), np.load(d / "ab4.npy", mmap_mode="r")
        loss_fn = LiteLoss(self.cfg, self.prior())
        dec = self.net.decoder
        opt = torch.optim.AdamW(dec.parameters(), lr=self.cfg.lr_decoder, weight_decay=1e-4)
        ck = self.out / "decoder.ckpt"
        state = self._resume(ck, opt, dec)
        gen = np.random.default_rng(self.cfg.seed + state["step"])
        budget = self.cfg.decoder_minutes * 60
        self._loop("decoder", ck, opt, state, budget, dec,
                   lambda: self._cached_batch(gen, n, maps, ab2, ab4), loss_fn,
                   lambda b: dec(b[0]))

    def _cached_batch(self, gen, n, maps, ab2, ab4):
        idx = np.sort(gen.choice(n, self.cfg.batch, replace=False))
        feats = [torch.from_numpy(np.asarray(m[idx])).float() for m in maps]
        return feats, torch.from_numpy(np.asarray(ab2[idx])).float(), torch.from_numpy(np.asarray(ab4[idx])).float()

    # --- stage 2: fine-tune ------------------------------------------------------------------
    def finetune(self) -> None:
        dec_ck = self.out / "decoder.ckpt"
        if not dec_ck.is_file():
            raise FileNotFoundError(f"{dec_ck}: train the decoder first")
        load_imagenet_lite(self.net.encoder, self.cfg.encoder)
        self.net.decoder.load_state_dict(torch.load(dec_ck)["model"])
        enc = self.net.encoder
        enc_params = [p for i, b in enumerate(enc.blocks) if i >= self.cfg.finetune_from_block for p in b.parameters()]
        enc_params += list(enc.conv_head.parameters()) + list(enc.bn2.parameters())
        for p in self.net.encoder.parameters():
            p.requires_grad_(False)
        for p in enc_params:
            p.requires_grad_(True)
        opt = torch.optim.AdamW([{"params": self.net.decoder.parameters(), "lr": self.cfg.lr_finetune_decoder},
                                 {"params": enc_params, "lr": self.cfg.lr_finetune_encoder}], weight_decay=1e-4)
        ck = self.out / "finetune.ckpt"
        state = self._resume(ck, opt, self.net)
        pad = self.cfg.size * 9 // 8
        images = load_dataset(self.data, pad)
        gen = torch.Generator().manual_seed(self.cfg.seed + state["step"])
        loss_fn = LiteLoss(self.cfg, self.prior())

        def batch():
            from .data import random_batch
            rgb = random_batch(images, self.cfg.batch, self.cfg.size, gen)
            L, a2, a4 = lab_targets(rgb)
            return L, a2, a4

        self._loop("finetune", ck, opt, state, self.cfg.finetune_minutes * 60, self.net, batch, loss_fn,
                   lambda b: self.net.heads(b[0]), encoder_bn_frozen=True)

    # --- shared loop -------------------------------------------------------------------------
    def _resume(self, ck: Path, opt, module) -> dict:
        if ck.is_file():
            state = torch.load(ck, weights_only=False)
            module.load_state_dict(state["model"])
            opt.load_state_dict(state["opt"])
            self.say(resumed=str(ck), step=state["step"], seconds=state["seconds"])
            return state
        return {"step": 0, "seconds": 0.0, "history": []}

    def _loop(self, stage, ck, opt, state, budget, module, next_batch, loss_fn, forward,
              encoder_bn_frozen=False) -> None:
        step, spent = state["step"], state["seconds"]
        t_last, t_ck = time.time(), time.time()
        smooth = None
        lrs = [g["lr"] for g in opt.param_groups]
        while spent < budget and not (self.cfg.max_steps and step >= self.cfg.max_steps):
            module.train()
            if encoder_bn_frozen:
                self.net.encoder.eval()
            frac = spent / budget     # cosine decay over the stage's time budget
            for g, lr in zip(opt.param_groups, lrs):
                g["lr"] = lr * 0.5 * (1 + math.cos(math.pi * frac))
            b = next_batch()
            reg, logits = forward(b)
            loss, parts = loss_fn(reg, logits, b[1], b[2])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            step += 1
            now = time.time()
            spent += now - t_last
            t_last = now
            smooth = parts if smooth is None else {k: 0.98 * smooth[k] + 0.02 * v for k, v in parts.items()}
            last = spent >= budget or (self.cfg.max_steps and step >= self.cfg.max_steps)
            if now - t_ck > self.cfg.checkpoint_minutes * 60 or last:
                row = {"step": step, "seconds": round(spent), **smooth, **self.validate()}
                state["history"].append(row)
                self.say(stage=stage, **row)
                self._save(ck, {"model": module.state_dict(), "opt": opt.state_dict(), "step": step,
                                "seconds": spent, "history": state["history"], "config": asdict(self.cfg)})
                t_ck = time.time()
                t_last = t_ck   # time spent validating and saving is not training time



def trained_net(run: str | Path) -> tuple[LiteUNet, LiteConfig, Path]:
    """(network, config, checkpoint) of a training folder: the fine-tuned net if that stage ran,
    else the ImageNet encoder with the trained decoder."""
    run = Path(run)
    ft, dec = run / "finetune.ckpt", run / "decoder.ckpt"
    ckpt = ft if ft.is_file() else dec
    state = torch.load(ckpt, weights_only=False)
    cfg = LiteConfig(**state["config"])
    net = LiteUNet(cfg.encoder)
    if ckpt == ft:
        net.load_state_dict(state["model"])
    else:
        load_imagenet_lite(net.encoder, cfg.encoder)
        net.decoder.load_state_dict(state["model"])
    return net.eval(), cfg, ckpt
