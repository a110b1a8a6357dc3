"""lite-unet's learned hint channels (models.hint_lite): the automatic output cannot change, and
training resumes exactly (tiny configuration; no quality asserted here, `scripts/train_hint_net.py
score` measures it on val)."""
import numpy as np
import torch

from colorize_cli.models.hint_lite import HintLiteUNet
from colorize_cli.models.lite_unet import LiteUNet
from colorize_cli.models.training.hints import HintConfig, HintTrainer, sample_hints


def _images(n=6, size=72):
    rng = np.random.default_rng(1)
    x = np.zeros((n, 3, size, size), np.uint8)
    for i in range(n):
        x[i, :, :, : size // 2] = rng.integers(0, 256, (3, 1, 1))
        x[i, :, :, size // 2:] = rng.integers(0, 256, (3, 1, 1))
    return torch.from_numpy(x)


def _net():
    torch.manual_seed(0)
    return HintLiteUNet(LiteUNet("lite0", mix=0.5, temperature=0.45)).eval()


def test_no_hint_is_the_automatic_output_and_an_untrained_branch_changes_nothing():
    net = _net()
    x = torch.rand(2, 1, 64, 96)
    auto = net.base(x)
    hint = torch.zeros(2, 3, 64, 96)
    assert torch.equal(net(x), auto) and torch.equal(net(x, hint), auto)   # no hint: the automatic path
    hint[:, 0, 10:13, 20:23], hint[:, 2, 10:13, 20:23] = 0.4, 1.0
    assert torch.equal(net(x, hint), auto)                    # the head's last layer starts at zero
    torch.nn.init.normal_(net.head.out.weight, std=0.5)
    assert not torch.allclose(net(x, hint), auto, atol=1e-3)  # a trained branch does move it ...
    assert torch.equal(net(x, torch.zeros(2, 3, 64, 96)), auto)   # ... only where hints are given


def test_sampled_hints_carry_the_true_colour_on_their_discs():
    ab = torch.zeros(3, 2, 40, 40)
    ab[:, 0], ab[:, 1] = 0.3, -0.2
    hint = sample_hints(ab, torch.Generator().manual_seed(0), HintConfig())
    mask = hint[:, 2] > 0
    assert all(m.any() for m in mask)                         # at least one point per crop
    assert torch.allclose(hint[:, 0][mask], torch.tensor(0.3)) and torch.allclose(hint[:, 1][mask], torch.tensor(-0.2))
    assert float(hint[:, :2][~mask.unsqueeze(1).expand(-1, 2, -1, -1)].abs().max()) == 0


def _trainer(folder, images):
    cfg = HintConfig(size=64, batch=2, warmup_steps=2, checkpoint_steps=2, total_steps=100)
    return HintTrainer(_net(), images, folder, cfg, say=lambda s: None)


def test_interrupted_and_resumed_equals_uninterrupted_and_the_automatic_net_stays(tmp_path):
    torch.set_num_threads(1)
    images = _images()
    first = _trainer(tmp_path / "a", images)
    base0 = {k: v.clone() for k, v in first.net.base.state_dict().items()}
    first.run(3)
    resumed = _trainer(tmp_path / "a", images)
    assert resumed.step == 3
    resumed.run(6)
    straight = _trainer(tmp_path / "b", images)
    straight.run(6)
    a, b = resumed.net.state_dict(), straight.net.state_dict()
    for name in a:
        assert torch.equal(a[name], b[name]), name
    for name, v in straight.net.base.state_dict().items():
        assert torch.equal(v, base0[name]), name              # frozen: automatic output unchanged
    assert float(straight.net.head.out.weight.detach().abs().max()) > 0    # it did train
