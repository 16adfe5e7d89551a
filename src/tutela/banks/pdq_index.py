"""The perceptual index matching uses, behind the interface of ``tutela.index``.

``tutela.index.PdqIndex`` (exact multi-index hashing, incremental, persisted) is
used when it is installed; :class:`BruteForcePdqIndex` is the exact fallback and
reference: XOR and popcount over every stored hash. Both return exactly the same
(query, id, distance) triples, which the tests check. Matching only ever adds to
the index: disabled entries are filtered when hits are read back from the store,
so curation never rebuilds it.
"""

from __future__ import annotations

import importlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

HASH_BYTES = 32
MARKER = "tutela-banks.json"
"""Beside a persisted index: which database and entry ids it was built from."""


class IndexHits(Protocol):
    @property
    def query(self) -> NDArray[np.int64]: ...
    @property
    def ids(self) -> NDArray[np.int64]: ...
    @property
    def distance(self) -> NDArray[np.int32]: ...


class PdqIndex(Protocol):
    def add(self, ids: Any, hashes: Any) -> None:
        """``ids``: int64 (n,), ``hashes``: uint8 (n, 32)."""

    def query(self, hashes: Any, radius: int = 31) -> IndexHits:
        """Every (query row, id, distance) within ``radius``, as flat arrays."""

    def __len__(self) -> int: ...


@dataclass(frozen=True)
class Hits:
    query: NDArray[np.int64]
    ids: NDArray[np.int64]
    distance: NDArray[np.int32]


class BruteForcePdqIndex:
    """Exact radius search by scanning everything (the reference for the fast index)."""

    def __init__(self) -> None:
        self._ids: list[NDArray[np.int64]] = []
        self._words: list[NDArray[np.uint64]] = []
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def add(self, ids: Any, hashes: Any) -> None:
        if len(ids) == 0:
            return
        data = np.ascontiguousarray(hashes, dtype=np.uint8).reshape(-1, HASH_BYTES)
        self._ids.append(np.asarray(ids, dtype=np.int64))
        self._words.append(data.view(np.uint64).reshape(-1, 4))
        self._count += len(ids)

    def _consolidate(self) -> tuple[NDArray[np.int64], NDArray[np.uint64]]:
        if len(self._ids) > 1:
            self._ids = [np.concatenate(self._ids)]
            self._words = [np.concatenate(self._words)]
        if not self._ids:
            return np.zeros(0, np.int64), np.zeros((0, 4), np.uint64)
        return self._ids[0], self._words[0]

    def query(self, hashes: Any, radius: int = 31) -> Hits:
        ids, words = self._consolidate()
        data = np.ascontiguousarray(hashes, dtype=np.uint8).reshape(-1, HASH_BYTES)
        parts: list[tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]] = []
        for qi, row in enumerate(data.view(np.uint64).reshape(-1, 4)):
            dist = np.bitwise_count(words ^ row).sum(axis=1, dtype=np.int64)
            hit = np.nonzero(dist <= radius)[0]
            parts.append((np.full(len(hit), qi, np.int64), ids[hit], dist[hit]))
        if not parts:
            empty = np.zeros(0, np.int64)
            return Hits(empty, empty, empty.astype(np.int32))
        q = np.concatenate([p[0] for p in parts])
        found = np.concatenate([p[1] for p in parts])
        d = np.concatenate([p[2] for p in parts])
        order = np.lexsort((found, d, q))
        return Hits(q[order], found[order], d[order].astype(np.int32))


def _fast_module() -> Any:
    """``tutela.index`` if installed (imported by name: it is an optional sibling package)."""
    try:
        return importlib.import_module("tutela.index")
    except ImportError:
        return None


def fast_index_available() -> bool:
    return _fast_module() is not None


def new_index() -> PdqIndex:
    """The fastest exact index available."""
    fast = _fast_module()
    if fast is not None:
        index: PdqIndex = fast.PdqIndex()
        return index
    return BruteForcePdqIndex()


def load_persisted(directory: Path, database: str) -> tuple[PdqIndex, int] | None:
    """A saved index and the highest entry id it holds, if it was built from ``database``."""
    marker = directory / MARKER
    if not fast_index_available() or not marker.is_file():
        return None
    try:
        info = json.loads(marker.read_text())
        if info.get("database") != database:
            return None
        index: PdqIndex = _fast_module().PdqIndex.load(directory)
        return index, int(info["loaded_id"])
    except (OSError, ValueError, KeyError):
        return None  # unreadable or from another version: rebuilt from the store


def persist(index: PdqIndex, directory: Path, database: str, loaded_id: int) -> bool:
    """Save an index that can be saved (the fast one); the marker is written last."""
    save = getattr(index, "save", None)
    if save is None:
        return False
    directory.mkdir(parents=True, exist_ok=True)
    save(directory)
    staging = directory / (MARKER + ".partial")
    staging.write_text(json.dumps({"database": database, "loaded_id": loaded_id}))
    staging.replace(directory / MARKER)
    return True


def hex_to_array(values: list[str]) -> NDArray[np.uint8]:
    """PDQ hex strings → uint8 (n, 32), without going through Python bit strings."""
    if not values:
        return np.zeros((0, HASH_BYTES), np.uint8)
    return np.frombuffer(bytes.fromhex("".join(values)), dtype=np.uint8).reshape(-1, HASH_BYTES)
