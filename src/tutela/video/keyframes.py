"""Key frames for review: which frames to show, and a blurred, greyscale strip of them.

A reviewer should grasp a video's content without watching it: a handful of stills,
one per scene, shown blurred and in grey until they choose to reveal one (the
workspace logs each reveal, as for images). Nothing here plays video or sound: the
strip is a single still image, so there is nothing to autoplay and nothing to mute.

Scene changes come for free from the vPDQ signature: consecutive sampled frames whose
PDQ hashes differ by more than :data:`SCENE_CHANGE_BITS` start a new scene, so the
choice needs no second decode. The strip itself decodes only the chosen frames.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from typing import Literal

import numpy as np
from PIL import Image, ImageFilter

from tutela.media.blob import Blob
from tutela.media.limits import DEFAULT_LIMITS, Limits
from tutela.signals.pdq import PDQ_QUALITY_THRESHOLD, hamming
from tutela.video.settings import VideoSettings
from tutela.video.vpdq import FrameHash

SCENE_CHANGE_BITS = 80
"""PDQ distance between consecutive samples taken as a cut (unrelated images sit near 128,
the same shot with motion mostly below 60)."""

Mode = Literal["scene", "uniform"]


def scene_starts(frames: Sequence[FrameHash], threshold: int = SCENE_CHANGE_BITS) -> list[int]:
    """Indices of frames that begin a scene (the first frame always does).

    Low-quality frames (fades, black frames) carry no usable hash: they never start a
    scene and are skipped when comparing.
    """
    starts: list[int] = []
    previous: str | None = None
    for i, f in enumerate(frames):
        if f.quality < PDQ_QUALITY_THRESHOLD:
            if not starts and i == len(frames) - 1:
                starts.append(0)
            continue
        if previous is None or hamming(previous, f.pdq) > threshold:
            starts.append(i)
        previous = f.pdq
    return starts or ([0] if frames else [])


def _spread(indices: Sequence[int], count: int) -> list[int]:
    """``count`` entries of ``indices`` spread evenly (first and last included)."""
    if len(indices) <= count:
        return list(indices)
    if count == 1:
        return [indices[0]]
    return [indices[round(k * (len(indices) - 1) / (count - 1))] for k in range(count)]


def select_keyframes(
    frames: Sequence[FrameHash], count: int = 8, mode: Mode = "scene"
) -> list[float]:
    """Timestamps (sorted, distinct, taken from ``frames``) of at most ``count`` key frames.

    ``uniform`` spreads them evenly over the sampled frames. ``scene`` takes one frame per
    scene (spread over the scenes when there are more scenes than ``count``) and fills
    the remaining places uniformly, so a one-shot video still gets a full strip.
    """
    if count < 1 or not frames:
        return []
    everything = list(range(len(frames)))
    if mode == "uniform":
        chosen = set(_spread(everything, count))
    else:
        chosen = set(_spread(scene_starts(frames), count))
        rest = [i for i in everything if i not in chosen]
        for i in _spread(rest, count - len(chosen)) if len(chosen) < count else []:
            chosen.add(i)
    return sorted({frames[i].timestamp for i in chosen})


class FrameKeeper:
    """Keeps small copies of sampled frames during the one decoding pass, so that the key
    frames can be analysed afterwards (provenance, content signals) without decoding the
    video again — seeking costs a whole group of pictures per frame.

    Scene starts are always kept; other frames are thinned (every other one dropped) when
    more than ``cap`` are held, so memory stays bounded on long videos while the uniform
    fill still has frames from everywhere. Copies are JPEG (quality 95, at most ``side``
    pixels), never written anywhere, and dropped with the analysis.
    """

    def __init__(self, cap: int = 256, side: int = 512) -> None:
        self.cap, self.side = cap, side
        self.kept: list[tuple[FrameHash, bytes, bool]] = []
        self._previous: str | None = None

    def offer(self, frame: FrameHash, pixels: np.ndarray) -> None:
        scene = frame.quality >= PDQ_QUALITY_THRESHOLD and (
            self._previous is None or hamming(self._previous, frame.pdq) > SCENE_CHANGE_BITS
        )
        if frame.quality >= PDQ_QUALITY_THRESHOLD:
            self._previous = frame.pdq
        image = Image.fromarray(pixels)
        if max(image.size) > self.side:  # box reduction by a whole factor: ~1 ms at 1080p
            image = image.reduce(math.ceil(max(image.size) / self.side))
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", quality=95)
        self.kept.append((frame, buffer.getvalue(), scene or not self.kept))
        if len(self.kept) > self.cap:
            self._thin()

    def _thin(self) -> None:
        others = [i for i, (_, _, scene) in enumerate(self.kept) if not scene]
        drop = set(others[1::2]) if len(others) > 1 else set(range(1, len(self.kept), 2))
        self.kept = [k for i, k in enumerate(self.kept) if i not in drop]

    def select(self, count: int, mode: Mode = "scene") -> list[tuple[float, bytes]]:
        """The key frames among those kept, as (timestamp, JPEG bytes)."""
        chosen = set(select_keyframes([f for f, _, _ in self.kept], count, mode))
        return [(f.timestamp, jpeg) for f, jpeg, _ in self.kept if f.timestamp in chosen]


def _tile(frame_rgb: Image.Image, height: int, blur: bool, grey: bool) -> Image.Image:
    image = frame_rgb.convert("L") if grey else frame_rgb
    width = max(1, round(image.width * height / max(1, image.height)))
    image = image.resize((width, height), Image.Resampling.BILINEAR)
    if blur:
        # Strong enough that shapes and colours stay readable but no detail does.
        image = image.filter(ImageFilter.GaussianBlur(radius=max(2.0, height / 14)))
    return image


def render_frames(
    blob: Blob,
    fmt: str,
    timestamps: Sequence[float],
    *,
    height: int = 120,
    blur: bool = True,
    grey: bool = True,
    where: str = "<video>",
    settings: VideoSettings | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> list[tuple[float, Image.Image]]:
    """Decode the frames at ``timestamps`` and return them as (time, tile) pairs.

    Blurred and greyscale by default; a reveal (``blur=False, grey=False``) is the
    caller's decision to log.
    """
    from tutela.video.source import open_source

    settings = settings or VideoSettings()
    tiles = []
    with open_source(blob, fmt, where, settings, limits) as source:
        for frame in source.seek_frames(list(timestamps)):
            pixels = frame.rgb(max(height * 4, 256))
            tiles.append((frame.timestamp, _tile(Image.fromarray(pixels), height, blur, grey)))
    return tiles


def render_strip(
    blob: Blob,
    fmt: str,
    timestamps: Sequence[float],
    *,
    height: int = 120,
    gap: int = 4,
    image_format: str = "PNG",
    where: str = "<video>",
    settings: VideoSettings | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> bytes:
    """One still image: the frames at ``timestamps`` side by side, blurred and greyscale."""
    tiles = [
        tile
        for _, tile in render_frames(
            blob, fmt, timestamps, height=height, where=where, settings=settings, limits=limits
        )
    ]
    width = sum(t.width for t in tiles) + gap * max(0, len(tiles) - 1)
    strip = Image.new("L", (max(1, width), height), color=32)
    x = 0
    for tile in tiles:
        strip.paste(tile, (x, 0))
        x += tile.width + gap
    buffer = io.BytesIO()
    strip.save(buffer, format=image_format)
    return buffer.getvalue()
