"""pix2pix conditional GANs with MobileNetV2 / DenseNet121 U-Net generators (Lab and RGB), and the
ResNet18 U-Net pretrained with L1 before its GAN stage (specs in zoo.py)."""
from .unet import densenet_stages, mobilenet_stages, resnet_stages, unet


def mobilenet_ab():
    return unet(mobilenet_stages, 2)


def mobilenet_rgb():
    return unet(mobilenet_stages, 3)


def densenet_ab():
    return unet(densenet_stages, 2)


def densenet_rgb():
    return unet(densenet_stages, 3)


def resnet18_ab():
    return unet(resnet_stages, 2)
