"""Training and validation images: folders or tar shards of JPEGs, decoded once into memory."""
from __future__ import annotations

import io
import tarfile
from pathlib import Path

import numpy as np
import torch
from PIL import Image

IMAGE_EXTS = {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff"}


def iter_image_bytes(root: str | Path):
    """Yield (name, bytes) for every image in a folder, a tar shard or a folder of shards."""
    root = Path(root)
    files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
    for path in files:
        if path.suffix == ".tar":
            with tarfile.open(path) as tar:
                for member in tar:
                    if member.isfile() and Path(member.name).suffix.lower() in IMAGE_EXTS:
                        yield member.name, tar.extractfile(member).read()
        elif path.suffix.lower() in IMAGE_EXTS:
            yield path.name, path.read_bytes()


def decode_square(data: bytes, size: int) -> np.ndarray:
    """Decode, resize the short side to `size` and centre-crop to size x size RGB uint8."""
    img = Image.open(io.BytesIO(data))
    img.draft("RGB", (size, size))  # JPEG: decode at a reduced scale, much faster
    img = img.convert("RGB")
    w, h = img.size
    s = size / min(w, h)
    img = img.resize((max(size, round(w * s)), max(size, round(h * s))), Image.BILINEAR, reducing_gap=2.0)
    w, h = img.size
    left, top = (w - size) // 2, (h - size) // 2
    return np.asarray(img.crop((left, top, left + size, top + size)))


def load_dataset(root: str | Path, size: int, limit: int | None = None) -> torch.Tensor:
    """All images as one uint8 tensor (N, 3, size, size)."""
    arrays = []
    for _, data in iter_image_bytes(root):
        try:
            arrays.append(decode_square(data, size))
        except (OSError, ValueError):
            continue
        if limit and len(arrays) >= limit:
            break
    if not arrays:
        raise FileNotFoundError(f"{root}: no images found")
    return torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2).contiguous()


def random_batch(images: torch.Tensor, batch: int, crop: int, generator: torch.Generator) -> torch.Tensor:
    """Random crop + horizontal flip of `batch` random images, as float RGB in [0, 1]."""
    n, _, h, w = images.shape
    idx = torch.randint(n, (batch,), generator=generator)
    y0 = int(torch.randint(h - crop + 1, (1,), generator=generator))
    x0 = int(torch.randint(w - crop + 1, (1,), generator=generator))
    out = images[idx.to(images.device), :, y0:y0 + crop, x0:x0 + crop].float() / 255
    flip = torch.rand(batch, generator=generator) < 0.5
    out[flip.to(out.device)] = out[flip.to(out.device)].flip(-1)
    return out
