"""Evaluation protocol on ../shared/data/val, and CPU training that actually learns."""
import pytest


def test_gray_baseline_on_val(shared_data):
    from colorize_cli.evaluate import evaluate, load_val

    images = load_val(shared_data / "val", limit=24)
    rows = evaluate({"gray": None}, images)["gray"]
    assert rows["cf"] < 0.5                                   # gray has (almost) no colour
    assert rows["dcf"] == pytest.approx(rows["cf_true"], abs=0.5)  # so ΔCF is the truth's mean CF
    assert 15 < rows["psnr"] < 40 and 0 < rows["auc"] <= 1


def test_ciede2000_reference_pair():
    import torch

    from colorize_cli.evaluate import ciede2000

    # Sharma, Wu, Dalal (2005) test data, pair 1: ΔE00 = 2.0425
    a = torch.tensor([50.0, 2.6772, -79.7751]).view(3, 1)
    b = torch.tensor([50.0, 0.0, -82.7485]).view(3, 1)
    assert float(ciede2000(a, b)) == pytest.approx(2.0425, abs=1e-3)


def test_two_minutes_of_cpu_training_lower_val_loss(shared_data, tmp_path):
    import torch

    from colorize_cli.models import get_spec
    from colorize_cli.models.data import load_dataset
    from colorize_cli.models.training import TrainConfig, Trainer

    torch.set_num_threads(2)
    train = load_dataset(shared_data / "train_shards" / "train-000.tar", 72, limit=1500)
    cfg = TrainConfig(steps=10_000, minutes=2.0, batch=32, size=64, eval_every=25)
    tr = Trainer(get_spec("baseline-cnn"), train, tmp_path, cfg, val=str(shared_data / "val"))
    start = tr.validate()
    history = tr.run()
    assert len(history) >= 2
    assert history[-1]["val"] < start
    assert (tmp_path / "baseline-cnn-regress-loss.csv").is_file()
    assert (tmp_path / "baseline-cnn-regress-loss.png").is_file()
