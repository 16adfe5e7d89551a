"""The edits shared copies go through, for robustness tests and benchmarks.

Each edit takes an RGB image and returns the edited image; they model what
reposting does to a picture: resizing, recompression (applied when encoding),
a caption laid over it, a slight crop, letterboxing into another aspect ratio.
"""

from __future__ import annotations

from collections.abc import Callable

from PIL import Image, ImageDraw, ImageFont

Edit = Callable[[Image.Image], Image.Image]


def resize(image: Image.Image) -> Image.Image:
    w, h = image.size
    return image.resize((max(1, w // 2), max(1, h // 2)), Image.Resampling.LANCZOS)


def recompress(image: Image.Image) -> Image.Image:
    """Unchanged pixels: the edit is the low JPEG quality it is saved with."""
    return image.copy()


def caption(image: Image.Image) -> Image.Image:
    """A meme-style caption in a translucent bar over the bottom of the picture."""
    out = image.convert("RGBA")
    w, h = out.size
    bar = Image.new("RGBA", out.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(bar)
    top = int(h * 0.84)
    draw.rectangle([0, top, w, h], fill=(0, 0, 0, 150))
    font = ImageFont.load_default(size=max(10, h // 16))
    draw.text(
        (w // 20, top + h // 40), "A SUNNY DAY BY THE LAKE", fill=(255, 255, 255, 255), font=font
    )
    return Image.alpha_composite(out, bar).convert("RGB")


def crop3(image: Image.Image) -> Image.Image:
    """3 % cut from every side."""
    w, h = image.size
    dx, dy = round(w * 0.03), round(h * 0.03)
    return image.crop((dx, dy, w - dx, h - dy))


def letterbox(image: Image.Image) -> Image.Image:
    """Padded with black bars to a square (as video frames and some apps do)."""
    w, h = image.size
    side = max(w, h)
    canvas = Image.new("RGB", (side, side), (0, 0, 0))
    canvas.paste(image, ((side - w) // 2, (side - h) // 2))
    return canvas


EDITS: dict[str, tuple[Edit, int]] = {
    "resize 50%": (resize, 90),
    "recompress q=40": (recompress, 40),
    "caption": (caption, 85),
    "crop 3%/side": (crop3, 90),
    "letterbox": (letterbox, 90),
}
"""Edit name → (edit, JPEG quality it is saved with)."""
