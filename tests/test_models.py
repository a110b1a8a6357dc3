"""Model zoo: every model builds, runs, trains one step with its real loss."""
import pytest
import torch

from colorize_cli.models import create_model, get_spec, list_models
from colorize_cli.models.training.recipes import TrainConfig, Trainer

ALL = list_models()


@pytest.mark.parametrize("name", ALL)
def test_forward_square_and_non_square(name):
    torch.manual_seed(0)
    model = create_model(name, weights=None).eval()
    spec = get_spec(name)
    s = spec.input_size
    with torch.no_grad():
        for h, w in [(s, s), (s - 2 * spec.stride, s + 3 * spec.stride)]:
            L = torch.rand(1, 1, h, w) * 100
            ab = model(L)
            assert ab.shape[:2] == (1, 2) and torch.isfinite(ab).all()
            assert ab.abs().max() <= 110
            assert ab.shape[-1] / ab.shape[-2] == pytest.approx(w / h, rel=0.05)


@pytest.mark.parametrize("name", ALL)
def test_one_training_step_with_real_loss(name, tmp_path):
    spec = get_spec(name)
    size = 64 if spec.name != "inception-fusion" else 64
    images = (torch.rand(4, 3, size + 8, size + 8) * 255).to(torch.uint8)
    from colorize_cli.models.training.recipes import recipe_of

    stage = "gan" if recipe_of(spec).gan else "auto"
    tr = Trainer(spec, images, tmp_path, TrainConfig(steps=1, batch=2, size=size, stage=stage))
    before = [p.detach().clone() for p in tr.model.net.parameters() if p.requires_grad]
    logs = tr.train_step(images[:2, :, :size, :size].float() / 255)
    assert torch.isfinite(torch.tensor(logs["loss"]))
    after = [p for p in tr.model.net.parameters() if p.requires_grad]
    assert any(not torch.equal(a, b) for a, b in zip(before, after))
    if tr.stage == "gan":
        assert tr.disc is not None and "loss_d" in logs and "loss_g" in logs


def test_baseline_cnn_parameter_count():
    assert sum(p.numel() for p in create_model("baseline-cnn", weights=None).net.parameters()) == 231_682


def test_resnet18_unet_pretrains_with_l1_then_gan(tmp_path):
    spec = get_spec("resnet18-unet")
    images = (torch.rand(2, 3, 72, 72) * 255).to(torch.uint8)
    assert Trainer(spec, images, tmp_path, TrainConfig(steps=1, batch=2, size=64)).stage == "pretrain"
    assert Trainer(spec, images, tmp_path, TrainConfig(steps=1, batch=2, size=64, stage="gan")).disc is not None


def test_eccv16_bins_soft_encoding_and_annealed_mean():
    from colorize_cli.models.eccv16 import ab_bins, soft_encode

    net = create_model("eccv16", weights=None).net
    bins = ab_bins()
    assert bins.shape == (313, 2) and net.model8[-1].out_channels == 313
    for colour in ([23.0, -41.0], [-60.0, 75.0], [3.0, 4.0]):
        ab = torch.tensor(colour).view(1, 2, 1, 1)
        target = soft_encode(ab, bins)
        assert target.sum() == pytest.approx(1.0) and (target > 0).sum() == 5
        logits = torch.log(target.clamp(min=1e-8))
        for t in (1.0, 0.38):
            net.temperature = t
            decoded = net.decode(logits).flatten()
            assert (decoded - ab.flatten()).norm() < 5


def test_eccv16_state_dict_names_match_release():
    keys = set(create_model("eccv16", weights=None).net.state_dict())
    for k in ("model1.0.weight", "model1.4.running_mean", "model5.0.weight", "model8.0.weight",
              "model8.6.bias", "model_out.weight"):
        assert k in keys
    assert not any("bins" in k or "class_weights" in k for k in keys)


def test_shipped_weights_match_their_card():
    from colorize_cli.files import file_sha256 as sha256

    for name in ALL:
        spec = get_spec(name)
        if spec.has_weights:
            assert spec.card_info()["sha256"] == sha256(spec.weights_path)
            create_model(name)  # loads strictly


def test_every_model_has_a_training_recipe_apart_from_its_spec():
    """How a model trains lives in models/training (RECIPES), not in the spec inference reads."""
    import dataclasses

    from colorize_cli.models.spec import ModelSpec
    from colorize_cli.models.training.recipes import RECIPES

    assert set(RECIPES) == set(list_models())
    assert not {"loss", "gan", "pretrain_l1", "recipe"} & {f.name for f in dataclasses.fields(ModelSpec)}
