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
