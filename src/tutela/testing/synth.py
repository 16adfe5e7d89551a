"""Benign synthetic images: skies, hills, suns and geometric shapes, fully deterministic.

Used by tests, benchmarks and the bundled samples so that no fixture ever needs a
real photograph of anyone.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageDraw, ImageFilter


def landscape(seed: int, width: int = 640, height: int = 480) -> Image.Image:
    """A sky gradient, a sun and rolling hills with texture; different for every seed."""
    rng = np.random.default_rng(seed)
    y = np.linspace(0, 1, height)[:, None]
    top = rng.uniform(40, 140, 3)
    bottom = rng.uniform(150, 255, 3)
    sky = (top * (1 - y) + bottom * y)[:, None, :].repeat(width, axis=1).reshape(height, width, 3)
    img = Image.fromarray(np.clip(sky, 0, 255).astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(img)
    sx, sy = rng.uniform(0.1, 0.9) * width, rng.uniform(0.1, 0.4) * height
    r = rng.uniform(0.04, 0.1) * min(width, height)
    draw.ellipse(
        [sx - r, sy - r, sx + r, sy + r], fill=tuple(int(v) for v in rng.uniform(200, 255, 3))
    )
    xs = np.arange(width + 1)
    for layer in range(3):
        base = height * (0.55 + 0.13 * layer)
        amp = rng.uniform(0.03, 0.12) * height
        freq = rng.uniform(1, 4) / width * 2 * np.pi
        phase = rng.uniform(0, 2 * np.pi)
        ys = base + amp * np.sin(xs * freq + phase)
        colour = tuple(int(v) for v in rng.uniform(20, 160, 3))
        draw.polygon(
            [(0, height), *zip(xs.tolist(), ys.tolist(), strict=True), (width, height)], fill=colour
        )
    for _ in range(int(rng.integers(4, 12))):
        x0, y0 = rng.uniform(0, width), rng.uniform(0.5 * height, height)
        w, h = rng.uniform(5, 40), rng.uniform(10, 60)
        draw.rectangle([x0, y0 - h, x0 + w, y0], fill=tuple(int(v) for v in rng.uniform(0, 255, 3)))
    noise = rng.normal(0, 6, (height, width, 3))
    arr = np.clip(np.asarray(img, dtype=np.float64) + noise, 0, 255).astype(np.uint8)
    return Image.fromarray(arr, "RGB").filter(ImageFilter.SMOOTH)


def shapes(seed: int, width: int = 512, height: int = 512) -> Image.Image:
    """Random rectangles, ellipses and lines on a gradient."""
    rng = np.random.default_rng(seed)
    gx = np.linspace(0, 1, width)[None, :, None]
    gy = np.linspace(0, 1, height)[:, None, None]
    c0, c1, c2 = (rng.uniform(0, 255, 3) for _ in range(3))
    arr = c0 * (1 - gx) + c1 * gx * (1 - gy) + c2 * gy * gx
    img = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(img)
    for _ in range(int(rng.integers(3, 14))):
        box = sorted(rng.uniform(0, width, 2)), sorted(rng.uniform(0, height, 2))
        xy = [box[0][0], box[1][0], box[0][1], box[1][1]]
        colour = tuple(int(v) for v in rng.uniform(0, 255, 3))
        shape = rng.integers(0, 3)
        if shape == 0:
            draw.rectangle(xy, fill=colour)
        elif shape == 1:
            draw.ellipse(xy, fill=colour)
        else:
            draw.line(xy, fill=colour, width=int(rng.integers(2, 12)))
    return img


def encode(image: Image.Image, fmt: str = "JPEG", **params: object) -> bytes:
    buf = io.BytesIO()
    if fmt.upper() == "JPEG" and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    image.save(buf, format=fmt, **params)
    return buf.getvalue()
