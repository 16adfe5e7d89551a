"""The perceptual index matching uses, behind a small protocol.

:class:`BruteForcePdqIndex` is the exact reference: XOR and popcount over every
stored hash with NumPy. The fast index (``tutela.index``) is used when present;
both return exactly the same (id, distance) pairs, which the tests check.
Indexes only grow: disabled entries are filtered when a hit is read back from the
store, so curation never rebuilds an index.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

HASH_BYTES = 32


class PdqIndex(Protocol):
    def add(self, ids: np.ndarray, hashes: np.ndarray) -> None:
        """``ids``: int64 (n,), ``hashes``: uint8 (n, 32)."""

    def search(self, queries: np.ndarray, radius: int) -> list[tuple[np.ndarray, np.ndarray]]:
        """For each query (uint8 (m, 32)): (ids, distances) of every hash within ``radius``."""

    def __len__(self) -> int: ...


class BruteForcePdqIndex:
    """Exact radius search by scanning everything (the reference for the fast index)."""

    def __init__(self) -> None:
        self._ids: list[np.ndarray] = []
        self._words: list[np.ndarray] = []
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def add(self, ids: np.ndarray, hashes: np.ndarray) -> None:
        if len(ids) == 0:
            return
        hashes = np.ascontiguousarray(hashes, dtype=np.uint8).reshape(-1, HASH_BYTES)
        self._ids.append(np.asarray(ids, dtype=np.int64))
        self._words.append(hashes.view(np.uint64).reshape(-1, 4))
        self._count += len(ids)

    def _consolidate(self) -> tuple[np.ndarray, np.ndarray]:
        if len(self._ids) > 1:
            self._ids = [np.concatenate(self._ids)]
            self._words = [np.concatenate(self._words)]
        if not self._ids:
            return np.zeros(0, np.int64), np.zeros((0, 4), np.uint64)
        return self._ids[0], self._words[0]

    def search(self, queries: np.ndarray, radius: int) -> list[tuple[np.ndarray, np.ndarray]]:
        ids, words = self._consolidate()
        q = np.ascontiguousarray(queries, dtype=np.uint8).reshape(-1, HASH_BYTES)
        qwords = q.view(np.uint64).reshape(-1, 4)
        out = []
        for row in qwords:
            dist = np.bitwise_count(words ^ row).sum(axis=1, dtype=np.int64)
            hit = np.nonzero(dist <= radius)[0]
            out.append((ids[hit], dist[hit]))
        return out


def new_index() -> PdqIndex:
    """The fastest exact index available."""
    return BruteForcePdqIndex()


def hex_to_array(values: list[str]) -> np.ndarray:
    """PDQ hex strings → uint8 (n, 32), without going through Python bit strings."""
    if not values:
        return np.zeros((0, HASH_BYTES), np.uint8)
    return np.frombuffer(bytes.fromhex("".join(values)), dtype=np.uint8).reshape(-1, HASH_BYTES)
