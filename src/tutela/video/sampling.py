"""Choose which decoded frames are hashed: one per 1/fps seconds, by time, not by count.

Counting frames (every 30th frame for "1 per second") drifts on variable-frame-rate
video — phone recordings, screen captures, GIFs — and double-counts across gaps. We
take the first frame at or after each sampling instant; a long gap yields one frame,
not a burst of copies, and timestamps that go backwards (damaged or spliced streams)
are skipped (they fall before the next sampling instant).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from typing import Protocol, TypeVar


class Timed(Protocol):
    @property
    def timestamp(self) -> float: ...


T = TypeVar("T", bound=Timed)

EPSILON = 1e-6


def sample(frames: Iterable[T], fps: float) -> Iterator[T]:
    """Yield the frames to hash from a stream of frames in presentation order."""
    if fps <= 0:
        raise ValueError("sampling rate must be positive")
    interval = 1.0 / fps
    next_at = 0.0
    for frame in frames:
        t = frame.timestamp
        if math.isfinite(t) and t + EPSILON >= next_at:
            # The next instant strictly after this frame: one hash per slot, even across gaps.
            next_at = (math.floor(t / interval + EPSILON) + 1) * interval
            yield frame
