"""Weights files: int8 storage (half the bytes of fp16, loaded back into a float network) and the card
that travels with a file."""
import pytest
import torch
from safetensors.torch import load_file

from colorize_cli.errors import UsageError
from colorize_cli.models import create_model, save_weights


def _trained_like(name: str) -> torch.nn.Module:
    torch.manual_seed(1)
    net = create_model(name, weights=None).net
    with torch.no_grad():   # give every channel its own range, as trained weights have
        for p in net.parameters():
            if p.dim() >= 2:
                p.mul_(torch.rand(p.shape[0], *([1] * (p.dim() - 1))) * 3)
    return net.eval()


@pytest.mark.parametrize("name", ["baseline-cnn", "resnet18-unet"])
def test_int8_file_is_smaller_and_predicts_like_fp16(name, tmp_path):
    net = _trained_like(name)
    card16 = save_weights(net, tmp_path / "w16.safetensors", {"model": name})
    card8 = save_weights(net, tmp_path / "w8.safetensors", {"model": name}, storage="int8")
    assert card16["storage"] == "fp16" and card8["storage"].startswith("int8")
    assert card8["bytes"] < 0.56 * card16["bytes"]
    stored = load_file(str(tmp_path / "w8.safetensors"))
    assert any(v.dtype == torch.int8 for v in stored.values())
    m16 = create_model(name, weights=tmp_path / "w16.safetensors")
    m8 = create_model(name, weights=tmp_path / "w8.safetensors")   # strict: every tensor present
    for (k, a), b in zip(net.state_dict().items(), m8.net.state_dict().values()):
        assert a.dtype == b.dtype, k
        if a.is_floating_point() and a.dim() >= 2:
            step = a.abs().reshape(a.shape[0], -1).amax(1) / 127   # one int8 step per row
            err = (a - b).abs().reshape(a.shape[0], -1).amax(1)
            assert bool((err <= step / 2 + 1e-6).all()), k
    L = torch.rand(2, 1, 64, 96) * 100
    with torch.no_grad():
        ab16, ab8 = m16(L), m8(L)
    assert (ab16 - ab8).abs().mean() < 0.05 * ab16.abs().mean() + 0.05


def test_int8_file_with_a_missing_scale_is_refused(tmp_path):
    from safetensors.torch import save_file

    net = _trained_like("baseline-cnn")
    path = tmp_path / "w8.safetensors"
    save_weights(net, path, {"model": "baseline-cnn"}, storage="int8")
    state = load_file(str(path))
    dropped = next(k for k in state if k.endswith(".int8_scale"))
    del state[dropped]
    bad = tmp_path / "bad.safetensors"
    save_file(state, str(bad))
    with pytest.raises(UsageError, match="bad.safetensors.*int8"):
        create_model("baseline-cnn", weights=bad)


def test_weights_run_at_the_render_size_of_their_own_card(tmp_path):
    """--weights FILE: the network runs at the scale FILE's card says it was trained at (not the
    shipped card's), and the dry run plans the settings the real run records."""
    from colorize_cli.api import Colorizer
    from colorize_cli.jobs.config import planned_settings, session_settings
    from colorize_cli.models import get_spec
    from colorize_cli.options import ModelOptions, RunOptions

    shipped = get_spec("baseline-cnn").render_size()
    own = shipped // 2
    path = tmp_path / "small.safetensors"
    save_weights(create_model("baseline-cnn", weights=None).net, path, {"model": "baseline-cnn", "render_size": own})
    cz = Colorizer("baseline-cnn", "cpu", weights=path)
    assert cz.predictor.render_size == own
    assert cz.predictor.render_shape(480, 640)[0] == own
    opts = ModelOptions(model="baseline-cnn", engine="cpu", weights=str(path))
    assert planned_settings(opts, RunOptions()) == session_settings(cz, RunOptions())
    assert Colorizer("baseline-cnn", "cpu", weights=path, render_size=shipped).predictor.render_size == shipped
