"""One call from a file to everything tutela records about a video.

``analyse_video`` opens the file, reads what the container declares, streams the
frames once under the file's time and frame budget, hashes the sampled frames with
PDQ, and picks key frames for review — inside a child process that is killed at the
hard time limit (:mod:`tutela.video.guard`). Partial results are kept and say why
they are partial; a file that yields no picture at all raises a specific error.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from tutela.errors import MediaError, UnsupportedFormat
from tutela.media.blob import Blob
from tutela.media.limits import DEFAULT_LIMITS, Limits
from tutela.media.sniff import SNIFF_BYTES, sniff
from tutela.signals.pdq import pdq_from_pixels
from tutela.video.errors import VideoDamaged, VideoLimitReached
from tutela.video.guard import run_guarded
from tutela.video.keyframes import FrameKeeper, select_keyframes
from tutela.video.sampling import sample
from tutela.video.settings import VideoSettings
from tutela.video.source import (
    ANIMATED_IMAGE_FORMATS,
    Budget,
    VideoInfo,
    declared_shortfall,
    open_source,
    require_frames,
)
from tutela.video.vpdq import FrameHash

STORED_TAG_CHARS = 500
"""Tag values are cut to this length in the stored ``video`` signal."""

KEEP_SIDE = 512
"""Long side of the key-frame copies kept for per-frame signals."""

VFR_TOLERANCE = 0.25
"""An interval further than this share from the most common one is irregular ..."""

VFR_SHARE = 0.05
"""... and a stream with more irregular intervals than this share has a variable frame rate
(a single dropped frame in a damaged file does not make it variable)."""


@dataclass(frozen=True)
class VideoAnalysis:
    info: VideoInfo
    frames: list[FrameHash]
    """The vPDQ signature: one PDQ per sampled frame, in time order."""
    frames_read: int
    """Frames read from the stream (those far from a sampling instant that no other frame
    depends on are read but not reconstructed)."""
    decoded_seconds: float
    """Time of the last decoded frame plus one frame interval."""
    variable_frame_rate: bool
    keyframes: list[float]
    settings: VideoSettings
    elapsed: float
    """Wall-clock seconds spent decoding and hashing."""
    stopped: str | None = None
    damage: list[str] = field(default_factory=list)
    keyframe_images: list[tuple[float, bytes]] = field(default_factory=list, repr=False)
    """The key frames as JPEG (at most 512 px) for per-frame analysis; never stored."""

    @property
    def complete(self) -> bool:
        return self.stopped is None and not self.damage

    def warnings(self, where: str) -> list[MediaError]:
        found: list[MediaError] = []
        if self.stopped == "time-limit":
            found.append(
                VideoLimitReached(
                    f"decoding stopped at the {self.settings.timeout:g} s time limit after "
                    f"{self.decoded_seconds:.1f} s of video; the signature covers that part",
                    where,
                )
            )
        elif self.stopped == "frame-limit":
            found.append(
                VideoLimitReached(
                    f"decoding stopped at the {self.settings.max_frames:,}-frame limit after "
                    f"{self.decoded_seconds:.1f} s of video; the signature covers that part",
                    where,
                )
            )
        found.extend(VideoDamaged(note, where) for note in self.damage)
        return found

    def video_json(self) -> dict[str, Any]:
        """The ``video`` signal: what the file is and how far decoding got."""
        info = self.info
        return {
            "container": info.container,
            "codec": info.codec,
            "width": info.width,
            "height": info.height,
            "duration": info.duration if info.duration is not None else self.decoded_seconds,
            "fps": info.fps,
            "frames": info.frames,
            "variable_frame_rate": self.variable_frame_rate,
            "has_audio": info.has_audio,
            "audio_codec": info.audio_codec,
            "frames_read": self.frames_read,
            "decoded_seconds": self.decoded_seconds,
            "complete": self.complete,
            "stopped": self.stopped,
            "damage": self.damage,
            "keyframes": self.keyframes,
            "tags": {k: v[:STORED_TAG_CHARS] for k, v in info.tags.items()},
        }

    def vpdq_json(self) -> dict[str, Any]:
        """The ``vpdq`` signal: sampling parameters and the per-frame hashes."""
        return {
            "fps": self.settings.fps,
            "frame_side": self.settings.frame_side,
            "complete": self.complete,
            "frames": [f.to_json() for f in self.frames],
        }


def _analyse(
    blob: Blob, fmt: str, where: str, settings: VideoSettings, limits: Limits
) -> VideoAnalysis:
    started = time.monotonic()
    budget = Budget(settings)
    frames: list[FrameHash] = []
    keeper = FrameKeeper(side=KEEP_SIDE)
    with open_source(blob, fmt, where, settings, limits) as source:
        progress = source.progress

        for chosen in sample(source.frames(budget, 1 / settings.fps), settings.fps):
            pixels = chosen.rgb(settings.frame_side)
            pdq = pdq_from_pixels(pixels)
            frames.append(FrameHash(chosen.timestamp, pdq.hex, pdq.quality))
            if settings.keep_frames:
                keeper.offer(frames[-1], pixels)
        require_frames(progress, where)
        info = source.info
    damage = [progress.damage] if progress.damage else []
    shortfall = declared_shortfall(info, progress)
    if shortfall:
        damage.append(f"file ends early: {shortfall}")
    interval = 1 / info.fps if info.fps else 0.0
    decoded_seconds = round((progress.last_timestamp or 0.0) + interval, 3)
    return VideoAnalysis(
        info=info,
        frames=frames,
        frames_read=progress.frames,
        decoded_seconds=decoded_seconds,
        variable_frame_rate=variable_frame_rate(progress.intervals),
        keyframes=select_keyframes(frames, settings.keyframes),
        keyframe_images=keeper.select(settings.keyframes),
        settings=settings,
        elapsed=round(time.monotonic() - started, 3),
        stopped=progress.stopped,
        damage=damage,
    )


def variable_frame_rate(intervals: Counter[int]) -> bool:
    """Whether frame intervals (in ms, counted) stray from the usual one often enough."""
    total = sum(intervals.values())
    if total < 2:
        return False
    usual = intervals.most_common(1)[0][0]
    irregular = sum(
        n for ms, n in intervals.items() if abs(ms - usual) > max(2, VFR_TOLERANCE * usual)
    )
    return irregular > VFR_SHARE * total


def analyse_video(
    blob: Blob,
    fmt: str,
    where: str = "<video>",
    settings: VideoSettings | None = None,
    limits: Limits = DEFAULT_LIMITS,
    guarded: bool = True,
) -> VideoAnalysis:
    """Analyse a video (or animated GIF/WebP) held by ``blob`` and sniffed as ``fmt``.

    ``guarded`` runs the work in a child process killed at the hard time limit; turn it
    off only where forking is unsafe (a multi-threaded server) or for profiling.
    """
    settings = settings or VideoSettings()
    work = partial(_analyse, blob, fmt, where, settings, limits)
    if guarded:
        return run_guarded(work, settings.hard_timeout, where)
    return work()


def analyse_file(
    path: str, settings: VideoSettings | None = None, limits: Limits = DEFAULT_LIMITS
) -> VideoAnalysis:
    """Analyse a video file on disk (streamed from the path, never loaded whole)."""
    blob = Blob.from_path(path, load_limit=0)
    sniffed = sniff(blob.head(SNIFF_BYTES))
    if sniffed.kind != "video" and sniffed.format not in ANIMATED_IMAGE_FORMATS:
        raise UnsupportedFormat(f"not a video ({sniffed.kind} {sniffed.format})", path)
    return analyse_video(blob, sniffed.format, path, settings, limits)
