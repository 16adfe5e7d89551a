"""The review queue as an analyst sees it: what is left to judge, most urgent first.

Library API (the CLI, the HTTP API and the review workspace all use these):

* :func:`triage` — bring clusters and assessments up to date, then :func:`queue`.
* :func:`queue` — read the stored assessments of a case into a :class:`TriageQueue`.

The unit of judgement is a cluster (a lone item is a cluster of one). Clusters
whose every item matched a positive bank are auto-resolved: they are left out of
the queue, never deleted, and listed with ``include_resolved=True``.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tutela.assess.config import load_config
from tutela.assess.models import ClusterAssessment, ItemAssessment
from tutela.assess.reasons import DISCLAIMER
from tutela.assess.stage import assess_case
from tutela.cluster.models import Cluster, ClusterMember
from tutela.store.db import Store
from tutela.store.models import Location
from tutela.store.queries import case_id as find_case


@dataclass
class QueueEntry:
    rank: int
    unit: str
    """``cluster`` (near-duplicates judged together) or ``item`` (a cluster of one)."""
    cluster_id: int
    key: str
    representative: str
    size: int
    open_items: int
    copies: int
    """Locations (files) holding the cluster's items: exact duplicates stack here."""
    priority: float
    band: str
    reasons: list[dict[str, Any]]
    paths: list[str]


@dataclass
class ResolvedItem:
    sha256: str
    resolution: dict[str, Any]
    reasons: list[dict[str, Any]]
    paths: list[str]


@dataclass
class TriageQueue:
    case: str
    items: int
    locations: int
    auto_resolved: int
    clusters_to_judge: int
    items_in_clusters_to_judge: int
    single_items_to_judge: int
    decisions: int
    bands: dict[str, int]
    rules: str
    entries: list[QueueEntry] = field(default_factory=list)
    resolved: list[ResolvedItem] | None = None
    note: str = DISCLAIMER

    @property
    def reduction(self) -> float:
        """Items per decision left to an analyst (1.0 = one decision per item)."""
        return round(self.items / self.decisions, 2) if self.decisions else float(self.items)

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["reduction"] = self.reduction
        if self.resolved is None:
            del out["resolved"]
        return out


def _paths(
    session: Session, case_id: int, shas: list[str], per_item: int = 3
) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for start in range(0, len(shas), 500):
        for sha, path in session.execute(
            select(Location.item_sha256, Location.path)
            .where(Location.case_id == case_id, Location.item_sha256.in_(shas[start : start + 500]))
            .order_by(Location.path)
        ):
            paths = found.setdefault(str(sha), [])
            if len(paths) < per_item:
                paths.append(path)
    return found


def read_queue(
    session: Session, case: str, limit: int | None = 20, include_resolved: bool = False
) -> TriageQueue:
    cid = find_case(session, case)
    copies: Counter[str] = Counter()
    for sha, count in session.execute(
        select(Location.item_sha256, func.count())
        .where(Location.case_id == cid, Location.item_sha256.is_not(None))
        .group_by(Location.item_sha256)
    ):
        copies[str(sha)] = int(count)
    assessed = dict(
        session.execute(
            select(ItemAssessment.item_sha256, ItemAssessment.auto_resolved).where(
                ItemAssessment.case_id == cid
            )
        ).all()
    )
    rows = session.execute(
        select(Cluster, ClusterAssessment)
        .join(ClusterAssessment, ClusterAssessment.cluster_id == Cluster.id)
        .where(Cluster.case_id == cid)
        .order_by(ClusterAssessment.priority.desc(), Cluster.size.desc(), Cluster.key)
    ).all()
    members: dict[int, list[str]] = {}
    for sha, cluster_id in session.execute(
        select(ClusterMember.item_sha256, ClusterMember.cluster_id).where(
            ClusterMember.case_id == cid
        )
    ):
        members.setdefault(cluster_id, []).append(sha)
    open_rows = [(c, a) for c, a in rows if not a.auto_resolved]
    shown = open_rows if limit is None else open_rows[:limit]
    paths = _paths(session, cid, [c.representative_sha256 for c, _ in shown])
    entries = [
        QueueEntry(
            rank=rank,
            unit="cluster" if c.size > 1 else "item",
            cluster_id=c.id,
            key=c.key,
            representative=c.representative_sha256,
            size=c.size,
            open_items=a.open_items,
            copies=sum(copies[sha] for sha in members.get(c.id, [])),
            priority=a.priority,
            band=a.band,
            reasons=list(a.reasons),
            paths=paths.get(c.representative_sha256, []),
        )
        for rank, (c, a) in enumerate(shown, start=1)
    ]
    resolved = None
    if include_resolved:
        found = session.execute(
            select(ItemAssessment)
            .where(ItemAssessment.case_id == cid, ItemAssessment.auto_resolved.is_(True))
            .order_by(ItemAssessment.item_sha256)
        ).scalars()
        records = list(found)
        rpaths = _paths(session, cid, [r.item_sha256 for r in records])
        resolved = [
            ResolvedItem(
                r.item_sha256, r.resolution or {}, list(r.reasons), rpaths.get(r.item_sha256, [])
            )
            for r in records
        ]
    digest = session.scalar(
        select(ClusterAssessment.rules_digest).where(ClusterAssessment.case_id == cid).limit(1)
    )
    bands = Counter(a.band for _, a in open_rows)
    return TriageQueue(
        case=case,
        items=len(assessed),
        locations=sum(copies.values()),
        auto_resolved=sum(1 for v in assessed.values() if v),
        clusters_to_judge=sum(1 for c, _ in open_rows if c.size > 1),
        items_in_clusters_to_judge=sum(c.size for c, _ in open_rows if c.size > 1),
        single_items_to_judge=sum(1 for c, _ in open_rows if c.size == 1),
        decisions=len(open_rows),
        bands={b: bands[b] for b in ("high", "medium", "low")},
        rules=digest or "",
        entries=entries,
        resolved=resolved,
    )


def queue(
    store: Store, case: str, limit: int | None = 20, include_resolved: bool = False
) -> TriageQueue:
    """The stored queue of ``case`` (run :func:`triage` or a scan first to fill it)."""
    with store.session() as session:
        return read_queue(session, case, limit, include_resolved)


def triage(
    store: Store,
    case: str,
    rules: str | os.PathLike[str] | None = None,
    limit: int | None = 20,
    include_resolved: bool = False,
) -> TriageQueue:
    """Update clusters and assessments of ``case`` under ``rules``, then return its queue."""
    config = load_config(rules)
    with store.transaction() as session:
        assess_case(session, find_case(session, case), config)
    return queue(store, case, limit, include_resolved)
