"""Match a video's vPDQ signature against every bank, and say where in the video.

Two questions are asked of each video:

* **Is it a listed video?** Against ``vpdq`` entries, by the field's rule: frame
  distance within the bank's PDQ threshold (31 by default), frame quality ≥ 50, and
  at least the bank's share of the query's distinct frames matched (80 % unless the
  bank's rule says otherwise; the listed video's share must reach the rule's target
  share, 0 % by default, so a clip of a listed video matches).
* **Does it show a listed image?** Every distinct good frame is matched against the
  banks' PDQ entries exactly as a photo would be (per-bank thresholds, negative banks,
  quarantine), so a known image inside a video is found.

Candidates come from an exact radius search over every listed frame (the banks'
PDQ index); each candidate video is then compared exactly with
:func:`tutela.video.vpdq.compare`. Each hit keeps the query times that matched,
merged into segments a reviewer can jump to. Hits are signals for human review,
never verdicts.
"""

from __future__ import annotations

import itertools
import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import select

from tutela.banks.matcher import Hit, Matcher, Query
from tutela.banks.models import Bank, Entry
from tutela.index import PdqIndex
from tutela.signals.pdq import PDQ_QUALITY_THRESHOLD
from tutela.store.db import Store
from tutela.video.models import VideoBankRule, VideoSignature
from tutela.video.vpdq import (
    VPDQ_QUERY_SHARE,
    VPDQ_TARGET_SHARE,
    FrameHash,
    FrameMatch,
    compare,
    parse_signature,
    segments,
    usable,
)

MAX_FRAMES_REPORTED = 500


@dataclass
class VideoHit:
    """One bank entry this video matched, and where."""

    entry_id: int
    bank: str
    bank_kind: str
    kind: str
    """``vpdq`` (a listed video) or ``frame`` (a listed image in a frame)."""
    signal_type: str
    distance: int
    """Best frame distance."""
    query_share: float
    """Share of this video's distinct good frames that matched."""
    target_share: float | None
    """Share of the listed video's distinct good frames that matched (``vpdq`` only)."""
    frames: list[FrameMatch]
    segments: list[tuple[float, float]]
    status: str = "match"
    """``match``, ``suppressed`` (a negative bank also matched) or ``quarantined``."""
    source_key: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def via(self) -> str:
        """A short description for the banks' ``matches`` table (at most 60 characters)."""
        start, end = self.segments[0] if self.segments else (0.0, 0.0)
        if self.kind == "vpdq":
            return f"video: {self.query_share:.0%} of frames match"
        return f"video frame {start:.1f}-{end:.1f} s"[:60]

    def to_json(self) -> dict[str, Any]:
        return {
            "entry_id": self.entry_id,
            "bank": self.bank,
            "bank_kind": self.bank_kind,
            "kind": self.kind,
            "signal_type": self.signal_type,
            "distance": self.distance,
            "query_share": round(self.query_share, 4),
            "target_share": None if self.target_share is None else round(self.target_share, 4),
            "status": self.status,
            "segments": [{"start": s, "end": e} for s, e in self.segments],
            "frames": [f.to_json() for f in self.frames[:MAX_FRAMES_REPORTED]],
            "source_key": self.source_key,
            "metadata": self.metadata,
        }


@dataclass
class VideoMatchResult:
    label: str
    frames: int
    """Distinct frames of quality ≥ 50 that were compared."""
    hits: list[VideoHit]
    notes: list[str]

    @property
    def matched(self) -> bool:
        return any(h.status == "match" and h.bank_kind == "positive" for h in self.hits)

    def to_json(self) -> dict[str, Any]:
        return {
            "input": self.label,
            "frames_compared": self.frames,
            "matched": self.matched,
            "notes": self.notes,
            "matches": [h.to_json() for h in self.hits],
        }


def sampling_gap(frames: Sequence[FrameHash]) -> float:
    """Largest gap still counted as one run of matched frames: twice the usual step."""
    steps = [b.timestamp - a.timestamp for a, b in itertools.pairwise(frames)]
    positive = [s for s in steps if s > 0]
    return 2 * statistics.median(positive) if positive else 2.0


