"""Open a moving image, describe it, and stream its frames without holding the video.

Containers (MP4/MOV, WebM/MKV, AVI, ...) are demuxed and decoded by FFmpeg through
PyAV, packet by packet; animated GIF and WebP go through Pillow (FFmpeg cannot decode
animated WebP), using the same pixel limits as still images. Either way a frame is
only converted to RGB when it is chosen for hashing, and every packet checks the
file's time and frame budget, so an endless or stalling stream stops on time.

Damage is reported specifically: a file that ends before its index, a stream with no
pictures, packets that do not decode. What did decode is still used.
"""

from __future__ import annotations

import heapq
import io
import math
import struct
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from typing import Any, BinaryIO

import numpy as np

from tutela.errors import (
    CorruptMedia,
    DecompressionBomb,
    MediaError,
    TruncatedMedia,
    UnsupportedFormat,
)
from tutela.media.blob import Blob
from tutela.media.limits import Limits
from tutela.video.errors import NoFrames, NoVideoStream
from tutela.video.settings import VideoSettings

ANIMATED_IMAGE_FORMATS = frozenset({"gif", "webp"})
"""Image formats that may hold an animation (decoded by Pillow, hashed like video)."""

MIN_FRAME_DURATION_MS = 20
"""GIF/WebP frames declaring a shorter delay are shown for 100 ms by browsers; we do too."""

MAX_TAGS = 64
MAX_TAG_CHARS = 256 * 1024
"""Tags are kept long enough for generator metadata (a ComfyUI graph in ``comment``);
the stored ``video`` signal shortens them (:data:`tutela.video.analyse.STORED_TAG_CHARS`)."""
MAX_CONSECUTIVE_BAD_PACKETS = 200


@dataclass(frozen=True)
class VideoInfo:
    """What the container declares (before decoding)."""

    container: str
    codec: str
    width: int
    height: int
    duration: float | None
    fps: float | None
    frames: int | None
    has_audio: bool
    audio_codec: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    """Container and video-stream metadata (encoder, creation time, handler, ...)."""


@dataclass
class Frame:
    """One decoded picture: its time from the start of the stream and lazy RGB pixels."""

    timestamp: float
    width: int
    height: int
    _to_rgb: Callable[[int, int], np.ndarray]

    def rgb(self, max_side: int = 0) -> np.ndarray:
        """H×W×3 uint8 pixels, downscaled to ``max_side`` on the long side when non-zero."""
        width, height = fit(self.width, self.height, max_side)
        return self._to_rgb(width, height)


@dataclass
class Progress:
    """What decoding got through, and why it stopped early (if it did)."""

    packets: int = 0
    frames: int = 0
    """Frames read from the stream (reconstructed or not)."""
    bad_packets: int = 0
    last_timestamp: float | None = None
    stopped: str | None = None
    """``time-limit`` or ``frame-limit`` when a budget cut decoding short."""
    damage: str | None = None
    """Why the stream ended early or skipped data (a read error, undecodable packets)."""
    intervals: Counter[int] = field(default_factory=Counter)
    """How often each interval between consecutive frames occurs (milliseconds)."""


class PresentationOrder:
    """Frame intervals in presentation order, from packet times that arrive in decode order.

    Decoders reorder frames by a few places at most (B-frames); a small heap restores the
    order without keeping the whole stream's timestamps.
    """

    WINDOW = 32

    def __init__(self, intervals: Counter[int]) -> None:
        self.intervals = intervals
        self.heap: list[float] = []
        self.last: float | None = None
        self.largest = 0.0

    def add(self, t: float) -> None:
        heapq.heappush(self.heap, t)
        if len(self.heap) > self.WINDOW:
            self._emit(heapq.heappop(self.heap))

    def finish(self) -> None:
        while self.heap:
            self._emit(heapq.heappop(self.heap))

    def _emit(self, t: float) -> None:
        if self.last is not None and t > self.last:
            step = t - self.last
            self.intervals[round(step * 1000)] += 1
            self.largest = max(self.largest, step)
        if self.last is None or t > self.last:
            self.last = t


