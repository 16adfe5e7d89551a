"""The ``video`` and ``vpdq`` signals computed during ``tutela scan`` and ``tutela hash``.

Both come from one decode (cached on the context). Videos get their width and height
recorded on the item; a video that cannot be decoded at all gets the item error
(``corrupt``, ``truncated``, ``no-video-stream``, ...), as a broken image does.
Animated GIF/WebP keep the first-frame PDQ the image path computes and add a vPDQ
signature over their frames; a failure there is only a warning, because the image
itself was hashed.
"""

from __future__ import annotations

from typing import Any

from tutela.engine.context import MediaContext
from tutela.errors import MediaError
from tutela.signals.registry import Analyzer
from tutela.video.analyse import VideoAnalysis, analyse_video
from tutela.video.settings import VideoSettings
from tutela.video.source import is_animated

_CACHE_KEY = ("video", "analysis")


def analysis(ctx: MediaContext) -> VideoAnalysis | None:
    """The item's video analysis, computed once per context; None when it is no video."""
    boxed: tuple[VideoAnalysis | None] | None = ctx.cached(_CACHE_KEY)
    if boxed is None:
        boxed = (_compute(ctx),)
        ctx.remember(_CACHE_KEY, boxed)
    return boxed[0]


def _compute(ctx: MediaContext) -> VideoAnalysis | None:
    kind, fmt = ctx.sniffed.kind, ctx.sniffed.format
    try:
        if kind == "image" and not is_animated(ctx.blob, fmt, ctx.where, ctx.limits):
            return None
        if kind not in ("video", "image"):
            return None
        settings = VideoSettings.from_options(ctx.options)
        result = analyse_video(ctx.blob, fmt, ctx.where, settings, ctx.limits)
    except MediaError as exc:
        if kind == "video":
            ctx.item_updates["error_kind"] = exc.kind
            ctx.item_updates["error_message"] = exc.message
        else:
            ctx.warnings.append(exc)
        return None
    ctx.warnings.extend(result.warnings(ctx.where))
    if kind == "video":
        ctx.item_updates["width"] = result.info.width
        ctx.item_updates["height"] = result.info.height
    return result


def video_signal(ctx: MediaContext) -> dict[str, Any] | None:
    found = analysis(ctx)
    return found.video_json() if found else None


def vpdq_signal(ctx: MediaContext) -> dict[str, Any] | None:
    found = analysis(ctx)
    return found.vpdq_json() if found else None


ANALYZERS = [
    Analyzer(
        name="video",
        version="1",
        kinds=frozenset({"video", "image"}),
        run=video_signal,
        description=(
            "Video facts: container, codec, resolution, duration, frame rate, variable frame "
            "rate, audio, metadata tags, key frames for review, and how far decoding got."
        ),
    ),
    Analyzer(
        name="vpdq",
        version="1",
        kinds=frozenset({"video", "image"}),
        run=vpdq_signal,
        description=(
            "vPDQ: PDQ hash and quality of frames sampled at video.fps (default 1 frame/s), "
            "with timestamps; animated GIF/WebP included."
        ),
    ),
]
