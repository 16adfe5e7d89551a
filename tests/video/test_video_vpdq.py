"""vPDQ signatures: the three serialised forms, and the comparison against a naive reference."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tutela.signals.pdq import hamming
from tutela.video import vpdq
from tutela.video.vpdq import FrameHash, compare, parse_signature, segments

hex_hash = st.binary(min_size=32, max_size=32).map(bytes.hex)
frames_strategy = st.lists(
    st.builds(
        FrameHash,
        timestamp=st.integers(0, 10**6).map(lambda ms: ms / 1000),
        pdq=hex_hash,
        quality=st.integers(0, 100),
    ),
    min_size=1,
    max_size=40,
)


@given(frames_strategy)
def test_all_three_forms_round_trip(frames: list[FrameHash]) -> None:
    assert parse_signature(json.dumps(vpdq.to_json(frames))) == frames
    assert parse_signature(vpdq.to_threatexchange(frames)) == frames
    lines = "\n".join(f"{i},{f.quality},{f.pdq},{f.timestamp:.3f}" for i, f in enumerate(frames))
    assert parse_signature(lines) == frames


def test_reads_threatexchange_strings_and_legacy_dicts() -> None:
    h = "f" * 64
    signal = json.dumps([f"{h},100,0.000", f"{'0' * 64},12,1.500"])
    assert parse_signature(signal) == [FrameHash(0.0, h, 100), FrameHash(1.5, "0" * 64, 12)]
    legacy = {
        "1": {"quality": 80, "hash": h, "timestamp": 1.0},
        "0": {"quality": 90, "hash": h, "timestamp": 0.0},
    }
    assert [f.timestamp for f in parse_signature(legacy)] == [0.0, 1.0]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "empty"),
        ("[]", "at least one frame"),
        ('["abc,100,0"]', "frame 0"),
        (json.dumps([f"{'a' * 64},101,0"]), "quality"),
        (json.dumps([f"{'a' * 64},50,-1"]), "timestamp"),
        (json.dumps([{"pdq": "a" * 64, "quality": 5}]), "frame 0"),
        ("[1, 2", "not valid JSON"),
        ("0,100,abc", "line 1"),
        ('"text"', "list of frames"),
        ('{"x": {}}', "frame numbers"),
    ],
)
def test_bad_signatures_say_what_is_wrong(value: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_signature(value)


def naive_compare(
    query: list[FrameHash], target: list[FrameHash], distance: int = 31, quality: int = 50
) -> tuple[float, float]:
    """python-threatexchange's brute-force rule, written out plainly."""

    def prepare(frames: list[FrameHash]) -> list[FrameHash]:
        seen, out = set(), []
        for f in frames:
            if f.pdq not in seen:
                seen.add(f.pdq)
                out.append(f)
        return [f for f in out if f.quality >= quality]

    q, t = prepare(query), prepare(target)
    if not q or not t:
        return 0.0, 0.0
    hits_q = sum(any(hamming(a.pdq, b.pdq) <= distance for b in t) for a in q)
    hits_t = sum(any(hamming(a.pdq, b.pdq) <= distance for b in q) for a in t)
    return hits_q / len(q), hits_t / len(t)


def near(h: str, flips: int, salt: int) -> str:
    value = int(h, 16)
    for k in range(flips):
        value ^= 1 << ((salt * 37 + k * 11) % 256)
    return f"{value:064x}"


@settings(max_examples=60)
@given(frames_strategy, st.lists(st.integers(0, 60), min_size=1, max_size=40), st.data())
def test_comparison_agrees_with_the_naive_reference(
    base: list[FrameHash], flips: list[int], data: st.DataObject
) -> None:
    # Targets near the query (some within 31 bits, some not) plus unrelated frames.
    target = [
        FrameHash(f.timestamp, near(f.pdq, flips[i % len(flips)], i), f.quality)
        for i, f in enumerate(base)
    ]
    target += data.draw(frames_strategy)
    result = compare(base, target)
    expected_q, expected_t = naive_compare(base, target)
    assert result.query_share == pytest.approx(expected_q)
    assert result.target_share == pytest.approx(expected_t)
    for match in result.frames:
        assert match.distance <= 31


def test_where_each_match_occurs() -> None:
    a, b, c = "0" * 64, "f" * 64, "0f" * 32
    known = [FrameHash(10.0, a, 100), FrameHash(11.0, b, 100), FrameHash(12.0, c, 100)]
    clip = [FrameHash(0.0, near(b, 5, 1), 90), FrameHash(1.0, near(c, 3, 2), 90)]
    result = compare(clip, known)
    assert result.matches()
    assert [(m.timestamp, m.matched_timestamp, m.distance) for m in result.frames] == [
        (0.0, 11.0, 5),
        (1.0, 12.0, 3),
    ]
    assert result.query_share == 1.0
    assert result.target_share == pytest.approx(2 / 3)
    assert not result.matches(target_share=0.9)


def test_low_quality_frames_never_match() -> None:
    dark = [FrameHash(0.0, "0" * 64, 10)]
    result = compare(dark, dark)
    assert result.query_frames == 0
    assert not result.matches()


def test_segments_merge_runs() -> None:
    assert segments([5.0, 0.0, 1.0, 2.0, 7.0, 8.0], 1.0) == [(0.0, 2.0), (5.0, 5.0), (7.0, 8.0)]
    assert segments([], 1.0) == []
