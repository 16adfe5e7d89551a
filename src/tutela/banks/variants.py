"""Hashes that let edited copies of a banked image match it.

PDQ survives resizing, recompression and small captions, but not cropping (a
3 % crop per side moves PDQ ~50 bits on real photos) or added borders. So:

* bank side: an image added to a bank also stores PDQ hashes of its centre with
  2, 4, 6 and 8 % cut from every side (``crop-N`` variants), so a copy cropped by
  roughly that much lands within the threshold of one of them;
* both sides: uniform borders (letterboxing, pillarboxing, padding of any flat
  colour) are detected and the inner picture hashed too (``unletterboxed``);
* both sides: the top and bottom 80 % of the picture are hashed (``top-80``,
  ``bottom-80``), so a caption laid over one edge leaves one region that still
  matches the same region of the banked image.

threatexchange ships an un-letterboxer, but it walks pixels in Python and only
removes pure black; this one works on a small NumPy array and any flat colour.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from tutela.signals.pdq import PdqHash, pdq_from_pixels

CROP_LEVELS = (2, 4, 6, 8)
"""Percent cut from every side for the bank-side crop variants."""
BORDER_TOLERANCE = 18
"""Largest difference (0-255) from the border colour still counted as border (JPEG ringing)."""
MIN_BORDER = 0.02
"""Borders thinner than this fraction of the side are ignored."""
MAX_BORDER = 0.45


def _hash(image: Image.Image) -> PdqHash:
    image = image.convert("RGB")
    if max(image.size) > 512:
        image = image.copy()
        image.thumbnail((512, 512), Image.Resampling.BILINEAR)
    return pdq_from_pixels(np.asarray(image))


def crop_variants(image: Image.Image) -> list[tuple[str, PdqHash]]:
    """PDQ of the centre of ``image`` with each of :data:`CROP_LEVELS` % cut per side."""
    width, height = image.size
    out = []
    for level in CROP_LEVELS:
        dx, dy = round(width * level / 100), round(height * level / 100)
        if width - 2 * dx < 16 or height - 2 * dy < 16:
            continue
        out.append((f"crop-{level}", _hash(image.crop((dx, dy, width - dx, height - dy)))))
    return out


REGIONS: dict[str, tuple[float, float, float, float]] = {
    "top-80": (0.0, 0.0, 1.0, 0.8),
    "bottom-80": (0.0, 0.2, 1.0, 1.0),
}
"""Named sub-regions (left, top, right, bottom as fractions) hashed on both sides."""


def region_hashes(image: Image.Image) -> list[tuple[str, PdqHash]]:
    """PDQ of each of :data:`REGIONS` of ``image``."""
    width, height = image.size
    out = []
    for name, (left, top, right, bottom) in REGIONS.items():
        box = (
            round(left * width),
            round(top * height),
            round(right * width),
            round(bottom * height),
        )
        if box[2] - box[0] >= 16 and box[3] - box[1] >= 16:
            out.append((name, _hash(image.crop(box))))
    return out


def border_box(rgb: np.ndarray) -> tuple[int, int, int, int] | None:
    """(left, top, right, bottom) of the picture inside flat borders, or None.

    A border row/column is one whose every pixel is within
    :data:`BORDER_TOLERANCE` of the colour of the image's corners.
    """
    if rgb.ndim != 3 or rgb.shape[0] < 8 or rgb.shape[1] < 8:
        return None
    arr = rgb.astype(np.int16)
    corners = np.stack([arr[0, 0], arr[0, -1], arr[-1, 0], arr[-1, -1]])
    colour = np.median(corners, axis=0)
    flat = np.abs(arr - colour).max(axis=2) <= BORDER_TOLERANCE
    rows = flat.all(axis=1)
    cols = flat.all(axis=0)
    height, width = flat.shape
    top = _run(rows)
    bottom = _run(rows[::-1])
    left = _run(cols)
    right = _run(cols[::-1])
    if top + bottom >= height or left + right >= width:
        return None  # a flat image, not a bordered one
    sides = (top / height, bottom / height, left / width, right / width)
    if max(sides) < MIN_BORDER or max(sides) > MAX_BORDER:
        return None
    keep = [s if s >= MIN_BORDER else 0.0 for s in sides]
    return (
        round(keep[2] * width),
        round(keep[0] * height),
        width - round(keep[3] * width),
        height - round(keep[1] * height),
    )


def _run(flags: np.ndarray) -> int:
    """Length of the leading run of True."""
    false = np.nonzero(~flags)[0]
    return int(false[0]) if len(false) else len(flags)


def unletterboxed(image: Image.Image, probe: Image.Image | None = None) -> PdqHash | None:
    """PDQ of the picture inside flat borders, or None when there are none.

    ``probe`` may be a small copy of the image to find the borders on cheaply.
    """
    small = probe if probe is not None else image
    box = border_box(np.asarray(small.convert("RGB")))
    if box is None:
        return None
    sx, sy = image.size[0] / small.size[0], image.size[1] / small.size[1]
    left, top, right, bottom = box
    inner = image.crop((round(left * sx), round(top * sy), round(right * sx), round(bottom * sy)))
    return _hash(inner)