class Skipper:
    """Whether a frame is far enough from every sampling instant to go unreconstructed.

    The margin is three frame intervals, widened to twice the longest gap between frames
    seen so far, so that on sparse variable-rate video the frame on screen at an instant
    is always decoded.
    """

    def __init__(self, every: float | None, frame_interval: float | None) -> None:
        self.every = every
        self.margin = 3 * frame_interval if frame_interval else 0.0

    def widen(self, gap: float) -> None:
        self.margin = max(self.margin, 2 * gap)

    def far(self, t: float) -> bool:
        if self.every is None or self.margin <= 0 or self.every < 4 * self.margin:
            return False
        phase = t % self.every
        return min(phase, self.every - phase) > self.margin


class Budget:
    """A file's decoding budget: a deadline and a frame count, checked on every packet."""

    def __init__(self, settings: VideoSettings, clock: Callable[[], float] = time.monotonic):
        self.clock = clock
        self.deadline = clock() + settings.timeout
        self.max_frames = settings.max_frames
        self.timeout = settings.timeout

    def exceeded(self, progress: Progress) -> str | None:
        if progress.frames >= self.max_frames:
            return "frame-limit"
        if self.clock() >= self.deadline:
            return "time-limit"
        return None


def fit(width: int, height: int, max_side: int) -> tuple[int, int]:
    """Dimensions scaled to fit ``max_side`` (never upscaled; 0 means unchanged)."""
    longest = max(width, height)
    if max_side <= 0 or longest <= max_side:
        return width, height
    scale = max_side / longest
    return max(1, round(width * scale)), max(1, round(height * scale))


class VideoSource(AbstractContextManager["VideoSource"]):
    """Common interface of the two decoders."""

    info: VideoInfo
    progress: Progress

    def frames(self, budget: Budget, sample_every: float | None = None) -> Iterator[Frame]:
        raise NotImplementedError

    def seek_frames(self, timestamps: list[float]) -> Iterator[Frame]:
        """The first frame at or after each timestamp (for key-frame strips)."""
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_source(
    blob: Blob, fmt: str, where: str, settings: VideoSettings, limits: Limits
) -> VideoSource:
    """Open ``blob`` (sniffed as ``fmt``) for decoding; raises a specific MediaError."""
    if fmt in ANIMATED_IMAGE_FORMATS:
        return PillowSource(blob, fmt, where, settings, limits)
    return AvSource(blob, fmt, where, settings)


def is_animated(blob: Blob, fmt: str, where: str, limits: Limits) -> bool:
    """True for a GIF/WebP with more than one frame (still ones stay plain images)."""
    if fmt not in ANIMATED_IMAGE_FORMATS:
        return False
    from tutela.media.image import decode_errors, open_image

    im = open_image(blob, where, limits)
    with decode_errors(where):
        return bool(getattr(im, "is_animated", False))


# -- FFmpeg (PyAV) ----------------------------------------------------------------------


def _clean_tags(*sources: dict[str, Any]) -> dict[str, str]:
    tags: dict[str, str] = {}
    for source in sources:
        for key, value in source.items():
            if len(tags) >= MAX_TAGS:
                return tags
            text = str(value).replace("\x00", "").strip()
            if text and str(key) not in tags:
                tags[str(key)[:100]] = text[:MAX_TAG_CHARS]
    return tags


def _container_name(fmt: str, long_name: str) -> str:
    """A short container name: the sniffed one where it is specific, else FFmpeg's."""
    if fmt in ("mp4", "mov", "webm", "mkv", "avi"):
        return fmt
    return long_name.split(",")[0]


def mp4_structure_problem(stream: BinaryIO, size: int) -> str | None:
    """Why an MP4/MOV that FFmpeg cannot open is broken, from its top-level boxes.

    FFmpeg only says "invalid data"; users need to know whether a download was cut
    short (a box runs past the end, or the ``moov`` index is missing) or the file is
    simply not what it claims.
    """
    offset, seen = 0, []
    while offset + 8 <= size:
        stream.seek(offset)
        header = stream.read(16)
        if len(header) < 8:
            break
        box_size, box_type = struct.unpack(">I4s", header[:8])
        name = box_type.decode("latin-1")
        if box_size == 1 and len(header) >= 16:
            box_size = struct.unpack(">Q", header[8:16])[0]
        elif box_size == 0:
            box_size = size - offset
        if box_size < 8:
            return f"box {name!r} at byte {offset} declares an impossible size ({box_size})"
        if offset + box_size > size:
            missing = offset + box_size - size
            index = "" if "moov" in seen else " before its index (moov)"
            return f"file ends {missing:,} bytes inside its {name!r} box{index}: truncated"
        seen.append(name)
        offset += box_size
    if "moov" not in seen:
        return "file has no index (moov box): truncated or never finished recording"
    return None


