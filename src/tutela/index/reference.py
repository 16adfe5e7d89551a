"""Naive brute force over all entries: the oracle the fast index is tested against.

Deliberately simple (one NumPy expression per query) so that it is obviously
right; the index must return exactly what this returns.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from tutela.index.codec import Words
from tutela.index.pdq_index import Matches


def brute_force(ids: NDArray[np.int64], hashes: Words, queries: Words, radius: int) -> Matches:
    """Every (query, id) pair within ``radius``, sorted like :class:`Matches`."""
    parts_q, parts_id, parts_d = [], [], []
    for qi, q in enumerate(queries):
        distance = np.bitwise_count(hashes ^ q).sum(axis=1, dtype=np.int64)
        hit = np.flatnonzero(distance <= radius)
        parts_q.append(np.full(len(hit), qi, dtype=np.int64))
        parts_id.append(ids[hit].astype(np.int64))
        parts_d.append(distance[hit])
    if not parts_q:
        empty = np.zeros(0, dtype=np.int64)
        return Matches(empty, empty, empty.astype(np.int32))
    q = np.concatenate(parts_q)
    found = np.concatenate(parts_id)
    d = np.concatenate(parts_d)
    order = np.lexsort((found, d, q))
    return Matches(q[order], found[order], d[order].astype(np.int32))
