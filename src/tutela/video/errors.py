"""Error kinds only video has; the general ones (corrupt, truncated, decompression bomb)
come from :mod:`tutela.errors` so summaries count them together with images."""

from __future__ import annotations

from tutela.errors import MediaError


class NoVideoStream(MediaError):
    """A container with no picture in it (audio only, subtitles, an empty shell)."""

    kind = "no-video-stream"


class NoFrames(MediaError):
    """A video stream that decodes to nothing (zero-length or every packet damaged)."""

    kind = "no-frames"


class VideoTimeout(MediaError):
    """The decoder did not stop within the hard time limit and was killed."""

    kind = "video-timeout"


class DecoderCrashed(MediaError):
    """The decoder process died (e.g. a crash inside FFmpeg on hostile input)."""

    kind = "decoder-crashed"


class VideoLimitReached(MediaError):
    """Not fatal: decoding stopped at a time or frame limit; the signature is partial."""

    kind = "video-limit"


class VideoDamaged(MediaError):
    """Not fatal: part of the stream was unreadable or the file ends early; frames that
    decoded were hashed."""

    kind = "video-damaged"
