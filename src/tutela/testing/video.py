"""Benign synthetic videos made with real encoders (FFmpeg through PyAV).

Scenes are :func:`tutela.testing.synth.landscape` pictures (or any RGB images, e.g.
the shared benign corpus) with a coloured shape gliding across them, so consecutive
frames differ the way filmed frames do. Variants re-encode, resize, trim or retime a
video the way uploads and re-uploads change it in the wild.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from tutela.testing.synth import landscape

CONTAINER_CODECS = {
    ".mp4": "libx264",
    ".mov": "libx264",
    ".mkv": "libx264",
    ".webm": "libvpx-vp9",
    ".avi": "mpeg4",
}


def scene_frames(
    scenes: Sequence[Image.Image | int],
    seconds_per_scene: float = 2.0,
    fps: int = 10,
    size: tuple[int, int] = (320, 240),
    disc: float = 0.1,
) -> Iterator[np.ndarray]:
    """Frames of consecutive scenes (an image, or a landscape seed), each with a moving disc
    whose radius is ``disc`` of the frame height."""
    width, height = size
    per_scene = max(1, round(seconds_per_scene * fps))
    for number, scene in enumerate(scenes):
        base = landscape(scene, width, height) if isinstance(scene, int) else scene
        base = base.convert("RGB").resize((width, height), Image.Resampling.BILINEAR)
        radius = max(2, round(height * disc))
        for i in range(per_scene):
            picture = base.copy()
            x = radius + (width - 2 * radius) * i / max(1, per_scene - 1)
            y = height * (0.3 + 0.1 * (number % 3))
            colour = ((number * 80) % 256, 200, 255 - (number * 50) % 256)
            ImageDraw.Draw(picture).ellipse(
                [x - radius, y - radius, x + radius, y + radius], colour
            )
            yield np.asarray(picture)


def write_video(
    path: str | Path,
    frames: Iterable[np.ndarray],
    fps: int = 10,
    codec: str | None = None,
    times: Sequence[float] | None = None,
    options: dict[str, str] | None = None,
    container_options: dict[str, str] | None = None,
    metadata: dict[str, str] | None = None,
) -> Path:
    """Encode RGB frames into ``path`` (container from the suffix).

    ``times`` gives each frame's presentation time in seconds (variable frame rate);
    ``metadata`` becomes container tags.
    """
    import av

    path = Path(path)
    codec = codec or CONTAINER_CODECS.get(path.suffix.lower(), "libx264")
    with av.open(str(path), "w", options=container_options or {}) as container:
        container.metadata.update(metadata or {})
        stream: Any = container.add_stream(codec, rate=fps, options=options or {})
        stream.pix_fmt = "yuv420p"
        if times is not None:
            stream.time_base = Fraction(1, 1000)
        started = False
        for index, pixels in enumerate(frames):
            if not started:
                stream.height, stream.width = pixels.shape[:2]
                started = True
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(pixels), format="rgb24")
            if times is not None:
                frame.pts = round(times[index] * 1000)
                frame.time_base = Fraction(1, 1000)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def decoded_frames(path: str | Path) -> Iterator[tuple[float, np.ndarray]]:
    """(time, RGB) for every frame of a video, for building variants."""
    import av

    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            yield float(frame.time or 0.0), frame.to_ndarray(format="rgb24")


def variant(
    source: str | Path,
    target: str | Path,
    *,
    scale: float = 1.0,
    start: float = 0.0,
    end: float | None = None,
    fps: int = 10,
    codec: str | None = None,
    options: dict[str, str] | None = None,
) -> Path:
    """Re-encode ``source``: resized by ``scale``, trimmed to [start, end), in another codec."""

    def frames() -> Iterator[np.ndarray]:
        for t, pixels in decoded_frames(source):
            if t + 1e-6 < start or (end is not None and t >= end):
                continue
            if scale != 1.0:
                h, w = pixels.shape[:2]
                size = (max(2, round(w * scale / 2) * 2), max(2, round(h * scale / 2) * 2))
                pixels = np.asarray(Image.fromarray(pixels).resize(size, Image.Resampling.LANCZOS))
            yield pixels

    return write_video(target, frames(), fps=fps, codec=codec, options=options)


def animated_image(
    path: str | Path, scenes: Sequence[int], durations_ms: Sequence[int], size: tuple[int, int]
) -> Path:
    """An animated GIF or WebP (by suffix) of landscape scenes with per-frame delays."""
    images = [landscape(seed, *size) for seed in scenes]
    images[0].save(
        path, save_all=True, append_images=images[1:], duration=list(durations_ms), loop=0
    )
    return Path(path)


ORIGINAL_SCENES = (11, 12, 13)
UNRELATED_SCENES = (21, 22, 23)


@dataclass(frozen=True)
class VideoSet:
    """A known video, the ways it gets changed on re-upload, and a video it is not."""

    original: Path
    """Three landscape scenes of 2 s each, 10 frames/s, 320×240, H.264 in MP4."""
    reencoded: Path
    """The original as VP9 in WebM at low quality."""
    resized: Path
    """The original at half size, H.264 in MOV."""
    trimmed: Path
    """Seconds 2–5 of the original, MPEG-4 Part 2 in AVI."""
    unrelated: Path
    """Other scenes, same layout and motion."""


def make_video_set(folder: Path) -> VideoSet:
    original = write_video(folder / "original.mp4", scene_frames(ORIGINAL_SCENES), fps=10)
    return VideoSet(
        original=original,
        reencoded=variant(original, folder / "reencoded.webm", options={"crf": "45", "b:v": "0"}),
        resized=variant(original, folder / "resized.mov", scale=0.5),
        trimmed=variant(original, folder / "trimmed.avi", start=2.0, end=5.0),
        unrelated=write_video(folder / "unrelated.mp4", scene_frames(UNRELATED_SCENES), fps=10),
    )