class AvSource(VideoSource):
    """A container decoded by FFmpeg: streaming from the file, or from memory."""

    def __init__(self, blob: Blob, fmt: str, where: str, settings: VideoSettings) -> None:
        import av

        self.where, self.settings, self.fmt = where, settings, fmt
        self.progress = Progress()
        self._fh: BinaryIO | None = None
        target: Any
        if blob.path is not None:
            target = blob.path  # FFmpeg streams from the file (and can seek)
        else:
            target = io.BytesIO(blob.data) if blob.data is not None else blob.open()
            self._fh = target
        try:
            self.container = av.open(target, mode="r", metadata_errors="ignore")
        except av.error.EOFError as exc:
            self._close_fh()
            raise TruncatedMedia("file ends before the first frame", where) from exc
        except av.error.FFmpegError as exc:
            self._close_fh()
            raise self._open_error(blob, exc) from exc
        except (OSError, ValueError, UnicodeDecodeError) as exc:
            self._close_fh()
            raise CorruptMedia(f"not a decodable video: {exc}", where) from exc
        try:
            self.info = self._probe()
        except BaseException:
            self.close()
            raise

    def _open_error(self, blob: Blob, exc: Exception) -> MediaError:
        reason = getattr(exc, "strerror", None) or str(exc)
        if self.fmt in ("mp4", "mov"):
            with blob.open() as fh:
                problem = mp4_structure_problem(fh, blob.size)
            if problem and "truncated" in problem:
                return TruncatedMedia(problem, self.where)
            if problem:
                return CorruptMedia(problem, self.where)
        return CorruptMedia(f"not a decodable video ({reason})", self.where)

    def _probe(self) -> VideoInfo:
        import av

        container = self.container
        if not container.streams.video:
            audio = ", ".join(s.codec_context.name for s in container.streams.audio) or "none"
            raise NoVideoStream(f"the container holds no video stream (audio: {audio})", self.where)
        stream = container.streams.video[0]
        context = stream.codec_context
        if context is None:
            raise UnsupportedFormat("no decoder for this video codec", self.where)
        width, height = int(context.width or 0), int(context.height or 0)
        if width * height > self.settings.max_frame_pixels:
            raise DecompressionBomb(
                f"video frames of {width}x{height} = {width * height:,} pixels exceed the limit "
                f"of {self.settings.max_frame_pixels:,}",
                self.where,
            )
        stream.thread_type = "AUTO" if self.settings.threads != 1 else "SLICE"
        context.thread_count = self.settings.threads
        rate = stream.average_rate or stream.guessed_rate
        duration: float | None = None
        if stream.duration is not None and stream.time_base is not None:
            duration = float(stream.duration * stream.time_base)
        elif container.duration is not None:
            duration = container.duration / av.time_base
        audio = container.streams.audio
        return VideoInfo(
            container=_container_name(self.fmt, container.format.name),
            codec=context.name,
            width=width,
            height=height,
            duration=round(duration, 3) if duration is not None and duration >= 0 else None,
            fps=round(float(rate), 3) if rate else None,
            frames=int(stream.frames) or None,
            has_audio=bool(audio),
            audio_codec=audio[0].codec_context.name if audio and audio[0].codec_context else None,
            tags=_clean_tags(dict(container.metadata), dict(stream.metadata)),
        )

    def frames(self, budget: Budget, sample_every: float | None = None) -> Iterator[Frame]:
        """Every frame in presentation order; with ``sample_every`` (seconds between the
        frames that will be hashed), frames no other frame depends on are not reconstructed
        when they are far from every sampling instant — about half the decoding work on
        H.264 with B-frames, and never a change in which frame is on screen at an instant.
        """
        import av

        stream = self.container.streams.video[0]
        context = stream.codec_context
        progress = self.progress
        time_base = float(stream.time_base) if stream.time_base else None
        rate = float(stream.average_rate or stream.guessed_rate or 0) or None
        order = PresentationOrder(progress.intervals)
        skipper = Skipper(sample_every, 1 / rate if rate else None)
        origin: float | None = None
        decoded_count = consecutive_bad = 0
        skipping = False
        packets = self.container.demux()
        while True:
            progress.stopped = budget.exceeded(progress)
            if progress.stopped:
                return
            try:
                packet = next(packets)
            except StopIteration:
                order.finish()
                return
            except av.error.FFmpegError as exc:
                progress.damage = f"stream unreadable after {progress.packets} packets ({exc})"
                return
            progress.packets += 1
            if packet.stream.index != stream.index:
                continue
            packet_time = None
            if packet.pts is not None and time_base is not None:
                packet_time = packet.pts * time_base
                order.add(packet_time)
                skipper.widen(order.largest)
            if packet.size:
                progress.frames += 1
            far = (
                bool(packet.size)
                and origin is not None
                and packet_time is not None
                and skipper.far(packet_time - origin)
            )
            if far != skipping:
                context.skip_frame = "NONREF" if far else "DEFAULT"
                skipping = far
            try:
                decoded = packet.decode()
                consecutive_bad = 0
            except av.error.FFmpegError as exc:
                progress.bad_packets += 1
                consecutive_bad += 1
                progress.damage = f"{progress.bad_packets} undecodable packet(s) ({exc.strerror})"
                if consecutive_bad >= MAX_CONSECUTIVE_BAD_PACKETS:
                    progress.damage += "; gave up"
                    return
                continue
            for frame in decoded:
                if frame.width * frame.height > self.settings.max_frame_pixels:
                    raise DecompressionBomb(
                        f"a frame of {frame.width}x{frame.height} exceeds the pixel limit",
                        self.where,
                    )
                seconds = frame.time
                if seconds is None:
                    seconds = decoded_count / rate if rate else float(decoded_count)
                decoded_count += 1
                if origin is None:
                    origin = seconds
                timestamp = round(seconds - origin, 3)
                progress.last_timestamp = timestamp
                yield Frame(timestamp, frame.width, frame.height, _av_rgb(frame))

    def seek_frames(self, timestamps: list[float]) -> Iterator[Frame]:
        """Seek to the key frame before each time, then decode forward to it."""
        stream = self.container.streams.video[0]
        first = next(self.container.decode(stream), None)
        if first is None or first.time is None:
            return
        origin = first.time
        for wanted in sorted(timestamps):
            target = origin + wanted
            self.container.seek(int(target / stream.time_base), stream=stream, backward=True)
            chosen = None
            for frame in self.container.decode(stream):
                chosen = frame
                if frame.time is None or frame.time + 1e-3 >= target:
                    break
            if chosen is not None:
                stamp = round((chosen.time or target) - origin, 3)
                yield Frame(stamp, chosen.width, chosen.height, _av_rgb(chosen))

    def _close_fh(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def close(self) -> None:
        container = getattr(self, "container", None)
        if container is not None:
            container.close()
        self._close_fh()


def _av_rgb(frame: Any) -> Callable[[int, int], np.ndarray]:
    def convert(width: int, height: int) -> np.ndarray:
        if (width, height) == (frame.width, frame.height):
            array: np.ndarray = frame.to_ndarray(format="rgb24")
        else:
            array = frame.to_ndarray(format="rgb24", width=width, height=height)
        return array

    return convert


# -- Pillow (animated GIF / WebP) -------------------------------------------------------


class PillowSource(VideoSource):
    """An animated GIF or WebP, frame by frame through Pillow (with tutela's pixel limits).

    Frame delays are only known once a frame is loaded (WebP), so the duration and
    frame rate in :attr:`info` are filled in as decoding reaches the end.
    """

    def __init__(
        self, blob: Blob, fmt: str, where: str, settings: VideoSettings, limits: Limits
    ) -> None:
        from tutela.media.image import decode_errors, open_image

        self.where, self.settings = where, settings
        self.progress = Progress()
        self._decode_errors = decode_errors
        self.image = open_image(blob, where, limits)
        width, height = self.image.size
        if width * height > settings.max_frame_pixels:
            raise DecompressionBomb(
                f"frames of {width}x{height} exceed the limit of {settings.max_frame_pixels:,}",
                where,
            )
        with decode_errors(where):
            count = int(getattr(self.image, "n_frames", 1) or 1)
        self.info = VideoInfo(
            container=fmt,
            codec=fmt,
            width=width,
            height=height,
            duration=None,
            fps=None,
            frames=count,
            has_audio=False,
            tags=_clean_tags({str(k): v for k, v in self.image.info.items() if isinstance(v, str)}),
        )

    def _timeline(self) -> Iterator[tuple[float, float]]:
        """Load each frame in turn; yield its start and end time in seconds."""
        assert self.info.frames is not None
        elapsed_ms = 0
        for index in range(self.info.frames):
            with self._decode_errors(self.where):
                self.image.seek(index)
                self.image.load()
            delay = int(self.image.info.get("duration") or 0)
            start = elapsed_ms
            elapsed_ms += 100 if delay < MIN_FRAME_DURATION_MS else delay
            yield start / 1000, elapsed_ms / 1000
        seconds = elapsed_ms / 1000
        self.info = replace(
            self.info,
            duration=round(seconds, 3),
            fps=round(self.info.frames / seconds, 3) if seconds else None,
        )

    def _frame(self, timestamp: float) -> Frame:
        rgb = self.image.convert("RGB")

        def convert(width: int, height: int) -> np.ndarray:
            from PIL import Image

            if (width, height) != rgb.size:
                return np.asarray(rgb.resize((width, height), Image.Resampling.BILINEAR))
            return np.asarray(rgb)

        return Frame(round(timestamp, 3), rgb.size[0], rgb.size[1], convert)

    def frames(self, budget: Budget, sample_every: float | None = None) -> Iterator[Frame]:
        progress = self.progress
        order = PresentationOrder(progress.intervals)
        timeline = self._timeline()
        while True:
            progress.stopped = budget.exceeded(progress)
            if progress.stopped:
                return
            try:
                start, _ = next(timeline)
                frame = self._frame(start)
            except StopIteration:
                order.finish()
                return
            except MediaError as exc:
                progress.damage = f"frame {progress.frames} does not decode ({exc.message})"
                return
            progress.packets += 1
            progress.frames += 1
            progress.last_timestamp = frame.timestamp
            order.add(frame.timestamp)
            yield frame

    def seek_frames(self, timestamps: list[float]) -> Iterator[Frame]:
        """The frame on screen at each time (decoding forward once)."""
        wanted = sorted(timestamps)
        for start, end in self._timeline():
            if not wanted:
                return
            if end > wanted[0] + 1e-3:
                yield self._frame(start)
                while wanted and wanted[0] + 1e-3 < end:
                    wanted.pop(0)

    def close(self) -> None:
        self.image.close()


def require_frames(progress: Progress, where: str) -> None:
    """Raise the specific error for a stream that yielded no frame at all."""
    if progress.frames:
        return
    if progress.stopped:
        raise NoFrames(f"no frame decoded before the {progress.stopped}", where)
    if progress.damage:
        raise CorruptMedia(f"no frame could be decoded: {progress.damage}", where)
    raise NoFrames("the video stream holds no frames", where)


def declared_shortfall(info: VideoInfo, progress: Progress) -> str | None:
    """A note when decoding ended well before the declared duration (a truncated file)."""
    if progress.stopped or info.duration is None or progress.last_timestamp is None:
        return None
    frame_time = 1 / info.fps if info.fps else 0.0
    decoded = progress.last_timestamp + frame_time
    if info.duration - decoded > max(1.0, 0.1 * info.duration) and math.isfinite(decoded):
        return f"decoded {decoded:.1f} s of the {info.duration:.1f} s the file declares"
    return None