class VideoMatcher:
    """Banks in memory for video matching: the image PDQ index (the banks' :class:`Matcher`)
    plus an index of every listed video frame, both refreshed incrementally."""

    def __init__(self, store: Store, matcher: Matcher | None = None) -> None:
        self.store = store
        self.matcher = matcher or Matcher(store)
        self.frames = PdqIndex()
        self.frame_entries = np.zeros(0, dtype=np.int64)
        """Index row → the vpdq entry it belongs to."""
        self.loaded_id = 0

    def refresh(self) -> int:
        """Load entries added since the last refresh; returns how many vPDQ entries."""
        self.matcher.refresh()
        added = 0
        with self.store.session() as session:
            rows = session.execute(
                select(Entry.id, VideoSignature.frames)
                .join(VideoSignature, VideoSignature.digest == Entry.value)
                .where(Entry.signal_type == "vpdq", Entry.id > self.loaded_id)
                .order_by(Entry.id)
            ).all()
        hexes: list[str] = []
        owners: list[int] = []
        for entry_id, frames in rows:
            distinct = {f.pdq for f in usable(parse_signature(frames))}
            hexes.extend(sorted(distinct))
            owners.extend([entry_id] * len(distinct))
            self.loaded_id = max(self.loaded_id, entry_id)
            added += 1
        if hexes:
            start = len(self.frame_entries)
            ids = np.arange(start, start + len(hexes), dtype=np.int64)
            self.frames.add(ids, hexes)
            self.frame_entries = np.concatenate([self.frame_entries, np.asarray(owners, np.int64)])
        return added

    def match(self, frames: Sequence[FrameHash], label: str = "video") -> VideoMatchResult:
        good = usable(frames)
        distinct = {f.pdq for f in good}
        notes: list[str] = []
        if not good:
            notes.append(
                f"no frame has PDQ quality ≥ {PDQ_QUALITY_THRESHOLD}: nothing to compare "
                "(dark, flat or blank video)"
            )
            return VideoMatchResult(label, 0, [], notes)
        with self.store.session() as session:
            banks = {b.id: b for b in session.scalars(select(Bank))}
            rules = {r.bank_id: r for r in session.scalars(select(VideoBankRule))}
            hits = self._listed_videos(session, frames, good, banks, rules)
        hits += self._listed_images(good, sampling_gap(frames))
        negative = [h for h in hits if h.bank_kind == "negative" and h.status == "match"]
        if any(h.kind == "vpdq" for h in negative):
            for hit in hits:
                if hit.bank_kind == "positive" and hit.status == "match":
                    hit.status = "suppressed"
            notes.append(
                "suppressed: the video matches negative bank entries "
                + ", ".join(f"{h.bank}#{h.entry_id}" for h in negative if h.kind == "vpdq")
            )
        hits.sort(key=lambda h: (h.bank, h.kind, h.distance, h.entry_id))
        return VideoMatchResult(label, len(distinct), hits, notes)

    def _listed_videos(
        self,
        session: Any,
        frames: Sequence[FrameHash],
        good: list[FrameHash],
        banks: dict[int, Bank],
        rules: dict[int, VideoBankRule],
    ) -> list[VideoHit]:
        if not len(self.frames):
            return []
        radius = max((b.pdq_threshold for b in banks.values()), default=0)
        found = self.frames.query(sorted({f.pdq for f in good}), radius)
        candidates = {int(e) for e in self.frame_entries[found.ids].tolist()}
        if not candidates:
            return []
        rows = session.execute(
            select(Entry, VideoSignature.frames)
            .join(VideoSignature, VideoSignature.digest == Entry.value)
            .where(Entry.id.in_(sorted(candidates)), Entry.status != "disabled")
        ).all()
        gap = sampling_gap(frames)
        hits = []
        for entry, listed in rows:
            bank = banks[entry.bank_id]
            rule = rules.get(bank.id)
            query_share = rule.query_share if rule else VPDQ_QUERY_SHARE
            target_share = rule.target_share if rule else VPDQ_TARGET_SHARE
            result = compare(frames, parse_signature(listed), distance=bank.pdq_threshold)
            if not result.matches(query_share, target_share):
                continue
            hits.append(
                VideoHit(
                    entry_id=entry.id,
                    bank=bank.name,
                    bank_kind=bank.kind,
                    kind="vpdq",
                    signal_type="vpdq",
                    distance=result.best_distance or 0,
                    query_share=result.query_share,
                    target_share=result.target_share,
                    frames=list(result.frames),
                    segments=segments([f.timestamp for f in result.frames], gap),
                    status="quarantined" if entry.status == "quarantined" else "match",
                    source_key=entry.source_key,
                    metadata=dict(entry.meta),
                )
            )
        return hits

    def _listed_images(self, good: list[FrameHash], gap: float) -> list[VideoHit]:
        by_hash: dict[str, list[FrameHash]] = defaultdict(list)
        for f in good:
            by_hash[f.pdq].append(f)
        queries = [
            Query(f"frame at {fs[0].timestamp} s", [("pdq", h)], fs[0].quality)
            for h, fs in by_hash.items()
        ]
        per_entry: dict[int, list[tuple[str, Hit]]] = defaultdict(list)
        for query, result in zip(queries, self.matcher.match(queries), strict=True):
            for hit in result.hits:
                if hit.signal_type == "pdq":
                    per_entry[hit.entry_id].append((query.signals[0][1], hit))
        hits = []
        for entry_id, found in per_entry.items():
            matches = sorted(
                (
                    FrameMatch(f.timestamp, None, hit.distance)
                    for pdq, hit in found
                    for f in by_hash[pdq]
                ),
                key=lambda m: m.timestamp,
            )
            statuses = {hit.status for _, hit in found}
            first = found[0][1]
            hits.append(
                VideoHit(
                    entry_id=entry_id,
                    bank=first.bank,
                    bank_kind=first.bank_kind,
                    kind="frame",
                    signal_type="pdq",
                    distance=min(m.distance for m in matches),
                    query_share=len({pdq for pdq, _ in found}) / len(by_hash),
                    target_share=None,
                    frames=matches,
                    segments=segments([m.timestamp for m in matches], gap),
                    status="match" if "match" in statuses else sorted(statuses)[0],
                    source_key=first.source_key,
                    metadata=first.metadata,
                )
            )
        return hits


def with_video_matches(
    store: Store, matcher: Matcher, queries: Sequence[Query], rows: list[dict[str, Any]]
) -> None:
    """Add a ``video`` object to each match row whose query carries a vPDQ signature
    (``tutela match`` on video files): where the video matched listed videos and images."""
    video: VideoMatcher | None = None
    for query, row in zip(queries, rows, strict=True):
        signature = next((v for t, v in query.signals if t == "vpdq"), None)
        if signature is None:
            continue
        if video is None:
            video = VideoMatcher(store, matcher)
            video.refresh()
        result = video.match(parse_signature(signature), query.label)
        row["video"] = result.to_json()
        row["matched"] = bool(row.get("matched")) or result.matched
