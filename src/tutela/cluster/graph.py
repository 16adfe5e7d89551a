"""Incremental, exact PDQ clustering: union-find over the "distance ≤ threshold" graph.

Neighbour search is an exact brute-force scan over bit-packed hashes (four
64-bit words per hash, XOR and popcount in NumPy), done in blocks so new items
are compared with all items in a few vectorised passes. Union-find is a dozen
lines and has no library equivalent that supports adding nodes one by one, so
it is written here.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

BLOCK = 128
"""New hashes compared at once (bounds the temporary arrays to BLOCK × N)."""


def packed(hex_hashes: Iterable[str]) -> np.ndarray:
    """PDQ hex strings → N×4 uint64 (big-endian words, so bit order is irrelevant)."""
    raw = b"".join(bytes.fromhex(h) for h in hex_hashes)
    return np.frombuffer(raw, dtype=">u8").astype(np.uint64).reshape(-1, 4)


def distances(block: np.ndarray, against: np.ndarray) -> np.ndarray:
    """Hamming distances, |block| × |against| (one 64-bit word at a time: small temporaries)."""
    result = np.zeros((block.shape[0], against.shape[0]), dtype=np.uint16)
    for word in range(4):
        x = np.bitwise_xor(block[:, word, None], against[None, :, word])
        result += np.bitwise_count(x)
    return result


class PdqClusterer:
    """Items arrive in any order and in any batches; :meth:`components` is the same."""

    def __init__(self, threshold: int) -> None:
        self.threshold = threshold
        self.keys: list[str] = []
        self._index: dict[str, int] = {}
        self._hashes = np.zeros((0, 4), dtype=np.uint64)
        self._parent: list[int] = []

    def __len__(self) -> int:
        return len(self.keys)

    def __contains__(self, key: object) -> bool:
        return key in self._index

    def add(self, items: Iterable[tuple[str, str]], compare: bool = True) -> None:
        """Add ``(key, pdq_hex)`` pairs, joining each to every item within the threshold.

        ``compare=False`` only records items whose connections are restored with
        :meth:`join` (items of stored clusters), so a re-run compares new items only.
        """
        fresh = [(k, h) for k, h in items if k not in self._index]
        if not fresh:
            return
        start = len(self.keys)
        for offset, (key, _) in enumerate(fresh):
            self._index[key] = start + offset
            self.keys.append(key)
            self._parent.append(start + offset)
        self._hashes = np.concatenate([self._hashes, packed(h for _, h in fresh)])
        if not compare:
            return
        for lo in range(start, len(self.keys), BLOCK):
            hi = min(lo + BLOCK, len(self.keys))
            # Each new item against everything before it (old items and earlier new ones).
            near = distances(self._hashes[lo:hi], self._hashes[:hi]) <= self.threshold
            rows, cols = np.nonzero(near)
            for r, c in zip((rows + lo).tolist(), cols.tolist(), strict=True):
                if c < r:
                    self._union(r, c)

    def join(self, keys: Iterable[str]) -> None:
        """Mark already-known items as connected (restoring stored clusters without rescanning)."""
        indices = [self._index[k] for k in keys]
        for other in indices[1:]:
            self._union(indices[0], other)

    def components(self) -> list[list[str]]:
        """Every cluster as a sorted list of keys, the list sorted by its first key."""
        groups: dict[int, list[str]] = {}
        for i, key in enumerate(self.keys):
            groups.setdefault(self._find(i), []).append(key)
        return sorted((sorted(g) for g in groups.values()), key=lambda g: g[0])

    def _find(self, i: int) -> int:
        parent = self._parent
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def _union(self, a: int, b: int) -> None:
        ra, rb = self._find(a), self._find(b)
        if ra != rb:
            self._parent[max(ra, rb)] = min(ra, rb)
