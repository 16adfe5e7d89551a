"""The ``assess`` case stage: (re)compute every item's and cluster's assessment.

Assessments are derived data: the stage rewrites a case's rows in one
transaction from the current signals, matches, clusters and rules, so re-running
it is always safe and an interrupted run leaves the previous rows in place.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from tutela.assess.config import TriageConfig, load_config
from tutela.assess.engine import assess_cluster, assess_item
from tutela.assess.gather import gather
from tutela.assess.models import ClusterAssessment, ItemAssessment
from tutela.assess.reasons import Reason
from tutela.cluster.models import Cluster, ClusterMember
from tutela.cluster.stage import update_clusters
from tutela.engine.scan import Stage
from tutela.signals.pdq import PDQ_QUALITY_THRESHOLD
from tutela.store.db import Store
from tutela.store.models import Item

CHUNK = 1000


def assess_case(session: Session, case_id: int, config: TriageConfig) -> dict[str, Any]:
    update_clusters(session, case_id, config.cluster_threshold)  # a no-op when up to date
    results = {sha: assess_item(item, config) for sha, item in gather(session, case_id).items()}
    digest = config.digest
    session.execute(delete(ItemAssessment).where(ItemAssessment.case_id == case_id))
    rows = [
        {
            "case_id": case_id,
            "item_sha256": sha,
            "priority": a.priority,
            "band": a.band,
            "auto_resolved": a.auto_resolved,
            "resolution": a.resolution,
            "reasons": [r.to_json() for r in a.reasons],
            "rules_digest": digest,
        }
        for sha, a in results.items()
    ]
    for start in range(0, len(rows), CHUNK):
        session.execute(insert(ItemAssessment), rows[start : start + CHUNK])

    members: dict[int, list[str]] = {}
    unclustered: dict[str, tuple[str, int | None]] = {}
    for sha, cluster_id, basis, quality in session.execute(
        select(
            ClusterMember.item_sha256,
            ClusterMember.cluster_id,
            ClusterMember.basis,
            Item.pdq_quality,
        )
        .join(Item, Item.sha256 == ClusterMember.item_sha256)
        .where(ClusterMember.case_id == case_id)
    ):
        members.setdefault(cluster_id, []).append(sha)
        if basis != "pdq":
            unclustered[sha] = (basis, quality)
    thresholds = dict(
        session.execute(
            select(Cluster.id, Cluster.threshold).where(Cluster.case_id == case_id)
        ).all()
    )
    session.execute(delete(ClusterAssessment).where(ClusterAssessment.case_id == case_id))
    cluster_rows = []
    bands: Counter[str] = Counter()
    decisions = clusters_to_judge = 0
    for cluster_id, shas in members.items():
        judged = [(sha, results[sha]) for sha in sorted(shas) if sha in results]
        if not judged:
            continue
        a = assess_cluster(judged, thresholds[cluster_id], config)
        if len(judged) == 1 and judged[0][0] in unclustered:
            a.reasons.append(_not_compared(*unclustered[judged[0][0]]))
        open_items = sum(1 for _, m in judged if not m.auto_resolved)
        if not a.auto_resolved:
            decisions += 1
            clusters_to_judge += len(judged) > 1
            bands[a.band] += 1
        cluster_rows.append(
            {
                "cluster_id": cluster_id,
                "case_id": case_id,
                "priority": a.priority,
                "band": a.band,
                "auto_resolved": a.auto_resolved,
                "open_items": open_items,
                "resolution": a.resolution,
                "reasons": [r.to_json() for r in a.reasons],
                "rules_digest": digest,
            }
        )
    for start in range(0, len(cluster_rows), CHUNK):
        session.execute(insert(ClusterAssessment), cluster_rows[start : start + CHUNK])
    return {
        "items": len(results),
        "auto_resolved": sum(1 for a in results.values() if a.auto_resolved),
        "clusters_to_judge": clusters_to_judge,
        "decisions": decisions,
        "high": bands["high"],
        "medium": bands["medium"],
        "low": bands["low"],
        "rules": digest,
    }


def _not_compared(basis: str, quality: int | None) -> Reason:
    """Why a lone item was never compared for near-duplicates (so nobody assumes it was)."""
    if basis == "pdq-low-quality":
        text = f"PDQ quality {quality} < {PDQ_QUALITY_THRESHOLD}: not compared for near-duplicates"
    else:
        text = "no PDQ hash (not a decodable image): not compared for near-duplicates"
    return Reason("cluster", "pdq", quality, "none", text)


def run(store: Store, case_id: int) -> dict[str, Any]:
    config = load_config()
    with store.transaction() as session:
        return assess_case(session, case_id, config)


STAGES = [Stage("assess", run)]
