"""Image content signals for videos, computed on the key frames kept during decoding.

A content analyser that works on one picture (nudity score, faces with apparent age)
handles a video by calling :func:`on_key_frames` with its own image function: the
signal keeps its name and version, so triage rules, review and reports read a
video's signal exactly as an image's, and ``--skip-signal nudity`` skips both. The
video's value is that of its most concerning key frame (the largest value of the
analyser's ``key``), plus every frame's summary with its time, so a reviewer knows
where to look.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tutela.engine.context import MediaContext
from tutela.media.blob import Blob
from tutela.media.sniff import Sniffed

FRAME_SUMMARY_KEYS = ("score", "status", "usable_faces", "p_under_18", "p_under_13")


def on_key_frames(
    ctx: MediaContext, run_image: Callable[[MediaContext], dict[str, Any] | None], key: str
) -> dict[str, Any] | None:
    """``run_image`` on each key frame of the video in ``ctx``; the worst frame's data (by
    ``key``) with its ``timestamp`` and a ``frames`` summary. None when no frame was kept."""
    from tutela.video.analyzers import analysis

    found = analysis(ctx)
    if found is None or not found.keyframe_images:
        return None
    frames = []
    for timestamp, jpeg in found.keyframe_images:
        frame_ctx = MediaContext(
            Blob.from_bytes(jpeg),
            f"{ctx.where}@{timestamp}s",
            Sniffed("image", "jpeg"),
            ctx.limits,
            ctx.sha256,
            options=ctx.options,
        )
        data = run_image(frame_ctx)
        if data is not None:
            frames.append((timestamp, data))
    if not frames:
        return None

    def concern(pair: tuple[float, dict[str, Any]]) -> float:
        value = pair[1].get(key)
        return float(value) if isinstance(value, int | float) else -1.0

    timestamp, worst = max(frames, key=concern)
    return {
        **worst,
        "timestamp": timestamp,
        "frames": [
            {"timestamp": t, **{k: d[k] for k in FRAME_SUMMARY_KEYS if k in d}} for t, d in frames
        ],
    }


def video_aware(
    run_image: Callable[[MediaContext], dict[str, Any] | None], key: str
) -> Callable[[MediaContext], dict[str, Any] | None]:
    """An analyser's ``run`` that also handles videos (add ``"video"`` to its kinds)."""

    def run(ctx: MediaContext) -> dict[str, Any] | None:
        if ctx.sniffed.kind == "video":
            return on_key_frames(ctx, run_image, key)
        return run_image(ctx)

    return run
