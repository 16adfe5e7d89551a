"""Tables: the machine assessment of each item and each cluster of a case.

Rewritten whenever the assess stage runs (they are derived data, stamped with the
digest of the rules that produced them); human decisions live elsewhere and are
never touched by this stage.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from tutela.store.models import Base, utcnow


class ItemAssessment(Base):
    __tablename__ = "assessments"
    __table_args__ = (Index("ix_assessments_case_priority", "case_id", "priority"),)

    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True
    )
    item_sha256: Mapped[str] = mapped_column(
        ForeignKey("items.sha256", ondelete="CASCADE"), primary_key=True
    )
    priority: Mapped[float] = mapped_column(Float)
    band: Mapped[str] = mapped_column(String(8))
    auto_resolved: Mapped[bool] = mapped_column(Boolean, default=False)
    resolution: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    reasons: Mapped[list[Any]] = mapped_column(JSON)
    rules_digest: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ClusterAssessment(Base):
    __tablename__ = "cluster_assessments"
    __table_args__ = (Index("ix_cluster_assessments_case_priority", "case_id", "priority"),)

    cluster_id: Mapped[int] = mapped_column(
        ForeignKey("clusters.id", ondelete="CASCADE"), primary_key=True
    )
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    priority: Mapped[float] = mapped_column(Float)
    band: Mapped[str] = mapped_column(String(8))
    auto_resolved: Mapped[bool] = mapped_column(Boolean, default=False)
    open_items: Mapped[int] = mapped_column(Integer)
    resolution: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    reasons: Mapped[list[Any]] = mapped_column(JSON)
    rules_digest: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
