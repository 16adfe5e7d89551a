"""Match signals against every bank: exact hashes by lookup, PDQ by exact radius search.

Per bank: a PDQ hit counts when its distance is within *that bank's* threshold;
hashes of quality below 50 are not PDQ-compared (and the result says so); a hit
on a negative bank suppresses the positive hits of the same query; quarantined
entries are reported as such and never count as matches.

A :class:`Matcher` keeps the perceptual index in memory and refreshes it
incrementally (only entries added since its last refresh are read). Results are
machine signals for human review, never verdicts.
"""

from __future__ import annotations

import os
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import func, select

from tutela.banks.models import Bank, Entry
from tutela.banks.pdq_index import PdqIndex, hex_to_array, load_persisted, new_index, persist
from tutela.banks.service import current_revision
from tutela.banks.signal_types import ItemFacts, compared_types, registry
from tutela.signals.pdq import PDQ_QUALITY_THRESHOLD
from tutela.store.db import Store

PAGE = 100_000
_CHUNK = 500


@dataclass
class Query:
    """What one input offers for matching."""

    label: str
    signals: list[tuple[str, str]]
    """Canonical (signal type, value) pairs."""
    pdq_quality: int | None = None
    extra_pdq: list[tuple[str, str]] = field(default_factory=list)
    """Further PDQ hashes of the same input with how they were made (rotations, un-letterboxed)."""
    notes: list[str] = field(default_factory=list)

    def to_signals(self) -> list[dict[str, str]]:
        return [{"signal_type": t, "value": v} for t, v in self.signals]


@dataclass
class Hit:
    entry_id: int
    bank: str
    bank_kind: str
    signal_type: str
    value: str
    distance: int
    via: str
    status: str
    """``match``, ``suppressed`` (a negative bank also matched) or ``quarantined``."""
    source_key: str
    metadata: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {
            "entry_id": self.entry_id,
            "signal_type": self.signal_type,
            "value": self.value,
            "distance": self.distance,
            "via": self.via,
            "status": self.status,
            "source_key": self.source_key,
            "metadata": self.metadata,
        }


@dataclass
class MatchResult:
    query: Query
    hits: list[Hit]
    notes: list[str]

    @property
    def matched(self) -> bool:
        return any(h.status == "match" and h.bank_kind == "positive" for h in self.hits)

    @property
    def suppressed(self) -> bool:
        return any(h.status == "suppressed" for h in self.hits)

    def to_json(self, thresholds: dict[str, int] | None = None) -> dict[str, Any]:
        by_bank: dict[str, list[Hit]] = defaultdict(list)
        for hit in self.hits:
            by_bank[hit.bank].append(hit)
        return {
            "input": self.query.label,
            "signals": self.query.to_signals(),
            "pdq_quality": self.query.pdq_quality,
            "matched": self.matched,
            "suppressed": self.suppressed,
            "notes": self.notes,
            "banks": [
                {
                    "bank": name,
                    "kind": hits[0].bank_kind,
                    "pdq_threshold": (thresholds or {}).get(name),
                    "matches": [h.to_json() for h in hits],
                }
                for name, hits in sorted(by_bank.items())
            ],
        }


def query_from_item(item: ItemFacts, label: str | None = None) -> Query:
    """The signals an item offers to every registered signal type."""
    signals: list[tuple[str, str]] = []
    for st in registry().values():
        if st.compare == "none" or st.item_values is None:
            continue
        for value in st.item_values(item):
            signals.append((st.name, value))
    extra = [(via, v) for via, values in item.extra.items() for v in values]
    return Query(label or item.sha256, signals, item.pdq_quality, extra)


INDEX_DIR_ENV = "TUTELA_INDEX_DIR"
"""Folder where the PDQ index is persisted between runs (loaded instead of rebuilt)."""


def index_dir_from_env() -> Path | None:
    value = os.environ.get(INDEX_DIR_ENV)
    return Path(value).expanduser() if value else None


