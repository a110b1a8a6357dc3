"""Photos in and out: Pillow for 8-bit files and metadata, PyAV's PNG/TIFF encoders for 16-bit RGB."""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from colorize_cli.errors import MediaError
from colorize_cli.io.atomic import discard, partial_path, publish

MAX_PIXELS = 250_000_000  # larger is refused as a likely decompression bomb
FORMAT_OF_EXT = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG", ".tif": "TIFF", ".tiff": "TIFF",
                 ".webp": "WEBP", ".bmp": "BMP"}


@dataclass
class Photo:
    rgb: np.ndarray              # (H, W, 3) uint8 or uint16, upright
    bits: int
    exif: bytes | None = None
    icc: bytes | None = None
    dpi: tuple | None = None
    extra: dict = field(default_factory=dict)


def read_photo(path: Path, max_pixels: int = MAX_PIXELS) -> Photo:
    path = Path(path)
    if path.stat().st_size == 0:
        raise MediaError(f"{path}: empty file (0 bytes)")
    Image.MAX_IMAGE_PIXELS = max_pixels
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(path)
            img.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise MediaError(f"{path}: image is too large (over {max_pixels:,} pixels); refused as a "
                         "possible decompression bomb (raise --max-pixels to allow it)") from None
    except (OSError, ValueError, SyntaxError) as e:
        raise MediaError(f"{path}: not a readable image ({e})") from None
    # A TIFF's "EXIF" is its own structural tags (strips, sizes): never copied as EXIF.
    exif = img.getexif() if img.format != "TIFF" else Image.Exif()
    icc = img.info.get("icc_profile")
    dpi = img.info.get("dpi")
    try:
        img = ImageOps.exif_transpose(img)  # honour EXIF orientation; the tag is reset to 1
    except Exception:  # broken EXIF must not cost the photo
        pass
    if 0x0112 in exif:
        exif[0x0112] = 1
    if icc and img.mode in ("L", "LA", "I;16", "I;16B", "I;16L", "I"):
        icc = None  # a grey ICC profile cannot describe an RGB result
    rgb, bits = _to_rgb(img)
    return Photo(rgb, bits, exif.tobytes() if len(exif) else None, icc, dpi)


def _to_rgb(img: Image.Image) -> tuple[np.ndarray, int]:
    if img.mode in ("I;16", "I;16B", "I;16L", "I"):
        a = np.asarray(img)
        a = np.clip(a, 0, 65535).astype(np.uint16)
        return np.repeat(a[..., None], 3, -1), 16
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        base = Image.new("RGBA", img.size, (255, 255, 255, 255))
        img = Image.alpha_composite(base, img.convert("RGBA"))
    return np.asarray(img.convert("RGB")), 8


def write_photo(path: Path, rgb: np.ndarray, photo: Photo, overwrite: bool, quality: int = 95) -> None:
    """Write atomically in the format of `path`'s extension, keeping metadata where possible."""
    path = Path(path)
    fmt = FORMAT_OF_EXT.get(path.suffix.lower())
    if fmt is None:
        raise MediaError(f"{path}: unsupported output image type {path.suffix!r}")
    tmp = partial_path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        if rgb.dtype == np.uint16:
            _write_16bit(tmp, rgb, fmt)
        else:
            kw = {}
            if photo.exif and fmt in ("JPEG", "PNG", "WEBP"):
                kw["exif"] = photo.exif
            if photo.icc and fmt != "BMP":
                kw["icc_profile"] = photo.icc
            if photo.dpi and fmt in ("JPEG", "PNG", "TIFF", "BMP"):
                kw["dpi"] = photo.dpi
            if fmt == "JPEG":
                kw.update(quality=quality, subsampling=0)
            elif fmt == "WEBP":
                kw.update(lossless=True)  # archives: no second generation loss
            elif fmt == "TIFF":
                kw.update(compression="tiff_deflate")
            Image.fromarray(rgb, "RGB").save(tmp, format=fmt, **kw)
        publish(tmp, path, overwrite)
    except BaseException:
        discard(tmp)
        raise


def _write_16bit(tmp: Path, rgb: np.ndarray, fmt: str) -> None:
    import av

    codec, pix = {"PNG": ("png", "rgb48be"), "TIFF": ("tiff", "rgb48le")}.get(fmt, (None, None))
    if codec is None:
        raise MediaError(f"{tmp}: 16-bit output needs PNG or TIFF, not {fmt}")
    frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb48le")
    ctx = av.CodecContext.create(codec, "w")
    ctx.width, ctx.height, ctx.pix_fmt = rgb.shape[1], rgb.shape[0], pix
    ctx.time_base = 1
    data = b"".join(bytes(p) for p in [*ctx.encode(frame.reformat(format=pix)), *ctx.encode(None)])
    tmp.write_bytes(data)
