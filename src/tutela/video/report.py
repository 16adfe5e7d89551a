"""Short human descriptions of video signals for tables (CLI, reports)."""

from __future__ import annotations

from typing import Any


def describe(video: Any, vpdq: Any) -> str:
    """``h264 1280x720, 10.0 s at 30 fps, vPDQ 10 frames`` (empty when not a video)."""
    if not isinstance(video, dict):
        return ""
    parts = [f"{video.get('codec')} {video.get('width')}x{video.get('height')}"]
    duration, fps = video.get("duration"), video.get("fps")
    if duration is not None:
        parts.append(f"{duration:.1f} s" + (f" at {fps:g} fps" if fps else ""))
    if video.get("variable_frame_rate"):
        parts.append("variable frame rate")
    if isinstance(vpdq, dict):
        parts.append(f"vPDQ {len(vpdq.get('frames', []))} frames")
    if not video.get("complete", True):
        parts.append("[yellow]partial[/]")
    return ", ".join(parts)
