"""The provenance table: one row per item with its synthetic status, for filtering and sorting.

The full evidence lives in the ``signals`` table (signal ``provenance``); this table
copies the few fields a case is filtered and sorted by, indexed, and is kept in step
with the signals by :func:`tutela.provenance.queries.sync_status`.
"""

from __future__ import annotations

from sqlalchemy import Float, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from tutela.store.models import Base


class ProvenanceStatus(Base):
    __tablename__ = "provenance_status"
    __table_args__ = (Index("ix_provenance_status_status", "status", "confidence"),)

    item_sha256: Mapped[str] = mapped_column(
        ForeignKey("items.sha256", ondelete="CASCADE"), primary_key=True
    )
    status: Mapped[str] = mapped_column(String(20))
    confidence: Mapped[float] = mapped_column(Float)
    signal_version: Mapped[str] = mapped_column(String(40))
