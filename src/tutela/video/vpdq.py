"""vPDQ signatures: per-frame PDQ hashes with quality and timestamp, and how two compare.

The comparison is the field's rule, as in Meta's ``vpdq`` and python-threatexchange:
frames of quality below 50 are ignored, duplicate hashes count once, a query frame
matches when some frame of the other video is within Hamming distance 31, and two
videos match when at least 80 % of the query's frames match (the other video's share
is reported; its default threshold is 0 %). What we add is *where*: each matched
query frame keeps its timestamp and the time of the frame it matched, and runs of
matched frames are merged into segments a reviewer can jump to.

Serialised forms read and written here:

* tutela JSON – ``[{"timestamp": 0.0, "pdq": "<64 hex>", "quality": 100}, ...]``
* python-threatexchange – a JSON list of ``"<hex>,<quality>,<timestamp>"`` strings
  (its ``VPDQSignal`` string, what HMA and ThreatExchange exchange)
* the ``vpdq`` tool's output – lines ``<frame>,<quality>,<hex>,<timestamp>``
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tutela.signals.pdq import PDQ_MATCH_THRESHOLD, PDQ_QUALITY_THRESHOLD, hex_to_bytes

VPDQ_QUERY_SHARE = 0.8
"""Share of a query video's (distinct, good-quality) frames that must match."""

VPDQ_TARGET_SHARE = 0.0
"""Share of the known video's frames that must match (0: a clip of it is enough)."""

TIMESTAMP_DECIMALS = 3
ROWS_PER_BLOCK = 1 << 20
"""Query×target frame pairs compared per NumPy block (bounds memory on long videos)."""


@dataclass(frozen=True)
class FrameHash:
    timestamp: float
    pdq: str
    quality: int

    def to_json(self) -> dict[str, Any]:
        return {"timestamp": self.timestamp, "pdq": self.pdq, "quality": self.quality}


def frame(timestamp: float, pdq: str, quality: int) -> FrameHash:
    """A validated frame hash (normalised hex, quality 0–100, timestamp ≥ 0)."""
    try:
        hex_to_bytes(pdq)
    except ValueError as exc:
        raise ValueError(f"bad frame hash {pdq!r}: {exc}") from exc
    if not 0 <= int(quality) <= 100:
        raise ValueError(f"frame quality must be 0–100, got {quality}")
    t = float(timestamp)
    if not math.isfinite(t) or t < 0:
        raise ValueError(f"frame timestamp must be a non-negative number, got {timestamp}")
    return FrameHash(round(t, TIMESTAMP_DECIMALS), pdq.strip().lower(), int(quality))


def to_json(frames: Iterable[FrameHash]) -> list[dict[str, Any]]:
    return [f.to_json() for f in frames]


def to_threatexchange(frames: Iterable[FrameHash]) -> str:
    """python-threatexchange's ``VPDQSignal`` string for these frames."""
    return json.dumps([f"{f.pdq},{f.quality},{f.timestamp:.{TIMESTAMP_DECIMALS}f}" for f in frames])


def signature_of(frames: Sequence[dict[str, Any]] | str) -> str:
    """The canonical python-threatexchange string of a stored ``vpdq`` signal's frames."""
    return to_threatexchange(parse_signature(frames))


def parse_signature(value: str | Sequence[Any]) -> list[FrameHash]:
    """Read any of the three serialised forms (see module docstring); raise ValueError."""
    if isinstance(value, str):
        text = value.strip()
        if not text:
            raise ValueError("empty vPDQ signature")
        if text[0] in '[{"':
            try:
                value = json.loads(text)
            except json.JSONDecodeError as exc:
                raise ValueError(f"vPDQ signature is not valid JSON: {exc.msg}") from exc
        else:
            return _parse_vpdq_lines(text)
    if isinstance(value, dict):  # threatexchange's older {"<frame>": {...}} form
        try:
            value = [value[k] for k in sorted(value, key=lambda k: int(k))]
        except ValueError as exc:
            raise ValueError("a keyed vPDQ signature needs frame numbers as keys") from exc
    if not isinstance(value, list | tuple):
        raise ValueError("a vPDQ signature is a list of frames")
    frames = []
    for i, entry in enumerate(value):
        try:
            if isinstance(entry, str):
                hex_value, quality, timestamp = entry.split(",")
                frames.append(frame(float(timestamp), hex_value, int(quality)))
            elif isinstance(entry, dict):
                hex_value = str(entry.get("pdq", entry.get("hash")))
                frames.append(frame(entry["timestamp"], hex_value, int(entry["quality"])))
            else:
                raise ValueError(f"unexpected {type(entry).__name__}")
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"vPDQ frame {i}: {exc}") from exc
    if not frames:
        raise ValueError("a vPDQ signature needs at least one frame")
    return frames


def _parse_vpdq_lines(text: str) -> list[FrameHash]:
    frames = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        parts = line.strip().split(",")
        if len(parts) != 4:
            raise ValueError(f"line {number}: expected frame,quality,hash,timestamp")
        try:
            frames.append(frame(float(parts[3]), parts[2], int(parts[1])))
        except ValueError as exc:
            raise ValueError(f"line {number}: {exc}") from exc
    return frames


