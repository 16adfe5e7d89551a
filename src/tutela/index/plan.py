"""How a segment splits hashes into substrings, and how a query radius is planned.

Multi-index hashing keeps ``m`` tables, one per ``b``-bit substring, each a
direct-address bucket array. A query at radius ``r`` gives each table a
tolerance ``tᵏ`` (probe every key within ``tᵏ`` bits of the query's substring,
or skip the table with ``tᵏ = −1``) such that Σ(tᵏ + 1) ≥ r + 1; by the
pigeonhole principle every hash within ``r`` is then found in some table. The
planner picks the cheapest such tolerances from the table statistics, and falls
back to an exact scan when that is cheaper (large radii, small segments): both
paths return exactly the brute-force result at every radius 0…256.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from itertools import combinations

import numpy as np
from numpy.typing import NDArray

MAX_TOLERANCE = 5
"""Largest per-table probe radius (C(21, ≤5) = 27,896 probes); beyond it a scan is cheaper."""

MAX_BITS = 23
"""Longest substring: 11 disjoint substrings must fit in 256 bits (8.4 M buckets a table)."""

# Relative costs (≈ ns on a current x86-64), measured with benchmarks/bench_index.py:
# a probe reads two offsets, a candidate is a scattered 32-byte read and a
# popcount, a scanned row is a streamed read and a popcount.
COST_PROBE = 8.0
COST_CANDIDATE = 12.0
COST_SCAN_ROW = 1.5


@dataclass(frozen=True)
class Layout:
    """``tables`` substrings of ``bits`` bits each, starting at ``starts``."""

    bits: int
    starts: tuple[int, ...]

    @property
    def tables(self) -> int:
        return len(self.starts)


def layout_for(n: int, min_entries: int) -> Layout | None:
    """Table shape for ``n`` hashes; ``None`` (scan only) for small segments.

    ``b = ⌊log₂ n⌋ − 1`` keeps 2–4 hashes per bucket, so the offsets cost 1–2
    bytes per hash per table; 11 tables let radius 31 be covered with
    tolerances ≤ 2 (10 × 3 + 2 = 32 > 31). At 10 M hashes (22 bits, 3-byte row
    numbers) the tables cost 11 × (3 + 1.7) ≈ 52 bytes per hash on top of the
    32-byte hash, 8-byte id and flag byte: 0.93 GB in all.
    """
    if n < max(min_entries, 1):
        return None
    bits = int(min(MAX_BITS, max(4, math.floor(math.log2(n)) - 1)))
    tables = 11
    gap = (256 - tables * bits) / tables
    starts = tuple(round(k * (bits + gap)) for k in range(tables))
    return Layout(bits, starts)


@lru_cache(maxsize=32)
def probe_masks(bits: int) -> tuple[NDArray[np.uint32], NDArray[np.int64]]:
    """Every XOR mask of weight ≤ MAX_TOLERANCE over ``bits`` bits, by weight,
    and ``counts[t]`` = number of masks of weight ≤ t."""
    top = min(bits, MAX_TOLERANCE)
    masks: list[int] = []
    counts = np.zeros(MAX_TOLERANCE + 1, dtype=np.int64)
    for weight in range(top + 1):
        for combo in combinations(range(bits), weight):
            masks.append(sum(1 << i for i in combo))
        counts[weight] = len(masks)
    counts[top + 1 :] = len(masks)
    return np.array(masks, dtype=np.uint32), counts


def probes(bits: int, tolerance: int) -> int:
    return sum(math.comb(bits, w) for w in range(min(tolerance, bits) + 1))


def plan_tolerances(
    layout: Layout, n: int, collision: NDArray[np.float64], radius: int
) -> NDArray[np.int64] | None:
    """Cheapest per-table tolerances covering ``radius``, or ``None`` to scan instead.

    ``collision[k]`` is the mean bucket size a data-like query lands in
    (Σ count² / n), which is what clustered lists make large; flipped probes
    land in average buckets (n / 2ᵇ). Tolerances are raised greedily by the
    smallest marginal cost, which is optimal because each table's cost is
    convex in its tolerance.
    """
    needed = radius + 1
    top = min(layout.bits, MAX_TOLERANCE)
    if needed > layout.tables * (top + 1):
        return None
    mean = n / float(1 << layout.bits)

    def cost(k: int, t: int) -> float:
        if t < 0:
            return 0.0
        p = probes(layout.bits, t)
        return p * COST_PROBE + (float(collision[k]) + (p - 1) * mean) * COST_CANDIDATE

    tol = np.full(layout.tables, -1, dtype=np.int64)
    total = 0.0
    for _ in range(needed):
        best, best_cost = -1, math.inf
        for k in range(layout.tables):
            if tol[k] >= top:
                continue
            step = cost(k, int(tol[k]) + 1) - cost(k, int(tol[k]))
            if step < best_cost:
                best, best_cost = k, step
        tol[best] += 1
        total += best_cost
    if total >= n * COST_SCAN_ROW:
        return None
    return tol
