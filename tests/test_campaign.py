"""The training campaign resumes exactly and schedules in steps (tiny configuration; no training
quality is asserted here)."""
import numpy as np
import pytest
import torch

from colorize_cli.models.training.campaign import Arm, CampaignConfig, lr_factor
from colorize_cli.models.training.lite import LiteConfig, LiteLoss
from colorize_cli.models.eccv16 import ab_bins


def _images(n=6, size=72):
    rng = np.random.default_rng(1)
    x = np.zeros((n, 3, size, size), np.uint8)
    for i in range(n):    # smooth colour fields with an edge: something to learn
        x[i, :, :, : size // 2] = rng.integers(0, 256, (3, 1, 1))
        x[i, :, :, size // 2:] = rng.integers(0, 256, (3, 1, 1))
    return torch.from_numpy(x)


def _arm(folder, stop, cfg, images):
    prior = torch.full((len(ab_bins()),), 1.0 / len(ab_bins()))
    return Arm(folder, 64, 100, stop, cfg, images, LiteLoss(LiteConfig(), prior), None, lambda **kw: None)


def test_interrupted_and_resumed_equals_uninterrupted(tmp_path):
    torch.set_num_threads(1)
    cfg = CampaignConfig(batch=2, warmup_steps=2, checkpoint_steps=2, finetune_from_block=5)
    images = _images()
    k = 3
    first = _arm(tmp_path / "a", k, cfg, images)
    first.run()                                   # "interrupted" at step k (checkpointed at the end)
    resumed = _arm(tmp_path / "a", 2 * k, cfg, images)
    assert resumed.step == k
    resumed.run()
    straight = _arm(tmp_path / "b", 2 * k, cfg, images)
    straight.run()
    a, b = resumed.net.state_dict(), straight.net.state_dict()
    for name in a:
        assert torch.equal(a[name], b[name]), name
    start = _arm(tmp_path / "c", 0, cfg, images).net.state_dict()
    changed = sum(not torch.equal(start[n], b[n]) for n in b if b[n].is_floating_point())
    assert changed > 10          # it did train
    opt_a, opt_b = resumed.opt.state_dict()["state"], straight.opt.state_dict()["state"]
    assert all(torch.equal(opt_a[i]["exp_avg"], opt_b[i]["exp_avg"]) for i in opt_b)


def test_schedule_is_in_steps():
    cfg = CampaignConfig(warmup_steps=10)
    total = 110
    assert lr_factor(0, cfg, total) == pytest.approx(0.1)
    assert lr_factor(9, cfg, total) == pytest.approx(1.0)
    assert lr_factor(10, cfg, total) == pytest.approx(1.0)
    assert lr_factor(60, cfg, total) == pytest.approx(0.5)
    assert lr_factor(110, cfg, total) == pytest.approx(0.0, abs=1e-12)
    assert lr_factor(500, cfg, total) == pytest.approx(0.0, abs=1e-12)
    values = [lr_factor(s, cfg, total) for s in range(10, 111)]
    assert all(x >= y for x, y in zip(values, values[1:]))


def test_registry_lists_every_model_after_one_model_module_was_imported_alone():
    import subprocess
    import sys

    code = ("import colorize_cli.models.lite_unet\n"
            "from colorize_cli.models import get_spec, list_models\n"
            "print(get_spec('baseline-cnn').name, len(list_models()))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    name, n = out.stdout.split()
    assert name == "baseline-cnn" and int(n) >= 10


def test_a_stop_request_writes_the_checkpoint_and_a_resume_continues(tmp_path):
    torch.set_num_threads(1)
    cfg = CampaignConfig(batch=2, warmup_steps=2, checkpoint_steps=100, finetune_from_block=5)
    images = _images()
    arm = _arm(tmp_path / "a", 10, cfg, images)

    def after(a, parts):
        if a.step == 3:
            Arm.stop_requested = True      # what the SIGTERM handler sets
    try:
        with pytest.raises(SystemExit):
            arm.run(after)
    finally:
        Arm.stop_requested = False
    resumed = _arm(tmp_path / "a", 10, cfg, images)
    assert resumed.step == 3                # saved at the stop, not at the last 100-step checkpoint


def test_every_val_point_keeps_its_weights(tmp_path):
    """The decision may take any scored point (the gain can fall while ΔCF improves): each val
    point's weights are kept beside the checkpoint, with the metrics they scored."""
    from PIL import Image

    from colorize_cli.models.training.campaign import Campaign

    torch.set_num_threads(1)
    data = tmp_path / "photos"
    data.mkdir()
    for i, img in enumerate(_images(6, 80).numpy()):
        Image.fromarray(img.transpose(1, 2, 0)).save(data / f"{i}.png")

    class Scorer:                       # the eval protocol stands aside: only the bookkeeping is tested
        scored = []

        def gray(self):
            return {"psnr": 20.0, "dcf": 40.0, "ciede2000": 11.0, "cf": 0.0}

        def score(self, net, size):
            self.scored.append({k: v.clone() for k, v in net.state_dict().items()})
            n = len(self.scored)
            return {"psnr": 20.0 + n, "dcf": 30.0 - n, "ciede2000": 10.0, "cf": 5.0 + n}

    cfg = CampaignConfig(sweep_sizes="64", sweep_steps=2, total_steps=6, val_every=2, batch=2, warmup_steps=2,
                         checkpoint_steps=2, finetune_from_block=5)
    scorer = Scorer()
    Campaign(str(data), scorer, tmp_path / "run", cfg).run()
    snaps = sorted((tmp_path / "run" / "main").glob("val-*.pt"))
    assert [p.name for p in snaps] == ["val-000004.pt", "val-000006.pt"]   # steps 1-2 were the sweep arm
    for snap, scored in zip(snaps, scorer.scored[1:]):                     # scored[0]: the sweep's score
        kept = torch.load(snap, weights_only=False)
        assert kept["metrics"]["step"] == int(snap.stem.split("-")[1])
        assert all(torch.equal(kept["model"][k], scored[k]) for k in scored)
    a, b = (torch.load(p, weights_only=False)["model"] for p in snaps)
    assert any(not torch.equal(a[k], b[k]) for k in a if a[k].is_floating_point())   # it trained in between
