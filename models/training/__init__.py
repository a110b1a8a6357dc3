"""Training, apart from what inference needs (nothing under colorize_cli imports this package to
colorize): the seed recipes (`recipes`: Trainer, TrainConfig), the lite-unet trainer on cached
encoder features (`lite`), the background campaign (`campaign`), the data loader (`data`) and the
pix2pix discriminator (`patchgan`). Used by scripts/train.py, scripts/train_lite.py and the tests."""
