"""An immutable run of index entries with its multi-index hashing tables.

A segment holds hashes and entry ids sorted by id (so an id is found by binary
search, with no second map), one flag byte per entry (0 active, 1 disabled,
2 removed) that is the only mutable part, and — above a size — the bucket
tables of :mod:`tutela.index.plan`. It is built once; the index adds new
segments instead of rebuilding old ones, and compaction merges them.

On disk a segment is a folder of ``.npy`` files (no pickle) that load
memory-mapped, so start-up is immediate and pages are shared between worker
processes.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from tutela.index import kernels
from tutela.index.codec import PDQ_WORDS, Words
from tutela.index.plan import Layout, layout_for, plan_tolerances, probe_masks

ACTIVE, DISABLED, REMOVED = 0, 1, 2

Found = tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int32]]
"""(query index, row in segment, distance) triples."""


@dataclass
class Tables:
    layout: Layout
    offsets: NDArray[np.uint32]  # (tables, 2**bits + 1)
    rows: NDArray[np.uint8]  # (tables, n × row_width): row numbers, bucket by bucket
    collision: NDArray[np.float64]  # (tables,) mean bucket size seen by data-like queries

    @property
    def row_width(self) -> int:
        """Bytes per row number (3, or 4 above 16.7 M rows); offsets[0, -1] is n."""
        return int(self.rows.shape[1] // max(1, int(self.offsets[0, -1])))


@lru_cache(maxsize=2)
def worker_pool(purpose: str) -> ThreadPoolExecutor:
    """One thread per core for ``"query"`` or ``"build"`` work.

    Separate pools, so a compaction building tables never queues queries.
    """
    return ThreadPoolExecutor(max_workers=os.cpu_count() or 1, thread_name_prefix=f"pdq-{purpose}")


def _collect(run: Callable[[NDArray[np.int64], int], tuple[int, int]], n_queries: int) -> Found:
    """Call a kernel until all queries are done, doubling its output buffer when full."""
    parts: list[NDArray[np.int64]] = []
    capacity = 4096
    first = 0
    while True:
        out = np.empty((capacity, 3), dtype=np.int64)
        used, first = run(out, first)
        parts.append(out[:used])
        if first >= n_queries:
            break
        if used == 0:
            capacity *= 2
    found = np.concatenate(parts) if len(parts) > 1 else parts[0]
    return found[:, 0].copy(), found[:, 1].copy(), found[:, 2].astype(np.int32)


class Segment:
    """Entries ``ids[i]``/``hashes[i]`` (sorted by id) with flags and optional tables."""

    def __init__(
        self,
        ids: NDArray[np.int64],
        hashes: Words,
        flags: NDArray[np.uint8],
        tables: Tables | None,
        name: str,
    ) -> None:
        self.ids = ids
        self.hashes = hashes
        self.flags = flags
        self.tables = tables
        self.name = name
        self._plans: dict[int, NDArray[np.int64] | None] = {}

    def __len__(self) -> int:
        return len(self.ids)

    @classmethod
    def build(
        cls,
        ids: NDArray[np.int64],
        hashes: Words,
        flags: NDArray[np.uint8],
        name: str,
        min_table_entries: int,
    ) -> Segment:
        """Sort by id and build the bucket tables (ids must be unique)."""
        order = np.argsort(ids, kind="stable")
        ids = np.ascontiguousarray(ids[order])
        if len(ids) > 1 and bool(np.any(ids[1:] == ids[:-1])):
            raise ValueError("duplicate entry ids in one segment")
        hashes = np.ascontiguousarray(hashes[order])
        flags = np.ascontiguousarray(flags[order])
        layout = layout_for(len(ids), min_table_entries)
        tables = None
        if layout is not None:
            n_buckets = 1 << layout.bits
            offsets = np.empty((layout.tables, n_buckets + 1), dtype=np.uint32)
            width = 3 if len(ids) <= 1 << 24 else 4
            rows = np.empty((layout.tables, len(ids) * width), dtype=np.uint8)
            collision = np.empty(layout.tables, dtype=np.float64)

            def fill(k: int) -> None:
                keys = kernels.substring_keys(hashes, layout.starts[k], layout.bits)
                offsets[k], rows[k] = kernels.bucket_table(keys, n_buckets, width)
                counts = np.diff(offsets[k]).astype(np.float64)
                collision[k] = float(counts @ counts) / len(ids)

            list(worker_pool("build").map(fill, range(layout.tables)))  # kernels release the GIL
            tables = Tables(layout, offsets, rows, collision)
        return cls(ids, hashes, flags, tables, name)

    def search(self, queries: Words, radius: int) -> Found:
        """Exact: every non-flagged row within ``radius`` of each query, each once."""
        plan = None
        if self.tables is not None:
            if radius not in self._plans:
                self._plans[radius] = plan_tolerances(
                    self.tables.layout, len(self), self.tables.collision, radius
                )
            plan = self._plans[radius]
        if self.tables is None or plan is None:

            def run(out: NDArray[np.int64], first: int) -> tuple[int, int]:
                used, resume = kernels.flat_search(
                    queries, self.hashes, self.flags, radius, out, first
                )
                return int(used), int(resume)

        else:
            tables = self.tables
            masks, counts = probe_masks(tables.layout.bits)
            starts = np.asarray(tables.layout.starts, dtype=np.int64)

            def run(out: NDArray[np.int64], first: int) -> tuple[int, int]:
                used, resume = kernels.mih_search(
                    queries, self.hashes, self.flags, starts, tables.layout.bits,
                    tables.offsets, tables.rows, tables.row_width, plan, masks, counts, radius,
                    out, first,
                )  # fmt: skip
                return int(used), int(resume)

        return _collect(run, len(queries))

    def rows_of(self, ids: NDArray[np.int64]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """(positions in ``ids`` argument, rows here) for ids present and not removed."""
        if len(self) == 0 or len(ids) == 0:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty
        rows = np.searchsorted(self.ids, ids)
        rows = np.minimum(rows, len(self) - 1)
        hit = (self.ids[rows] == ids) & (self.flags[rows] != REMOVED)
        return np.flatnonzero(hit), rows[hit].astype(np.int64)

    def nbytes(self) -> int:
        size = self.ids.nbytes + self.hashes.nbytes + self.flags.nbytes
        if self.tables is not None:
            size += self.tables.offsets.nbytes + self.tables.rows.nbytes
        return int(size)

    # -- persistence -------------------------------------------------------------------

    def save_arrays(self, folder: Path) -> None:
        """Write the immutable arrays (flags are saved by the index, per generation)."""
        folder.mkdir(parents=True, exist_ok=True)
        np.save(folder / "ids.npy", self.ids)
        np.save(folder / "hashes.npy", self.hashes)
        meta: dict[str, Any] = {"entries": len(self), "tables": None}
        if self.tables is not None:
            np.save(folder / "offsets.npy", self.tables.offsets)
            np.save(folder / "rows.npy", self.tables.rows)
            meta["tables"] = {
                "bits": self.tables.layout.bits,
                "starts": list(self.tables.layout.starts),
                "collision": [float(c) for c in self.tables.collision],
            }
        (folder / "segment.json").write_text(json.dumps(meta, indent=1))

    @classmethod
    def load(cls, folder: Path, flags: NDArray[np.uint8], mmap: bool) -> Segment:
        # Copy-on-write maps are writable arrays to numba (one compiled variant for both
        # loaded and built segments) yet stay shared page cache: nothing writes them.
        mode: Any = "c" if mmap else None
        meta = json.loads((folder / "segment.json").read_text())
        ids = np.load(folder / "ids.npy", mmap_mode=mode, allow_pickle=False)
        hashes = np.load(folder / "hashes.npy", mmap_mode=mode, allow_pickle=False)
        n = int(meta["entries"])
        if ids.shape != (n,) or hashes.shape != (n, PDQ_WORDS) or flags.shape != (n,):
            raise ValueError(f"index segment {folder} is inconsistent (sizes differ)")
        tables = None
        if meta["tables"] is not None:
            spec = meta["tables"]
            layout = Layout(int(spec["bits"]), tuple(int(s) for s in spec["starts"]))
            offsets = np.load(folder / "offsets.npy", mmap_mode=mode, allow_pickle=False)
            rows = np.load(folder / "rows.npy", mmap_mode=mode, allow_pickle=False)
            if (
                offsets.shape != (layout.tables, (1 << layout.bits) + 1)
                or rows.shape[0] != layout.tables
                or rows.shape[1] not in (3 * n, 4 * n)
            ):
                raise ValueError(f"index segment {folder} is inconsistent (table shapes)")
            collision = np.asarray(spec["collision"], dtype=np.float64)
            tables = Tables(layout, offsets, rows, collision)
        return cls(ids, hashes, flags, tables, folder.name)
