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
    pixels: np.ndarray           # upright, uint8 or uint16: (H, W, 3) sRGB, or (H, W) for a grey file (one plane)
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
    img = _open_checked(path, max_pixels)
    # A TIFF's "EXIF" is its own structural tags (strips, sizes): never copied as EXIF.
    exif = img.getexif() if img.format != "TIFF" else Image.Exif()
    icc = img.info.get("icc_profile")
    dpi = img.info.get("dpi")
    deep = _png_rgb16(path) if img.format == "PNG" else None   # Pillow reads these as 8-bit
    orientation = exif.get(0x0112, 1)
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
    if deep is not None:
        photo.pixels, photo.bits = _deep_rgb(_orient(deep, orientation), photo, keep_alpha), 16
    else:
        photo.pixels, photo.bits = _to_rgb(img, path, photo, keep_alpha)
    return photo


def _open_checked(path: Path, max_pixels: int) -> Image.Image:
    """The image, loaded, after its header passed the pixel limit and the single-image check."""
    try:
        img = Image.open(path)          # reads the header only
        w, h = img.size
        if w * h > max_pixels:          # checked here, per call: Pillow's own check is process-wide
            img.close()
            raise MediaError(f"{path}: image is too large ({w}x{h}, over {max_pixels:,} pixels); refused as "
                             "a possible decompression bomb (raise --max-pixels to allow it)")
        frames = getattr(img, "n_frames", 1) or 1
        if frames > 1:   # colorizing the first alone would drop the rest silently
            what = "pages" if img.format == "TIFF" else "frames"
            img.close()
            raise MediaError(f"{path}: has {frames} {what}; only single images are colorized "
                             f"(split it into one file per {what[:-1]} first)")
        img.load()
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as e:
        raise MediaError(f"{path}: not a readable image ({e})") from None
    return img


def _png_rgb16(path: Path) -> np.ndarray | None:
    """A 16-bit RGB or RGBA PNG's pixels as (H, W, 3|4) uint16 RGB(A), else None."""
    with open(path, "rb") as f:
        head = f.read(26)
    if len(head) < 26 or head[24] != 16 or head[25] not in (2, 6):
        return None
    import cv2

    a = cv2.imdecode(np.fromfile(path, np.uint8), cv2.IMREAD_UNCHANGED)
    if a is None or a.dtype != np.uint16 or a.ndim != 3:
        raise MediaError(f"{path}: not a readable 16-bit PNG")
    return np.ascontiguousarray(a[..., [2, 1, 0, 3][: a.shape[2]]])


def _orient(a: np.ndarray, orientation: int) -> np.ndarray:
    """EXIF orientation applied as ImageOps.exif_transpose does."""
    t = a.transpose(1, 0, 2)
    out = {2: a[:, ::-1], 3: a[::-1, ::-1], 4: a[::-1], 5: t, 6: np.rot90(a, -1), 7: t[::-1, ::-1],
           8: np.rot90(a, 1)}.get(orientation, a)
    return np.ascontiguousarray(out)


def _deep_rgb(a: np.ndarray, photo: Photo, keep_alpha: bool) -> np.ndarray:
    if a.shape[2] == 3:
        return a
    rgb, alpha = a[..., :3], a[..., 3]
    if keep_alpha:
        photo.alpha = np.ascontiguousarray(alpha)
        return np.ascontiguousarray(rgb)
    w = alpha.astype(np.float64)[..., None] / 65535
    photo.notes.append("transparency flattened onto white (the output format has no alpha channel)")
    return np.round(rgb * w + 65535 * (1 - w)).astype(np.uint16)


GRAY_MODES = ("1", "L", "LA", "La", "I", "I;16", "I;16B", "I;16L", "F")


