"""Tables: a case's clusters and which cluster each of its items belongs to.

Every reviewable item of a case (archives are containers, not review units) has
one membership row; a cluster of one is an item no other item is near.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tutela.store.models import Base, utcnow


class Cluster(Base):
    __tablename__ = "clusters"
    __table_args__ = (UniqueConstraint("case_id", "key", name="uq_clusters_case_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(64))
    """The smallest member sha256: the same for the same members, whatever the order."""
    representative_sha256: Mapped[str] = mapped_column(
        ForeignKey("items.sha256", ondelete="CASCADE")
    )
    size: Mapped[int] = mapped_column(Integer)
    threshold: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ClusterMember(Base):
    __tablename__ = "cluster_members"

    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True
    )
    item_sha256: Mapped[str] = mapped_column(
        ForeignKey("items.sha256", ondelete="CASCADE"), primary_key=True
    )
    cluster_id: Mapped[int] = mapped_column(
        ForeignKey("clusters.id", ondelete="CASCADE"), index=True
    )
    distance: Mapped[int | None] = mapped_column(Integer, nullable=True)
    """PDQ bits from the representative (None without a usable PDQ)."""
    basis: Mapped[str] = mapped_column(String(24))
    """``pdq``; or why the item was not clustered: ``pdq-low-quality``, ``no-pdq``."""