class Matcher:
    """Banks in memory for matching: the PDQ index plus what keeps it fresh."""

    def __init__(
        self, store: Store, index: PdqIndex | None = None, index_dir: Path | None = None
    ) -> None:
        self.store = store
        self.index_dir = index_dir
        self.loaded_id = 0
        self.revision = -1
        self.refreshed_at = 0.0
        persisted = None
        if index is None and index_dir is not None:
            persisted = load_persisted(index_dir, store.url)
        if persisted is not None:
            self.index, self.loaded_id = persisted
        else:
            self.index = index if index is not None else new_index()

    def refresh(self) -> int:
        """Add entries created since the last refresh to the index; returns how many.

        With an ``index_dir``, the index is saved after growing (only new segments
        are written) and loaded at the next start instead of being rebuilt.
        """
        hamming = compared_types("hamming")
        added = 0
        with self.store.session() as session:
            self.revision = current_revision(session)
            while True:
                rows = session.execute(
                    select(Entry.id, Entry.value)
                    .where(Entry.id > self.loaded_id, Entry.signal_type.in_(hamming))
                    .order_by(Entry.id)
                    .limit(PAGE)
                ).all()
                if not rows:
                    break
                ids = [r[0] for r in rows]
                self.index.add(np.asarray(ids, np.int64), hex_to_array([r[1] for r in rows]))
                self.loaded_id = ids[-1]
                added += len(rows)
            newest = session.scalar(select(func.max(Entry.id))) or 0
            self.loaded_id = max(self.loaded_id, int(newest))
        if added and self.index_dir is not None:
            persist(self.index, self.index_dir, self.store.url, self.loaded_id)
        self.refreshed_at = time.time()
        return added

    def is_fresh(self) -> bool:
        with self.store.session() as session:
            newest = int(session.scalar(select(func.max(Entry.id))) or 0)
        return newest <= self.loaded_id

    def thresholds(self) -> dict[str, int]:
        with self.store.session() as session:
            return {name: t for name, t in session.execute(select(Bank.name, Bank.pdq_threshold))}

    def match(self, queries: Sequence[Query]) -> list[MatchResult]:
        """Every entry of every bank within that bank's threshold, per query."""
        with self.store.session() as session:
            banks = {b.id: b for b in session.scalars(select(Bank))}
            radius = max((b.pdq_threshold for b in banks.values()), default=0)
            notes: list[list[str]] = [list(q.notes) for q in queries]
            # (query index, entry id) -> (distance, via)
            found: list[dict[int, tuple[int, str]]] = [{} for _ in queries]
            self._exact(session, queries, found)
            self._hamming(queries, radius, found, notes)
            wanted = {eid for f in found for eid in f}
            entries = _load_entries(session, wanted)
            parents = _load_entries(
                session, {e.parent_id for e in entries.values() if e.parent_id} - set(entries)
            )
            entries.update(parents)
        return [
            _assemble(q, f, entries, banks, n)
            for q, f, n in zip(queries, found, notes, strict=True)
        ]

    def _exact(
        self,
        session: Any,
        queries: Sequence[Query],
        found: list[dict[int, tuple[int, str]]],
    ) -> None:
        exact = set(compared_types("exact"))
        wanted: dict[tuple[str, str], list[int]] = defaultdict(list)
        for qi, query in enumerate(queries):
            for signal_type, value in query.signals:
                if signal_type in exact:
                    wanted[(signal_type, value)].append(qi)
        by_type: dict[str, list[str]] = defaultdict(list)
        for signal_type, value in wanted:
            by_type[signal_type].append(value)
        for signal_type, values in by_type.items():
            for start in range(0, len(values), _CHUNK):
                chunk = values[start : start + _CHUNK]
                for entry_id, value in session.execute(
                    select(Entry.id, Entry.value).where(
                        Entry.signal_type == signal_type, Entry.value.in_(chunk)
                    )
                ):
                    for qi in wanted[(signal_type, value)]:
                        found[qi][entry_id] = (0, "")

    def _hamming(
        self,
        queries: Sequence[Query],
        radius: int,
        found: list[dict[int, tuple[int, str]]],
        notes: list[list[str]],
    ) -> None:
        hamming = set(compared_types("hamming"))
        rows: list[tuple[int, str, str]] = []  # (query index, via, hex)
        for qi, query in enumerate(queries):
            hashes = [("", v) for t, v in query.signals if t in hamming]
            if not hashes:
                continue
            if query.pdq_quality is not None and query.pdq_quality < PDQ_QUALITY_THRESHOLD:
                notes[qi].append(
                    f"PDQ not compared: quality {query.pdq_quality} is below "
                    f"{PDQ_QUALITY_THRESHOLD} (too little structure for a reliable match)"
                )
                continue
            for via, value in hashes + list(query.extra_pdq):
                rows.append((qi, via, value))
        if not rows or not len(self.index):
            return
        hits = self.index.query(hex_to_array([r[2] for r in rows]), radius)
        for row, entry_id, dist in zip(
            hits.query.tolist(), hits.ids.tolist(), hits.distance.tolist(), strict=True
        ):
            qi, via, _ = rows[row]
            best = found[qi].get(entry_id)
            if best is None or dist < best[0]:
                found[qi][entry_id] = (int(dist), via)


def _load_entries(session: Any, ids: Iterable[int]) -> dict[int, Entry]:
    out: dict[int, Entry] = {}
    id_list = sorted(ids)
    for start in range(0, len(id_list), _CHUNK):
        for entry in session.scalars(
            select(Entry).where(Entry.id.in_(id_list[start : start + _CHUNK]))
        ):
            out[entry.id] = entry
    return out


def _assemble(
    query: Query,
    found: dict[int, tuple[int, str]],
    entries: dict[int, Entry],
    banks: dict[int, Bank],
    notes: list[str],
) -> MatchResult:
    best: dict[int, tuple[int, str]] = {}
    for entry_id, (distance, via) in found.items():
        entry = entries.get(entry_id)
        if entry is None:
            continue
        bank = banks[entry.bank_id]
        if entry.signal_type in compared_types("hamming") and distance > bank.pdq_threshold:
            continue
        listed = entry
        if entry.parent_id is not None:
            listed = entries.get(entry.parent_id, entry)
            via = "+".join(p for p in (via, entry.variant) if p)
        if listed.status == "disabled":
            continue
        current = best.get(listed.id)
        if current is None or distance < current[0]:
            best[listed.id] = (distance, via)
    hits = []
    for entry_id, (distance, via) in best.items():
        entry = entries[entry_id]
        bank = banks[entry.bank_id]
        hits.append(
            Hit(
                entry_id=entry.id,
                bank=bank.name,
                bank_kind=bank.kind,
                signal_type=entry.signal_type,
                value=entry.value,
                distance=distance,
                via=via,
                status="quarantined" if entry.status == "quarantined" else "match",
                source_key=entry.source_key,
                metadata=dict(entry.meta),
            )
        )
    negative = [h for h in hits if h.bank_kind == "negative" and h.status == "match"]
    if negative:
        for hit in hits:
            if hit.bank_kind == "positive" and hit.status == "match":
                hit.status = "suppressed"
        notes.append(
            "suppressed by negative bank entries: "
            + ", ".join(f"{h.bank}#{h.entry_id}" for h in negative)
        )
    hits.sort(key=lambda h: (h.bank, h.distance, h.entry_id))
    return MatchResult(query, hits, notes)