def _to_rgb(img: Image.Image, path: Path, photo: Photo, keep_alpha: bool) -> tuple[np.ndarray, int]:
    if img.mode in ("I;16", "I;16B", "I;16L", "I"):
        a = np.asarray(img)
        return np.clip(a, 0, 65535).astype(np.uint16), 16     # one grey plane, not tripled
    if img.mode == "F":   # 32-bit float TIFF: 0..1 is scaled to 16 bits; anything else is refused
        a = np.asarray(img, dtype=np.float32)
        if not np.isfinite(a).all() or a.min() < 0 or a.max() > 1:
            raise MediaError(f"{path}: 32-bit float image with values outside 0-1 "
                             f"({np.nanmin(a):.4g} to {np.nanmax(a):.4g}); convert it to 16-bit first")
        photo.notes.append("32-bit float input written as 16-bit")
        return np.round(a * 65535).astype(np.uint16), 16
    if img.mode in ("RGBA", "LA", "PA", "La", "RGBa") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        if keep_alpha:
            a = np.asarray(rgba)
            photo.alpha = np.ascontiguousarray(a[..., 3])
            return np.ascontiguousarray(a[..., :3]), 8
        base = Image.new("RGBA", img.size, (255, 255, 255, 255))
        img = Image.alpha_composite(base, rgba)
        photo.notes.append("transparency flattened onto white (the output format has no alpha channel)")
    if img.mode in ("1", "L"):
        return np.asarray(img.convert("L")), 8       # one grey plane, not tripled
    return np.asarray(img.convert("RGB")), 8


def write_photo(path: Path, rgb: np.ndarray, photo: Photo, overwrite: bool, quality: int = 95) -> None:
    """Write atomically in the format of `path`'s extension, keeping metadata where possible."""
    path = Path(path)
    fmt = output_format(path)
    if rgb.dtype == np.uint16 and fmt not in SIXTEEN_BIT:
        rgb = ((rgb.astype(np.uint32) + 128) // 257).astype(np.uint8)
        photo.notes.append(f"16-bit source written as 8-bit {fmt} ({fmt} holds 8 bits; PNG or TIFF keep 16)")
    alpha = photo.alpha if fmt in ALPHA else None
    if alpha is not None and alpha.dtype != rgb.dtype:      # the alpha follows the colour's depth
        alpha = (alpha.astype(np.uint16) * 257) if rgb.dtype == np.uint16 else \
            ((alpha.astype(np.uint32) + 128) // 257).astype(np.uint8)
    tmp = partial_path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        if rgb.dtype == np.uint16:
            _write_16bit(tmp, rgb, fmt, alpha, photo)
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
            if alpha is not None:
                img = Image.fromarray(np.dstack([rgb, alpha]), "RGBA")   # colour is ours, alpha theirs
            img.save(tmp, format=fmt, **kw)
        publish(tmp, path, overwrite)
    except BaseException:
        discard(tmp)
        raise


def _write_16bit(tmp: Path, rgb: np.ndarray, fmt: str, alpha: np.ndarray | None, photo: Photo) -> None:
    import av

    codec, pix = {"PNG": ("png", "rgb48be"), "TIFF": ("tiff", "rgb48le")}.get(fmt, (None, None))
    if codec is None:
        raise MediaError(f"{tmp}: 16-bit output needs PNG or TIFF, not {fmt}")
    src_fmt = "rgb48le"
    if alpha is not None:
        rgb, src_fmt, pix = np.dstack([rgb, alpha]), "rgba64le", pix.replace("rgb48", "rgba64")
    frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format=src_fmt)
    ctx = av.CodecContext.create(codec, "w")
    ctx.width, ctx.height, ctx.pix_fmt = rgb.shape[1], rgb.shape[0], pix
    ctx.time_base = 1
    data = b"".join(bytes(p) for p in [*ctx.encode(frame.reformat(format=pix)), *ctx.encode(None)])
    if fmt == "PNG":
        data = png_with_metadata(data, photo.dpi, photo.icc, photo.exif)
    elif photo.dpi or photo.icc or photo.exif:
        photo.notes.append("16-bit TIFF written without the source's DPI, EXIF and ICC profile "
                           "(16-bit PNG keeps them)")
    tmp.write_bytes(data)


def png_with_metadata(png: bytes, dpi, icc: bytes | None, exif: bytes | None) -> bytes:
    """`png` with pHYs (dpi), iCCP and eXIf chunks inserted after IHDR (what Pillow writes for
    8-bit PNGs; PyAV's encoder writes none)."""
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    extra = b""
    if icc:
        extra += chunk(b"iCCP", b"ICC Profile\0\0" + zlib.compress(icc))
    if dpi:
        extra += chunk(b"pHYs", struct.pack(">IIB", round(dpi[0] / 0.0254), round(dpi[1] / 0.0254), 1))
    if exif:
        extra += chunk(b"eXIf", exif[6:] if exif.startswith(b"Exif\0\0") else exif)
    end_ihdr = 8 + 8 + 13 + 4           # signature, IHDR length and type, 13 bytes, CRC
    return png[:end_ihdr] + extra + png[end_ihdr:]
