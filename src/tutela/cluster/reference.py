"""The naive reference the fast clusterer is tested against: every pair, then a graph walk."""

from __future__ import annotations

from tutela.signals.pdq import hamming


def reference_components(items: dict[str, str], threshold: int) -> list[list[str]]:
    """Connected components of "PDQ distance ≤ threshold", by comparing all pairs."""
    keys = sorted(items)
    edges: dict[str, set[str]] = {k: set() for k in keys}
    for i, a in enumerate(keys):
        for b in keys[i + 1 :]:
            if hamming(items[a], items[b]) <= threshold:
                edges[a].add(b)
                edges[b].add(a)
    seen: set[str] = set()
    out = []
    for key in keys:
        if key in seen:
            continue
        stack, group = [key], []
        seen.add(key)
        while stack:
            node = stack.pop()
            group.append(node)
            for nxt in edges[node] - seen:
                seen.add(nxt)
                stack.append(nxt)
        out.append(sorted(group))
    return sorted(out, key=lambda g: g[0])
