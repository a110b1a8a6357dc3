"""pix2pix conditional GANs with MobileNetV2 / DenseNet121 U-Net generators (Lab and RGB), and the
ResNet18 U-Net pretrained with L1 before its GAN stage."""
from functools import partial

from .registry import ModelSpec, register
from .unet import densenet_stages, mobilenet_stages, resnet_stages, unet

PIX2PIX = "pix2pix (Isola et al. 2017) as used by the seed papers"

for name, stages, enc in [("mobilenet", mobilenet_stages, "MobileNetV2"), ("densenet", densenet_stages, "DenseNet121")]:
    register(ModelSpec(
        name=f"pix2pix-{name}", builder=partial(unet, stages, 2), gan=True, output="ab",
        description=f"pix2pix GAN, U-Net with {enc} encoder, L -> ab", paper=PIX2PIX,
        input_size=256, stride=32, loss="l1"))
    register(ModelSpec(
        name=f"pix2pix-{name}-rgb", builder=partial(unet, stages, 3), gan=True, output="rgb",
        description=f"pix2pix GAN, U-Net with {enc} encoder, gray -> RGB (papers: worse than Lab)",
        paper=PIX2PIX, input_size=256, stride=32, loss="l1"))

register(ModelSpec(
    name="resnet18-unet", builder=partial(unet, resnet_stages, 2), gan=True, pretrain_l1=True,
    description="ResNet18 U-Net: L1 pretraining, then PatchGAN + L1 fine-tuning",
    paper="'pretrain the generator first' recipe (fastai/DeOldify-style NoGAN)",
    input_size=256, stride=32, loss="l1"))
