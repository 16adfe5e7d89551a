"""Which frames get hashed: by time, one per instant, robust to irregular timestamps."""

from __future__ import annotations

import math
from dataclasses import dataclass

from hypothesis import given
from hypothesis import strategies as st

from tutela.video.sampling import SLACK, sample


@dataclass(frozen=True)
class F:
    timestamp: float


def times(frames: list[F], fps: float) -> list[float]:
    return [f.timestamp for f in sample(frames, fps)]


def test_constant_rate_picks_the_frame_at_each_second() -> None:
    frames = [F(round(i / 30, 3)) for i in range(95)]
    assert times(frames, 1.0) == [0.0, 1.0, 2.0, 3.0]
    assert times(frames, 2.0) == [0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0]


def test_a_long_frame_is_hashed_once_and_the_frame_on_screen_is_chosen() -> None:
    # A GIF: frames start at 0, 0.7 and 1.9 s; the frame on screen at 1 s began at 0.7.
    assert times([F(0.0), F(0.7), F(1.9)], 1.0) == [0.0, 0.7, 1.9]
    # A 5-second still between two frames is one hash, not five.
    assert times([F(0.0), F(0.5), F(5.5), F(6.2)], 1.0) == [0.0, 0.5, 5.5]


def test_backwards_and_broken_timestamps_are_dropped() -> None:
    frames = [F(0.0), F(1.0), F(0.5), F(math.nan), F(-1.0), F(2.0), F(2.0), F(3.0)]
    assert times(frames, 1.0) == [0.0, 1.0, 2.0, 3.0]


def test_empty_stream_yields_nothing() -> None:
    assert times([], 1.0) == []


@given(
    st.lists(st.floats(min_value=0, max_value=600, allow_nan=False), min_size=1, max_size=300),
    st.sampled_from([0.25, 0.5, 1.0, 2.0, 5.0]),
)
def test_every_instant_is_covered_by_exactly_the_frame_on_screen(
    raw: list[float], fps: float
) -> None:
    stamps = sorted({round(t, 3) for t in raw})
    chosen = times([F(t) for t in stamps], fps)
    assert chosen == sorted(set(chosen)), "in order, no frame twice"
    assert set(chosen) <= set(stamps)
    interval = 1 / fps
    # Every sampling instant inside the stream is shown by a chosen frame (frame starts
    # are read SLACK early: timestamps have millisecond precision).
    last = stamps[-1]
    k = 0
    while k * interval < last - SLACK:
        instant = k * interval
        if instant >= stamps[0] - SLACK:
            on_screen = max(t for t in stamps if t - SLACK <= instant + 1e-9)
            assert on_screen in chosen
        k += 1
    # And never more hashes than instants in the span (plus the first frame).
    assert len(chosen) <= math.floor((last - stamps[0]) / interval) + 2
