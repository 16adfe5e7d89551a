"""Case queries by synthetic status: keep the status table in step, filter, sort.

:func:`sync_status` copies status and confidence out of stored ``provenance``
signals into the indexed ``provenance_status`` table. It is incremental and
idempotent, so the post-scan stage and every reader can call it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Literal

from sqlalchemy import case as sql_case
from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from tutela.provenance.model import STATUSES
from tutela.provenance.tables import ProvenanceStatus
from tutela.store.models import Item, Location, Signal
from tutela.store.queries import case_id

SIGNAL = "provenance"
Sort = Literal["sha256", "synthetic-status", "confidence"]
SORTS: tuple[str, ...] = ("sha256", "synthetic-status", "confidence")


def sync_status(session: Session) -> int:
    """Bring ``provenance_status`` up to date with the stored signals; returns rows written."""
    stale = (
        select(ProvenanceStatus.item_sha256)
        .join(
            Signal, (Signal.item_sha256 == ProvenanceStatus.item_sha256) & (Signal.name == SIGNAL)
        )
        .where(Signal.version != ProvenanceStatus.signal_version)
    )
    session.execute(delete(ProvenanceStatus).where(ProvenanceStatus.item_sha256.in_(stale)))
    missing = (
        select(
            Signal.item_sha256,
            Signal.data["status"].as_string(),
            Signal.data["confidence"].as_float(),
            Signal.version,
        )
        .where(Signal.name == SIGNAL)
        .where(
            ~select(ProvenanceStatus.item_sha256)
            .where(ProvenanceStatus.item_sha256 == Signal.item_sha256)
            .exists()
        )
    )
    count = session.scalar(select(func.count()).select_from(missing.subquery())) or 0
    if count:
        session.execute(
            insert(ProvenanceStatus).from_select(
                ["item_sha256", "status", "confidence", "signal_version"], missing
            )
        )
    return int(count)


def status_counts(session: Session, case: str | None = None) -> dict[str, int]:
    query = select(ProvenanceStatus.status, func.count()).group_by(ProvenanceStatus.status)
    if case:
        cid = case_id(session, case)
        query = query.where(
            ProvenanceStatus.item_sha256.in_(
                select(Location.item_sha256).where(Location.case_id == cid)
            )
        )
    return {str(status): int(count) for status, count in session.execute(query)}


def iter_items_with_status(
    session: Session,
    case: str | None = None,
    statuses: Sequence[str] | None = None,
    sort: str = "sha256",
    page: int = 500,
) -> Iterator[tuple[Item, list[str], tuple[str, float] | None]]:
    """Items with their paths and (status, confidence), filtered and sorted, streamed."""
    unknown = set(statuses or ()) - set(STATUSES)
    if unknown:
        raise ValueError(
            f"unknown synthetic status {', '.join(sorted(unknown))}; use {', '.join(STATUSES)}"
        )
    if sort not in SORTS:
        raise ValueError(f"unknown sort {sort!r}; use {', '.join(SORTS)}")
    cid = case_id(session, case) if case else None
    query = select(Item, ProvenanceStatus.status, ProvenanceStatus.confidence).outerjoin(
        ProvenanceStatus, ProvenanceStatus.item_sha256 == Item.sha256
    )
    if cid is not None:
        query = query.where(
            Item.sha256.in_(select(Location.item_sha256).where(Location.case_id == cid))
        )
    if statuses:
        query = query.where(ProvenanceStatus.status.in_(list(statuses)))
    rank = sql_case(
        {status: index for index, status in enumerate(STATUSES)},
        value=ProvenanceStatus.status,
        else_=len(STATUSES),
    )
    confidence = func.coalesce(ProvenanceStatus.confidence, -1.0)
    if sort == "synthetic-status":
        query = query.order_by(rank, confidence.desc(), Item.sha256)
    elif sort == "confidence":
        query = query.order_by(confidence.desc(), rank, Item.sha256)
    else:
        query = query.order_by(Item.sha256)
    rows = session.execute(query.execution_options(yield_per=page))
    for batch in rows.partitions():
        shas = [row[0].sha256 for row in batch]
        paths_q = select(Location.item_sha256, Location.path).where(Location.item_sha256.in_(shas))
        if cid is not None:
            paths_q = paths_q.where(Location.case_id == cid)
        paths: dict[str, list[str]] = {}
        for sha, path in session.execute(paths_q.order_by(Location.path)):
            paths.setdefault(str(sha), []).append(path)
        for item, status, conf in batch:
            yield item, paths.get(item.sha256, []), (status, conf) if status else None
