"""Choose which decoded frames are hashed: the frame on screen at every 1/fps seconds.

Counting frames ("every 30th frame" for 1 per second) drifts on variable-frame-rate
video — phone recordings, screen captures, GIFs whose frames last from 20 ms to
several seconds. We sample by time instead: at each instant k/fps the frame being
shown (the last one that started at or before it) is hashed, and a frame shown across
several instants is hashed once. On constant-rate video whose rate divides evenly
this picks exactly the frames ``vpdq`` picks. Frames whose timestamps go backwards
(damaged or spliced streams) are dropped.

Deciding whether a frame is on screen at an instant needs the next frame's start, so
one frame is held back; pixels are still only converted for frames that are chosen.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from typing import Protocol, TypeVar


class Timed(Protocol):
    @property
    def timestamp(self) -> float: ...


T = TypeVar("T", bound=Timed)

SLACK = 0.0015
"""Timestamps carry millisecond precision, so frame boundaries are read 1.5 ms early: a
frame starting at 1.000 s shows the 1 s instant, one ending at 10.001 s (rounded) does not
show the 10 s instant at the very end of a 10 s video."""


def sample(frames: Iterable[T], fps: float) -> Iterator[T]:
    """Yield the frames to hash from a stream of frames in presentation order."""
    if fps <= 0:
        raise ValueError("sampling rate must be positive")
    interval = 1.0 / fps

    def shows_an_instant(start: float, end: float) -> bool:
        # The frame is on screen over [start, end), both read SLACK early.
        first_instant = math.ceil((start - SLACK) / interval - 1e-9) * interval
        return first_instant < end - SLACK - 1e-9

    previous: T | None = None
    last_step = interval
    for frame in frames:
        t = frame.timestamp
        if not math.isfinite(t) or t < 0:
            continue
        if previous is not None:
            if t <= previous.timestamp:
                continue
            if shows_an_instant(previous.timestamp, t):
                yield previous
            last_step = t - previous.timestamp
        previous = frame
    if previous is not None and shows_an_instant(
        previous.timestamp, previous.timestamp + last_step
    ):
        yield previous
