"""Decode images safely with Pillow (and pillow-heif for HEIC/AVIF).

Pixel limits are checked from the header before any pixel is decoded, and every
decoder exception is translated into a specific :mod:`tutela.errors` type so a
batch records it and goes on. JPEGs are downscaled in the DCT domain
(``Image.draft``), which is what makes hashing large camera photos cheap.
"""

from __future__ import annotations

import io
import math
import struct
import warnings
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFile, UnidentifiedImageError

from tutela.errors import (
    CorruptMedia,
    DecompressionBomb,
    MediaError,
    TruncatedMedia,
    UnsupportedFormat,
)
from tutela.media.blob import Blob
from tutela.media.limits import Limits

# Our own pixel limit replaces Pillow's global one (checked before decoding).
Image.MAX_IMAGE_PIXELS = None
ImageFile.LOAD_TRUNCATED_IMAGES = False

_heif_registered = False


def _register_heif() -> None:
    global _heif_registered
    if not _heif_registered:
        import pillow_heif

        pillow_heif.register_heif_opener()
        _heif_registered = True


@dataclass(frozen=True)
class ImageInfo:
    format: str
    width: int
    height: int
    mode: str
    frames: int


@contextmanager
def decode_errors(where: str) -> Iterator[None]:
    """Translate decoder exceptions into recorded error kinds."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    except MediaError:
        raise
    except UnidentifiedImageError as exc:
        raise CorruptMedia("not a decodable image (header unreadable)", where) from exc
    except Image.DecompressionBombError as exc:
        raise DecompressionBomb(str(exc), where) from exc
    except (
        OSError,
        SyntaxError,
        ValueError,
        EOFError,
        struct.error,
        IndexError,
        zlib.error,
        TypeError,
        KeyError,
        ZeroDivisionError,
        RuntimeError,
    ) as exc:
        text = str(exc) or type(exc).__name__
        if "truncated" in text.lower() or isinstance(exc, EOFError):
            raise TruncatedMedia(f"image data ends early: {text}", where) from exc
        raise CorruptMedia(f"image data is damaged: {text}", where) from exc
    except MemoryError as exc:
        raise DecompressionBomb("decoder ran out of memory", where) from exc


def open_image(blob: Blob, where: str, limits: Limits) -> Image.Image:
    """Open (header only) and enforce the pixel limit before any decoding."""
    if blob.data is None and blob.size > limits.max_decode_bytes:
        raise MediaError(f"{blob.size} bytes is above the decode limit", where)
    _register_heif()
    data = blob.data if blob.data is not None else blob.open().read()
    with decode_errors(where):
        im = Image.open(io.BytesIO(data))
        width, height = im.size
        if width <= 0 or height <= 0:
            raise CorruptMedia(f"image declares a size of {width}x{height}", where)
        if width * height > limits.max_pixels:
            raise DecompressionBomb(
                f"{width}x{height} = {width * height} pixels exceeds the limit of "
                f"{limits.max_pixels}",
                where,
            )
        return im


def image_info(im: Image.Image, fmt: str) -> ImageInfo:
    return ImageInfo(
        format=fmt,
        width=im.size[0],
        height=im.size[1],
        mode=im.mode,
        frames=int(getattr(im, "n_frames", 1) or 1),
    )


def _to_rgb(im: Image.Image) -> Image.Image:
    if im.mode == "RGB":
        return im
    if im.mode in ("RGBA", "RGBa", "RGBX"):
        return im.convert("RGB")
    if im.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        # Scale wide integer/float samples into 8 bits rather than clipping them.
        arr = np.asarray(im, dtype=np.float64)
        top = float(arr.max()) if arr.size else 0.0
        scaled = (arr * (255.0 / top)) if top > 255 else arr
        return Image.fromarray(np.clip(scaled, 0, 255).astype(np.uint8), "L").convert("RGB")
    return im.convert("RGB")


def _reduce_to(im: Image.Image, max_side: int) -> Image.Image:
    longest = max(im.size)
    if longest <= max_side:
        return im
    factor = math.ceil(longest / max_side)
    return im.reduce(factor)


def decode_rgb(
    blob: Blob, fmt: str, where: str, limits: Limits, max_side: int | None = None
) -> Image.Image:
    """Decode to RGB (first frame), optionally no larger than ``max_side`` on the long side."""
    im = open_image(blob, where, limits)
    with decode_errors(where):
        if max_side is not None and fmt == "jpeg" and max(im.size) > max_side:
            scale = max_side / max(im.size)
            im.draft("RGB", (max(1, int(im.size[0] * scale)), max(1, int(im.size[1] * scale))))
        im.load()
        rgb = _to_rgb(im)
        if max_side is not None and max(rgb.size) > max_side:
            rgb = rgb.copy()
            rgb.thumbnail((max_side, max_side), Image.Resampling.BILINEAR)
        return rgb


def pdq_pixels(
    blob: Blob, fmt: str, where: str, limits: Limits, max_side: int | None = 512
) -> tuple[np.ndarray, ImageInfo]:
    """Pixels for PDQ: an H×W×3 uint8 array (possibly a grey array broadcast to 3 channels).

    ``max_side=None`` hashes the full-resolution RGB array, exactly as the reference
    (threatexchange/pdqhash) does. Otherwise images larger than ``max_side`` are
    reduced first, as the C++ reference itself resizes to 512 px: JPEGs by DCT-domain
    decoding straight to luma (no colour conversion at all), others by box reduction.
    """
    im = open_image(blob, where, limits)
    info = image_info(im, fmt)
    with decode_errors(where):
        if (
            max_side is not None
            and fmt == "jpeg"
            and max(im.size) > max_side
            and im.mode in ("RGB", "L", "YCbCr")
        ):
            # Ask for half the target: libjpeg picks the smallest 1/8..1/1 scale at or above it.
            scale = max_side / 2 / max(im.size)
            im.draft("L", (max(1, int(im.size[0] * scale)), max(1, int(im.size[1] * scale))))
            im.load()
            grey = _reduce_to(im.convert("L"), max_side)
            arr = np.asarray(grey)
            return np.broadcast_to(arr[:, :, None], (*arr.shape, 3)), info
        im.load()
        rgb = _to_rgb(im)
        if max_side is not None:
            rgb = _reduce_to(rgb, max_side)
        return np.asarray(rgb), info


def check_decodable(fmt: str) -> None:
    if fmt not in {"jpeg", "png", "gif", "webp", "bmp", "tiff", "heif", "avif"}:
        raise UnsupportedFormat(f"{fmt} is not an image format tutela decodes")
