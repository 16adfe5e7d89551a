"""Tables for banks, their entries, the change log that versions them, and matches.

Entries are never deleted by curation or exchange tombstones, only disabled, so the
perceptual index only ever grows and every change is visible in ``bank_events``
(whose highest id is the *bank revision* that matching results are stamped with).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from tutela.store.models import Base, utcnow

BANK_KINDS = ("positive", "negative")
ENTRY_STATUSES = ("enabled", "disabled", "quarantined")


class Bank(Base):
    """A named hash list with its own thresholds; optionally fed by an exchange."""

    __tablename__ = "banks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(16), default="positive")
    pdq_threshold: Mapped[int] = mapped_column(Integer, default=31)
    flood_limit: Mapped[int] = mapped_column(Integer, default=100)
    """An entry matching more items than this in one case is quarantined."""
    description: Mapped[str] = mapped_column(Text, default="")
    exchange_api: Mapped[str | None] = mapped_column(String(60), nullable=True)
    exchange_config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    exchange_checkpoint: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    """The exchange's own checkpoint dataclass as JSON (never pickle)."""
    last_fetch_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Entry(Base):
    """One signal in a bank, with the metadata its source gave it.

    ``source_key`` groups entries that describe one piece of content (a VICS Media
    record's MD5, an exchange record key, an image's sha256). ``variant`` marks
    derived hashes that make edited copies match (e.g. ``crop-4``): they point to
    the entry they were derived from and are never exported.
    """

    __tablename__ = "bank_entries"
    __table_args__ = (
        UniqueConstraint(
            "bank_id", "signal_type", "value", "variant", "source_key", name="uq_bank_entries"
        ),
        Index("ix_bank_entries_value", "signal_type", "value"),
        Index("ix_bank_entries_source", "bank_id", "source_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("banks.id", ondelete="CASCADE"), index=True)
    signal_type: Mapped[str] = mapped_column(String(40))
    value: Mapped[str] = mapped_column(Text)
    variant: Mapped[str] = mapped_column(String(40), default="")
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("bank_entries.id", ondelete="CASCADE"), nullable=True, index=True
    )
    source_key: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(16), default="enabled")
    status_reason: Mapped[str] = mapped_column(Text, default="")
    flood_exempt: Mapped[bool] = mapped_column(Boolean, default=False)
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class BankEvent(Base):
    """Append-only log of bank changes; its highest id is the bank revision."""

    __tablename__ = "bank_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    bank_id: Mapped[int | None] = mapped_column(
        ForeignKey("banks.id", ondelete="SET NULL"), nullable=True, index=True
    )
    entry_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    action: Mapped[str] = mapped_column(String(40))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Match(Base):
    """item × entry × distance, within one case."""

    __tablename__ = "matches"
    __table_args__ = (Index("ix_matches_entry", "entry_id"),)

    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True
    )
    item_sha256: Mapped[str] = mapped_column(
        ForeignKey("items.sha256", ondelete="CASCADE"), primary_key=True
    )
    entry_id: Mapped[int] = mapped_column(
        ForeignKey("bank_entries.id", ondelete="CASCADE"), primary_key=True
    )
    bank_id: Mapped[int] = mapped_column(ForeignKey("banks.id", ondelete="CASCADE"))
    signal_type: Mapped[str] = mapped_column(String(40))
    distance: Mapped[int] = mapped_column(Integer)
    via: Mapped[str] = mapped_column(String(60), default="")
    suppressed: Mapped[bool] = mapped_column(Boolean, default=False)
    """A negative-bank entry also matched this item."""
    quarantined: Mapped[bool] = mapped_column(Boolean, default=False)
    """The entry was quarantined by the flood guard."""
    revision: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CaseItemCheck(Base):
    """The bank revision a case's item was last matched at (what makes the stage resumable)."""

    __tablename__ = "case_item_checks"

    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True
    )
    item_sha256: Mapped[str] = mapped_column(
        ForeignKey("items.sha256", ondelete="CASCADE"), primary_key=True
    )
    revision: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text, default="")
    """Why PDQ was not compared (low quality, no hash), if it was not."""
