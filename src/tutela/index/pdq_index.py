"""The PDQ index: exact radius search over millions of hashes, updated in place.

Layout (an LSM-like set of immutable segments):

* the **base** segment(s) hold the bulk of a list, with multi-index hashing
  tables (:mod:`tutela.index.plan`);
* new entries go to a small **delta** segment, rebuilt on each add while it
  stays under ``delta_limit``; past that it is sealed and a new delta starts —
  adding never rebuilds older segments;
* removing, disabling and re-enabling flip one byte per entry (tombstones);
* :meth:`PdqIndex.compact` merges all segments and drops removed entries while
  queries keep running on the old segments, then swaps them in one assignment.

Every query is exact (the same result as :func:`tutela.index.reference.brute_force`)
at any radius 0…256, returns distances so callers can apply per-bank thresholds
below the radius they queried, and is batched: pass all query hashes (e.g. the
eight dihedral variants of every image) in one call.

Thread safety: queries may run concurrently with each other and with updates
(a query sees an update either before or after it). Updates, saving and
compaction serialise on one lock.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike, NDArray

from tutela.index.codec import HashInput, as_ids, to_words
from tutela.index.segment import ACTIVE, DISABLED, REMOVED, Found, Segment, worker_pool

FORMAT = "tutela-pdq-index"
FORMAT_VERSION = 1
MAX_RADIUS = 256
MAX_SEGMENTS = 8
"""Past this many segments, adding folds all but the largest into one."""


@dataclass(frozen=True)
class Matches:
    """Flat arrays, one element per (query, entry) pair within the radius.

    Sorted by query, then distance, then id. ``query`` indexes the hashes
    passed to :meth:`PdqIndex.query`.
    """

    query: NDArray[np.int64]
    ids: NDArray[np.int64]
    distance: NDArray[np.int32]

    def __len__(self) -> int:
        return len(self.ids)

    def within(self, radius: int) -> Matches:
        """The matches at distance ≤ ``radius`` (for per-bank thresholds)."""
        keep = self.distance <= radius
        return Matches(self.query[keep], self.ids[keep], self.distance[keep])


@dataclass(frozen=True)
class IndexStats:
    entries: int
    """Entries held (active + disabled)."""
    active: int
    disabled: int
    removed: int
    """Tombstones that compaction will drop."""
    segments: int
    largest_segment: int
    delta_entries: int
    nbytes: int
    """Bytes of the index arrays (hashes, ids, flags, tables)."""


def _merge(segments: Sequence[Segment], name: str, min_table_entries: int) -> Segment:
    """One new segment with the entries of ``segments`` that are not removed."""
    keep = [s.flags != REMOVED for s in segments]
    return Segment.build(
        np.concatenate([s.ids[k] for s, k in zip(segments, keep, strict=True)]),
        np.concatenate([s.hashes[k] for s, k in zip(segments, keep, strict=True)]),
        np.concatenate([s.flags[k] for s, k in zip(segments, keep, strict=True)]),
        name,
        min_table_entries,
    )


def _empty_found() -> Found:
    return (
        np.zeros(0, dtype=np.int64),
        np.zeros(0, dtype=np.int64),
        np.zeros(0, dtype=np.int32),
    )


class PdqIndex:
    """Exact, incremental PDQ radius search keyed by entry id (``int64``).

    ``delta_limit``: largest delta segment rebuilt on add (bigger batches
    become their own segment). ``min_table_entries``: segments smaller than
    this are scanned instead of getting bucket tables.
    """

    def __init__(self, *, delta_limit: int = 65_536, min_table_entries: int = 16_384) -> None:
        self.delta_limit = delta_limit
        self.min_table_entries = min_table_entries
        self._segments: tuple[Segment, ...] = ()
        self._delta_open = False  # is the last segment the (rebuildable) delta?
        self._lock = threading.RLock()

    # -- reading ---------------------------------------------------------------------

    @property
    def segments(self) -> tuple[Segment, ...]:
        """The current immutable segments (oldest first)."""
        return self._segments

    def __len__(self) -> int:
        return sum(int(np.count_nonzero(s.flags != REMOVED)) for s in self._segments)

    def query(self, hashes: HashInput, radius: int = 31, *, threads: int | None = None) -> Matches:
        """Every active entry within ``radius`` bits of each query hash.

        ``hashes``: hex strings, ``(n, 32)`` uint8 or ``(n, 4)`` uint64.
        ``threads``: how many cores share a batch (default: all).
        """
        if isinstance(radius, bool) or not isinstance(radius, int | np.integer):
            raise TypeError(f"radius must be an integer, got {radius!r}")
        if not 0 <= radius <= MAX_RADIUS:
            raise ValueError(f"radius must be between 0 and {MAX_RADIUS}, got {radius}")
        queries = to_words(hashes)
        segments = self._segments
        if len(queries) == 0 or not segments:
            return Matches(*_empty_found())
        workers = max(1, min(threads or os.cpu_count() or 1, len(queries) // 8 or 1))
        bounds = np.linspace(0, len(queries), workers + 1).astype(np.int64)
        chunks = [(int(a), int(b)) for a, b in itertools.pairwise(bounds) if b > a]

        def run(chunk: tuple[int, int]) -> tuple[NDArray[np.int64], ...]:
            lo, hi = chunk
            parts_q, parts_id, parts_d = [], [], []
            for segment in segments:
                q, rows, d = segment.search(queries[lo:hi], int(radius))
                parts_q.append(q + lo)
                parts_id.append(segment.ids[rows])
                parts_d.append(d.astype(np.int64))
            return (np.concatenate(parts_q), np.concatenate(parts_id), np.concatenate(parts_d))

        results = (
            [run(chunks[0])] if len(chunks) == 1 else list(worker_pool("query").map(run, chunks))
        )
        q = np.concatenate([r[0] for r in results])
        ids = np.concatenate([r[1] for r in results])
        d = np.concatenate([r[2] for r in results])
        order = np.lexsort((ids, d, q))
        return Matches(q[order], ids[order], d[order].astype(np.int32))

    def entry_ids(self) -> NDArray[np.int64]:
        """Ids of every entry held (active or disabled), sorted."""
        parts = [s.ids[s.flags != REMOVED] for s in self._segments]
        return np.sort(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.int64)

    def disabled_ids(self) -> NDArray[np.int64]:
        parts = [s.ids[s.flags == DISABLED] for s in self._segments]
        return np.sort(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.int64)

    def stats(self) -> IndexStats:
        segments = self._segments
        counts = np.zeros(3, dtype=np.int64)
        for s in segments:
            counts += np.bincount(s.flags, minlength=3)[:3]
        return IndexStats(
            entries=int(counts[ACTIVE] + counts[DISABLED]),
            active=int(counts[ACTIVE]),
            disabled=int(counts[DISABLED]),
            removed=int(counts[REMOVED]),
            segments=len(segments),
            largest_segment=max((len(s) for s in segments), default=0),
            delta_entries=len(segments[-1]) if segments and self._delta_open else 0,
            nbytes=sum(s.nbytes() for s in segments),
        )

    @property
    def needs_compaction(self) -> bool:
        """True when several segments or many tombstones slow queries; run :meth:`compact`."""
        stats = self.stats()
        return stats.segments > 2 or stats.removed > max(1_000, stats.entries // 10)

    # -- updating --------------------------------------------------------------------

    def add(self, ids: ArrayLike, hashes: HashInput) -> None:
        """Insert or replace entries (an existing id gets the new hash and is active)."""
        new_ids = as_ids(ids)
        words = to_words(hashes)
        if len(new_ids) != len(words):
            raise ValueError(f"{len(new_ids)} ids but {len(words)} hashes")
        ordered = np.sort(new_ids)
        if bool(np.any(ordered[1:] == ordered[:-1])):
            raise ValueError("duplicate ids in one add() call")
        if len(new_ids) == 0:
            return
        with self._lock:
            segments = self._segments
            flags = np.zeros(len(new_ids), dtype=np.uint8)
            if self._delta_open and len(segments[-1]) + len(new_ids) <= self.delta_limit:
                delta = segments[-1]
                keep = delta.flags != REMOVED
                keep[delta.rows_of(new_ids)[1]] = False
                merged = Segment.build(
                    np.concatenate([delta.ids[keep], new_ids]),
                    np.concatenate([delta.hashes[keep], words]),
                    np.concatenate([delta.flags[keep], flags]),
                    self._new_name(),
                    self.min_table_entries,
                )
                older = segments[:-1]
                self._segments = (*older, merged)
            else:
                older = segments
                built = Segment.build(
                    new_ids, words, flags, self._new_name(), self.min_table_entries
                )
                self._segments = (*older, built)
                self._delta_open = len(new_ids) <= self.delta_limit
            for segment in older:  # replaced entries: tombstone the old copies
                segment.flags[segment.rows_of(new_ids)[1]] = REMOVED
            if len(self._segments) > MAX_SEGMENTS:
                self._merge_all_but_largest()

    def _merge_all_but_largest(self) -> None:
        """Fold the smaller segments into one, leaving the largest (the base) untouched.

        Keeps the segment count (and so per-query overhead) bounded when a list
        arrives in many batches, without ever rebuilding the base.
        """
        segments = self._segments
        largest = max(range(len(segments)), key=lambda i: len(segments[i]))
        rest = [s for i, s in enumerate(segments) if i != largest]
        merged = _merge(rest, self._new_name(), self.min_table_entries)
        self._segments = (segments[largest], merged)
        self._delta_open = False

    def remove(self, ids: ArrayLike) -> int:
        """Drop entries (ids not held are ignored); returns how many were removed."""
        return self._set_flags(ids, REMOVED, (ACTIVE, DISABLED))

    def disable(self, ids: ArrayLike) -> int:
        """Exclude entries from matching, reversibly; returns how many changed."""
        return self._set_flags(ids, DISABLED, (ACTIVE,))

    def enable(self, ids: ArrayLike) -> int:
        """Undo :meth:`disable`; returns how many changed."""
        return self._set_flags(ids, ACTIVE, (DISABLED,))

    def _set_flags(self, ids: ArrayLike, value: int, from_values: Sequence[int]) -> int:
        wanted = np.sort(as_ids(ids))
        wanted = (
            wanted[np.concatenate(([True], wanted[1:] != wanted[:-1]))] if len(wanted) else wanted
        )
        changed = 0
        with self._lock:
            for segment in self._segments:
                rows = segment.rows_of(wanted)[1]
                rows = rows[np.isin(segment.flags[rows], from_values)]
                segment.flags[rows] = value
                changed += len(rows)
        return changed

    def compact(self) -> None:
        """Merge all segments into one and drop removed entries.

        Builds the new segment aside (memory: old + new index until the swap);
        queries keep running on the old segments meanwhile. Updates wait.
        """
        with self._lock:
            segments = self._segments
            if len(segments) <= 1 and not any(np.any(s.flags == REMOVED) for s in segments):
                self._delta_open = False
                return
            merged = _merge(segments, self._new_name(), self.min_table_entries)
            self._segments = (merged,) if len(merged) else ()
            self._delta_open = False

    @staticmethod
    def _new_name() -> str:
        return uuid.uuid4().hex

    # -- persistence -----------------------------------------------------------------

    def save(self, directory: str | os.PathLike[str]) -> None:
        """Persist to ``directory`` as ``.npy`` files and a JSON manifest (no pickle).

        Segments are immutable, so only segments not yet in ``directory`` are
        written; flags are written per save. The manifest is replaced
        atomically last, so a crash leaves the previous save loadable.
        """
        root = Path(directory)
        with self._lock:
            segments = self._segments
            (root / "segments").mkdir(parents=True, exist_ok=True)
            manifest_path = root / "manifest.json"
            generation = 1
            if manifest_path.exists():
                generation = int(json.loads(manifest_path.read_text()).get("generation", 0)) + 1
            flags_dir = root / f"flags-{generation}"
            flags_dir.mkdir(exist_ok=True)
            for segment in segments:
                folder = root / "segments" / segment.name
                if not (folder / "segment.json").exists():
                    staging = root / "segments" / f"{segment.name}.partial"
                    shutil.rmtree(staging, ignore_errors=True)
                    segment.save_arrays(staging)
                    os.replace(staging, folder)
                np.save(flags_dir / f"{segment.name}.npy", np.asarray(segment.flags))
            manifest = {
                "format": FORMAT,
                "version": FORMAT_VERSION,
                "generation": generation,
                "delta_open": self._delta_open,
                "settings": {
                    "delta_limit": self.delta_limit,
                    "min_table_entries": self.min_table_entries,
                },
                "segments": [{"name": s.name, "entries": len(s)} for s in segments],
            }
            staging_manifest = root / "manifest.json.partial"
            staging_manifest.write_text(json.dumps(manifest, indent=1))
            os.replace(staging_manifest, manifest_path)
            live = {s.name for s in segments}
            for folder in (root / "segments").iterdir():
                if folder.name not in live:
                    shutil.rmtree(folder, ignore_errors=True)
            for folder in root.glob("flags-*"):
                if folder != flags_dir:
                    shutil.rmtree(folder, ignore_errors=True)

    @classmethod
    def load(cls, directory: str | os.PathLike[str], *, mmap: bool = True) -> PdqIndex:
        """Open a saved index; ``mmap`` maps the arrays instead of reading them."""
        root = Path(directory)
        manifest_path = root / "manifest.json"
        if not manifest_path.exists():
            raise FileNotFoundError(f"no PDQ index at {root} (manifest.json missing)")
        manifest = json.loads(manifest_path.read_text())
        if manifest.get("format") != FORMAT or manifest.get("version") != FORMAT_VERSION:
            raise ValueError(
                f"{manifest_path} is not a {FORMAT} v{FORMAT_VERSION} manifest "
                f"(format={manifest.get('format')!r}, version={manifest.get('version')!r})"
            )
        settings = manifest["settings"]
        index = cls(
            delta_limit=int(settings["delta_limit"]),
            min_table_entries=int(settings["min_table_entries"]),
        )
        flags_dir = root / f"flags-{int(manifest['generation'])}"
        segments = []
        for spec in manifest["segments"]:
            flags = np.load(flags_dir / f"{spec['name']}.npy", allow_pickle=False)
            segments.append(
                Segment.load(root / "segments" / spec["name"], np.array(flags, np.uint8), mmap)
            )
        index._segments = tuple(segments)
        index._delta_open = bool(manifest["delta_open"])
        return index
