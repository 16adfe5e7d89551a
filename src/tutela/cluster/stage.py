"""The ``cluster`` case stage: bring a case's clusters up to date, incrementally.

Only items without a membership row are compared (with every item of the case);
stored clusters are restored without recomputing a distance. Components only
merge as items arrive, so the result equals a from-scratch computation. When the
threshold changes, or an item has left the case, the case is rebuilt.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from tutela.cluster.graph import PdqClusterer
from tutela.cluster.models import Cluster, ClusterMember
from tutela.engine.scan import Stage
from tutela.signals.pdq import PDQ_QUALITY_THRESHOLD, hamming
from tutela.store.db import Store
from tutela.store.models import Item, Location

CHUNK = 1000


@dataclass(frozen=True)
class ClusterItem:
    sha256: str
    pdq: str | None
    quality: int | None
    area: int

    @property
    def basis(self) -> str:
        if self.pdq is None:
            return "no-pdq"
        if (self.quality or 0) < PDQ_QUALITY_THRESHOLD:
            return "pdq-low-quality"
        return "pdq"


def case_items(session: Session, case_id: int) -> dict[str, ClusterItem]:
    """A case's reviewable items (archives are containers, not review units)."""
    rows = session.execute(
        select(Item.sha256, Item.pdq, Item.pdq_quality, Item.width, Item.height)
        .where(
            Item.sha256.in_(select(Location.item_sha256).where(Location.case_id == case_id)),
            Item.kind != "archive",
        )
        .order_by(Item.sha256)
    )
    return {
        sha: ClusterItem(sha, pdq, quality, (w or 0) * (h or 0)) for sha, pdq, quality, w, h in rows
    }


def representative(members: list[ClusterItem]) -> ClusterItem:
    """Best PDQ quality, then most pixels, then smallest sha256: independent of order."""
    return min(members, key=lambda m: (-(m.quality or 0), -m.area, m.sha256))


def update_clusters(session: Session, case_id: int, threshold: int) -> dict[str, Any]:
    items = case_items(session, case_id)
    stored: dict[str, int] = dict(
        session.execute(
            select(ClusterMember.item_sha256, ClusterMember.cluster_id).where(
                ClusterMember.case_id == case_id
            )
        ).all()
    )
    thresholds = set(
        session.scalars(select(Cluster.threshold).where(Cluster.case_id == case_id)).all()
    )
    rebuilt = bool(thresholds - {threshold}) or any(sha not in items for sha in stored)
    if rebuilt:
        session.execute(delete(Cluster).where(Cluster.case_id == case_id))
        session.execute(delete(ClusterMember).where(ClusterMember.case_id == case_id))
        stored = {}
    new = [item for sha, item in items.items() if sha not in stored]
    if new:
        _add(session, case_id, threshold, items, stored, new)
    total = session.scalars(select(Cluster.size).where(Cluster.case_id == case_id)).all()
    return {
        "items": len(items),
        "new_items": len(new),
        "clusters": sum(1 for size in total if size > 1),
        "items_in_clusters": sum(size for size in total if size > 1),
        "threshold": threshold,
        "rebuilt": rebuilt,
    }


def _add(
    session: Session,
    case_id: int,
    threshold: int,
    items: dict[str, ClusterItem],
    stored: dict[str, int],
    new: list[ClusterItem],
) -> None:
    clusterer = PdqClusterer(threshold)
    old = [items[sha] for sha in stored if items[sha].basis == "pdq"]
    clusterer.add(((m.sha256, m.pdq or "") for m in old), compare=False)
    groups: dict[int, list[str]] = {}
    for m in old:
        groups.setdefault(stored[m.sha256], []).append(m.sha256)
    for keys in groups.values():
        clusterer.join(keys)
    clusterer.add((m.sha256, m.pdq or "") for m in new if m.basis == "pdq")

    fresh = {m.sha256 for m in new}
    components = [c for c in clusterer.components() if fresh.intersection(c)]
    components += [[m.sha256] for m in new if m.basis != "pdq"]
    replaced = {stored[sha] for c in components for sha in c if sha in stored}
    if replaced:
        session.execute(delete(Cluster).where(Cluster.id.in_(replaced)))
        session.execute(
            delete(ClusterMember).where(
                ClusterMember.case_id == case_id, ClusterMember.cluster_id.in_(replaced)
            )
        )
    groups_out = [[items[sha] for sha in keys] for keys in components]
    reps = [representative(members) for members in groups_out]
    rows = [
        {
            "case_id": case_id,
            "key": members[0].sha256,  # components are sorted: the smallest sha256
            "representative_sha256": rep.sha256,
            "size": len(members),
            "threshold": threshold,
        }
        for members, rep in zip(groups_out, reps, strict=True)
    ]
    for start in range(0, len(rows), CHUNK):
        session.execute(insert(Cluster), rows[start : start + CHUNK])
    ids: dict[str, int] = {}
    keys = [members[0].sha256 for members in groups_out]
    for start in range(0, len(keys), CHUNK):
        for key, cluster_id in session.execute(
            select(Cluster.key, Cluster.id).where(
                Cluster.case_id == case_id, Cluster.key.in_(keys[start : start + CHUNK])
            )
        ):
            ids[key] = cluster_id
    member_rows = [
        {
            "case_id": case_id,
            "item_sha256": m.sha256,
            "cluster_id": ids[members[0].sha256],
            "distance": hamming(m.pdq, rep.pdq) if m.pdq and rep.pdq and m.basis == "pdq" else None,
            "basis": m.basis,
        }
        for members, rep in zip(groups_out, reps, strict=True)
        for m in members
    ]
    for start in range(0, len(member_rows), CHUNK):
        session.execute(insert(ClusterMember), member_rows[start : start + CHUNK])


def run(store: Store, case_id: int) -> dict[str, Any]:
    from tutela.assess.config import load_config

    threshold = load_config().cluster_threshold
    with store.transaction() as session:
        return update_clusters(session, case_id, threshold)


STAGES = [Stage("cluster", run)]
