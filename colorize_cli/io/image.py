"""Photos in and out: Pillow for 8-bit files and metadata, PyAV's PNG/TIFF encoders for 16-bit RGB."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from colorize_cli.errors import MediaError
from colorize_cli.files import require_regular
from colorize_cli.formats import ALPHA, FORMAT_OF_EXT, SIXTEEN_BIT
from colorize_cli.io.atomic import discard, partial_path, publish

MAX_PIXELS = 250_000_000  # larger is refused as a likely decompression bomb
# Pillow's check reads one process-wide limit and warns through the (thread-unsafe) warnings
# filters; read_photo checks each image against its own limit instead.
Image.MAX_IMAGE_PIXELS = None


@dataclass
class Photo:
    rgb: np.ndarray              # (H, W, 3) uint8 or uint16, upright
    bits: int
    exif: bytes | None = None
    icc: bytes | None = None
    dpi: tuple | None = None
    alpha: np.ndarray | None = None   # (H, W) uint8, kept when the output format holds it
    gray: bool | None = None     # stored as grey (R = G = B by construction); None: not known
    notes: list = field(default_factory=list)
    fingerprint: str | None = None   # of the bytes decoded (files.fingerprint), set by the pipeline


def output_format(path: Path) -> str:
    fmt = FORMAT_OF_EXT.get(Path(path).suffix.lower())
    if fmt is None:
        raise MediaError(f"{path}: unsupported output image type {Path(path).suffix!r}")
    return fmt


def icc_space(icc: bytes | None) -> str | None:
    """The colour space an ICC profile describes ('RGB', 'GRAY', 'CMYK', ...), from its header."""
    return icc[16:20].decode("ascii", "replace").strip() if icc and len(icc) >= 20 else None


def read_photo(path: Path, max_pixels: int = MAX_PIXELS, keep_alpha: bool = False) -> Photo:
    """Read a photo upright as RGB. With `keep_alpha`, a transparent image's alpha is returned
    beside its colour; else it is flattened onto white (and a note says so)."""
    path = Path(path)
    if require_regular(path).st_size == 0:
        raise MediaError(f"{path}: empty file (0 bytes)")
    try:
        img = Image.open(path)          # reads the header only
        w, h = img.size
        if w * h > max_pixels:          # checked here, per call: Pillow's own check is process-wide
            img.close()
            raise MediaError(f"{path}: image is too large ({w}x{h}, over {max_pixels:,} pixels); refused as "
                             "a possible decompression bomb (raise --max-pixels to allow it)")
        img.load()
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as e:
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
    photo = Photo(np.empty((0, 0, 3), np.uint8), 8, exif.tobytes() if len(exif) else None, None, dpi)
    if icc and icc_space(icc) == "RGB":
        photo.icc = icc          # an RGB result may keep an RGB profile; a grey or CMYK one would lie
    elif icc:
        photo.notes.append(f"its {icc_space(icc) or 'unreadable'} ICC profile does not describe the RGB "
                           f"output and was not copied")
    photo.gray = img.mode in GRAY_MODES or None
    photo.rgb, photo.bits = _to_rgb(img, path, photo, keep_alpha)
    return photo


GRAY_MODES = ("1", "L", "LA", "La", "I", "I;16", "I;16B", "I;16L", "F")


def _to_rgb(img: Image.Image, path: Path, photo: Photo, keep_alpha: bool) -> tuple[np.ndarray, int]:
    if img.mode in ("I;16", "I;16B", "I;16L", "I"):
        a = np.asarray(img)
        a = np.clip(a, 0, 65535).astype(np.uint16)
        return np.repeat(a[..., None], 3, -1), 16
    if img.mode == "F":   # 32-bit float TIFF: 0..1 is scaled to 16 bits; anything else is refused
        a = np.asarray(img, dtype=np.float32)
        if not np.isfinite(a).all() or a.min() < 0 or a.max() > 1:
            raise MediaError(f"{path}: 32-bit float image with values outside 0-1 "
                             f"({np.nanmin(a):.4g} to {np.nanmax(a):.4g}); convert it to 16-bit first")
        photo.notes.append("32-bit float input written as 16-bit")
        return np.repeat(np.round(a * 65535).astype(np.uint16)[..., None], 3, -1), 16
    if img.mode in ("RGBA", "LA", "PA", "La", "RGBa") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        if keep_alpha:
            a = np.asarray(rgba)
            photo.alpha = np.ascontiguousarray(a[..., 3])
            return np.ascontiguousarray(a[..., :3]), 8
        base = Image.new("RGBA", img.size, (255, 255, 255, 255))
        img = Image.alpha_composite(base, rgba)
        photo.notes.append("transparency flattened onto white (the output format has no alpha channel)")
    return np.asarray(img.convert("RGB")), 8


def write_photo(path: Path, rgb: np.ndarray, photo: Photo, overwrite: bool, quality: int = 95) -> None:
    """Write atomically in the format of `path`'s extension, keeping metadata where possible."""
    path = Path(path)
    fmt = output_format(path)
    if rgb.dtype == np.uint16 and fmt not in SIXTEEN_BIT:
        rgb = ((rgb.astype(np.uint32) + 128) // 257).astype(np.uint8)
        photo.notes.append(f"16-bit source written as 8-bit {fmt} ({fmt} holds 8 bits; PNG or TIFF keep 16)")
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
            img = Image.fromarray(rgb, "RGB")
            if photo.alpha is not None and fmt in ALPHA:
                img = Image.fromarray(np.dstack([rgb, photo.alpha]), "RGBA")   # colour is ours, alpha theirs
            img.save(tmp, format=fmt, **kw)
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