# -- comparison ------------------------------------------------------------------------


def pack(hexes: Sequence[str]) -> np.ndarray:
    """PDQ hex strings as an (n, 4) uint64 array (for XOR + popcount)."""
    if not hexes:
        return np.zeros((0, 4), dtype=np.uint64)
    raw = np.frombuffer(b"".join(bytes.fromhex(h) for h in hexes), dtype=">u8")
    return raw.astype(np.uint64).reshape(-1, 4)


def distances(query: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Hamming distance of every query row to its nearest target row, and which row.

    Returns an (n, 2) int array: [min distance, argmin]. Exact brute force in blocks.
    """
    out = np.zeros((len(query), 2), dtype=np.int64)
    if len(target) == 0:
        out[:, 0] = 257
        return out
    step = max(1, ROWS_PER_BLOCK // len(target))
    for start in range(0, len(query), step):
        block = query[start : start + step]
        d = np.bitwise_count(block[:, None, :] ^ target[None, :, :]).sum(axis=2, dtype=np.int64)
        out[start : start + step, 1] = d.argmin(axis=1)
        out[start : start + step, 0] = d[np.arange(len(block)), out[start : start + step, 1]]
    return out


@dataclass(frozen=True)
class FrameMatch:
    """A query frame within the threshold of a frame of the other video (or of an image:
    then there is no matched timestamp)."""

    timestamp: float
    matched_timestamp: float | None
    distance: int

    def to_json(self) -> dict[str, Any]:
        return {
            "timestamp": self.timestamp,
            "matched_timestamp": self.matched_timestamp,
            "distance": self.distance,
        }


@dataclass(frozen=True)
class Comparison:
    query_share: float
    """Matched share of the query's distinct good-quality frames (0–1)."""
    target_share: float
    """Matched share of the other video's distinct good-quality frames (0–1)."""
    query_frames: int
    target_frames: int
    frames: tuple[FrameMatch, ...]
    """Every matched good-quality query frame (duplicates included, for timing)."""

    def matches(
        self, query_share: float = VPDQ_QUERY_SHARE, target_share: float = VPDQ_TARGET_SHARE
    ) -> bool:
        return (
            self.query_frames > 0
            and self.query_share >= query_share
            and self.target_share >= target_share
        )

    @property
    def best_distance(self) -> int | None:
        return min((f.distance for f in self.frames), default=None)


def usable(frames: Iterable[FrameHash], quality: int = PDQ_QUALITY_THRESHOLD) -> list[FrameHash]:
    return [f for f in frames if f.quality >= quality]


def _distinct(frames: Sequence[FrameHash], quality: int) -> list[FrameHash]:
    """First occurrence of each hash, then the quality gate (python-threatexchange's order)."""
    seen: set[str] = set()
    out = []
    for f in frames:
        if f.pdq not in seen:
            seen.add(f.pdq)
            out.append(f)
    return usable(out, quality)


def compare(
    query: Sequence[FrameHash],
    target: Sequence[FrameHash],
    distance: int = PDQ_MATCH_THRESHOLD,
    quality: int = PDQ_QUALITY_THRESHOLD,
) -> Comparison:
    """Compare two signatures by the vPDQ rule (exact; both directions)."""
    good_query = usable(query, quality)
    distinct_query, distinct_target = _distinct(query, quality), _distinct(target, quality)
    if not distinct_query or not distinct_target:
        return Comparison(0.0, 0.0, len(distinct_query), len(distinct_target), ())
    target_bits = pack([f.pdq for f in distinct_target])
    forward = distances(pack([f.pdq for f in good_query]), target_bits)
    matched = [
        FrameMatch(f.timestamp, distinct_target[int(j)].timestamp, int(d))
        for f, (d, j) in zip(good_query, forward, strict=True)
        if d <= distance
    ]
    matched_hashes = {f.pdq for f, (d, _) in zip(good_query, forward, strict=True) if d <= distance}
    matched_hashes &= {f.pdq for f in distinct_query}
    backward = distances(target_bits, pack([f.pdq for f in distinct_query]))
    target_hits = int((backward[:, 0] <= distance).sum())
    return Comparison(
        query_share=len(matched_hashes) / len(distinct_query),
        target_share=target_hits / len(distinct_target),
        query_frames=len(distinct_query),
        target_frames=len(distinct_target),
        frames=tuple(matched),
    )


def segments(timestamps: Iterable[float], max_gap: float) -> list[tuple[float, float]]:
    """Merge sorted times into [start, end] runs whose neighbours are at most ``max_gap`` apart."""
    runs: list[tuple[float, float]] = []
    for t in sorted(timestamps):
        if runs and t - runs[-1][1] <= max_gap + 1e-6:
            runs[-1] = (runs[-1][0], t)
        else:
            runs.append((t, t))
    return runs
