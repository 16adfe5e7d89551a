"""How videos are sampled and how far one file may go before it is stopped.

A seized drive holds feature-length films, damaged downloads and files crafted to
stall decoders side by side; every one of them must finish in bounded time and
memory. The defaults hash at 1 frame/s (the field's usual vPDQ rate) and give one
file ten minutes of decoding before it is cut off with a partial signature.

Settings travel to scan workers as plain strings (``PipelineSpec.extra``), so
:meth:`VideoSettings.to_options` and :meth:`VideoSettings.from_options` are inverses.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from tutela.errors import ConfigError

OPTION_PREFIX = "video."


@dataclass(frozen=True)
class VideoSettings:
    fps: float = 1.0
    """Frames hashed per second of video (vPDQ's ``seconds_per_hash`` is its inverse)."""

    frame_side: int = 0
    """Downscale frames to this long side before hashing; 0 hashes at native resolution,
    as ``vpdq`` does, so that frame hashes agree bit for bit with hash lists made by it."""

    timeout: float = 600.0
    """Seconds of decoding per file. At this budget decoding stops and the frames hashed
    so far are kept, marked incomplete."""

    hard_timeout_grace: float = 30.0
    """If the decoder has not stopped this long after ``timeout`` (a hang inside FFmpeg or a
    stalled read), its process is killed and the file gets a ``video-timeout`` error."""

    max_frames: int = 500_000
    """Frames decoded per file (about 4.6 hours at 30 frames/s); more are not decoded."""

    max_frame_pixels: int = 40_000_000
    """Frames larger than this (8K UHD is 33 megapixels) are refused before decoding."""

    threads: int = 1
    """Decoder threads per file. One suits ``tutela scan``, which already runs one worker per
    core; 0 lets FFmpeg choose (faster for a single large file)."""

    keyframes: int = 8
    """Key frames chosen for the review strip (and for per-frame signals)."""

    keep_frames: int = 1
    """1: keep small copies of the key frames during decoding for per-frame signals
    (provenance, content); 0: hashing only."""

    def __post_init__(self) -> None:
        if not 0 < self.fps <= 120:
            raise ConfigError(f"video frame rate must be in (0, 120] frames/s, got {self.fps}")
        if self.frame_side < 0 or 0 < self.frame_side < 32:
            raise ConfigError(
                f"video frame side must be 0 (native) or >= 32, got {self.frame_side}"
            )
        if self.timeout <= 0 or self.hard_timeout_grace <= 0:
            raise ConfigError("video timeouts must be positive")
        if self.max_frames < 1 or self.max_frame_pixels < 1 or self.keyframes < 1:
            raise ConfigError("video frame limits must be positive")
        if self.threads < 0:
            raise ConfigError(f"video decoder threads must be >= 0, got {self.threads}")

    @property
    def hard_timeout(self) -> float:
        return self.timeout + self.hard_timeout_grace

    def signature_version(self) -> str:
        """Part of the stored vPDQ signal version: a different rate or size is another signal."""
        side = "native" if self.frame_side == 0 else f"{self.frame_side}px"
        return f"{self.fps:g}fps-{side}"

    def to_options(self) -> dict[str, str]:
        """Only the values that differ from the defaults, as ``video.<name>`` strings."""
        default = VideoSettings()
        return {
            OPTION_PREFIX + f.name: str(getattr(self, f.name))
            for f in fields(self)
            if getattr(self, f.name) != getattr(default, f.name)
        }

    @classmethod
    def from_options(cls, options: Mapping[str, str]) -> VideoSettings:
        """Read ``video.<name>`` entries; unknown ``video.`` keys are a configuration error."""
        types = {f.name: f.type for f in fields(cls)}
        values: dict[str, Any] = {}
        for key, raw in options.items():
            if not key.startswith(OPTION_PREFIX):
                continue
            name = key[len(OPTION_PREFIX) :]
            if name not in types:
                raise ConfigError(f"unknown video setting {key!r}")
            try:
                values[name] = float(raw) if types[name] == "float" else int(raw)
            except ValueError as exc:
                raise ConfigError(f"video setting {key} needs a number, got {raw!r}") from exc
        return replace(cls(), **values) if values else cls()
