"""Signals → assessment: run every enabled rule, combine, explain.

``priority = clamp((base + Σ additions) × Π factors, 0, 100)``. An item matched
by a live positive-bank entry is auto-resolved: it leaves the queue but is never
deleted, and a reviewer can list it at any time.
"""

from __future__ import annotations

from collections.abc import Sequence

from tutela.assess.config import TriageConfig
from tutela.assess.inputs import ItemSignals
from tutela.assess.reasons import Assessment, Reason
from tutela.assess.rules import RULES, Contribution


def band(priority: float, config: TriageConfig) -> str:
    levels = config.priority
    if priority >= levels["high"]:
        return "high"
    if priority >= levels["medium"]:
        return "medium"
    return "low"


def _impact(c: Contribution) -> float:
    if c.resolution is not None:
        return 1e9
    return c.add + abs(1.0 - c.factor) * 100


def assess_item(item: ItemSignals, config: TriageConfig) -> Assessment:
    contributions: list[Contribution] = []
    for name, rule in RULES.items():
        section = config.rule(name)
        if section.get("enabled", True):
            contributions.extend(rule(item, section))
    total = config.priority["base"] + sum(c.add for c in contributions)
    for c in contributions:
        total *= c.factor
    priority = round(min(100.0, max(0.0, total)), 1)
    resolution = next((c.resolution for c in contributions if c.resolution), None)
    reasons = [c.reason for c in sorted(contributions, key=_impact, reverse=True)]
    return Assessment(priority, band(priority, config), resolution is not None, reasons, resolution)


def assess_cluster(
    members: Sequence[tuple[str, Assessment]], threshold: int, config: TriageConfig
) -> Assessment:
    """A cluster is judged once: it ranks as its most urgent member that is still open."""
    size = len(members)
    open_members = [(sha, a) for sha, a in members if not a.auto_resolved]
    resolved = [(sha, a) for sha, a in members if a.auto_resolved]
    if not open_members:
        sha, top = max(members, key=lambda m: m[1].priority)
        return Assessment(top.priority, top.band, True, list(top.reasons), top.resolution)
    sha, top = max(open_members, key=lambda m: (m[1].priority, m[0]))
    priority, reasons = top.priority, list(top.reasons)
    if size > 1:
        text = (
            f"{size} near-duplicates (PDQ ≤ {threshold}) judged together; "
            f"{len(open_members)} open; ranked by its most urgent member {sha[:12]}"
        )
        reasons.insert(0, Reason("cluster", "cluster", size, "none", text))
    rule = config.rule("bank_match")
    if resolved and rule.get("enabled", True):
        hit = resolved[0][1].resolution or {}
        bonus = float(rule["neighbour_bonus"])
        priority = round(min(100.0, priority + bonus), 1)
        text = (
            f"{len(resolved)} near-duplicate(s) in this cluster matched bank "
            f"{hit.get('bank')!r}"
            + (f" (category {hit['category']})" if hit.get("category") else "")
        )
        reasons.insert(0, Reason("bank_match", "bank", hit, f"+{bonus:.1f}", text))
    return Assessment(priority, band(priority, config), False, reasons, None)
