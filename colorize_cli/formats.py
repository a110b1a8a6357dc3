"""File types colorize reads and writes (extensions, lower case, with the dot)."""

IMAGE_EXTS = {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp", ".bmp"}
VIDEO_EXTS = {".mp4", ".m4v", ".mkv", ".mov", ".avi", ".webm", ".mpg", ".mpeg", ".ts", ".m2ts",
              ".mxf", ".wmv", ".flv", ".3gp", ".ogv", ".y4m", ".nut"}
# Pillow format of each photo extension; formats that hold 16 bits and an alpha channel.
FORMAT_OF_EXT = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG", ".tif": "TIFF", ".tiff": "TIFF",
                 ".webp": "WEBP", ".bmp": "BMP"}
SIXTEEN_BIT = {"PNG", "TIFF"}
ALPHA = {"PNG", "TIFF", "WEBP"}
# The video encoder a container needs when none is asked for.
# AVI and MPEG-PS take their own era's codecs: H.264 in AVI reads back one frame late in FFmpeg
# (no timestamps in AVI; the H.264 parser assumes a reorder delay), and H.264 in MPEG-PS loses
# timestamps of frames whose PES packets carry none.
CODEC_FOR_EXT = {".webm": "libvpx-vp9", ".ogv": "libtheora", ".avi": "mpeg4", ".mpg": "mpeg2video",
                 ".mpeg": "mpeg2video", ".vob": "mpeg2video", ".m2v": "mpeg2video"}
QSCALE_CODECS = {"mpeg4", "mpeg2video", "mpeg1video"}      # quality by qscale 1-31: from --crf
DEFAULT_CODEC = "libx264"


def normalize_ext(ext: str) -> str:
    """'PNG', 'png' or '.png' -> '.png'."""
    ext = ext.strip().lower()
    return ext if ext.startswith(".") else "." + ext


def kind_of_ext(ext: str) -> str | None:
    ext = ext.lower()
    return "image" if ext in IMAGE_EXTS else "video" if ext in VIDEO_EXTS else None
