"""Tables for video matching: stored vPDQ signatures, where matches occur, per-bank rules.

A vPDQ signature of a long video is tens of kilobytes — too large for the entry
index of a bank (PostgreSQL refuses index rows over 2.7 kB) — so a bank entry of
type ``vpdq`` holds the SHA-256 of the signature's canonical form, and the frames
live here, stored once however many banks list them.

Bank ids and entry ids are plain integers (no foreign keys): banks never delete
entries, and these rows are read by joining on what exists.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tutela.store.models import Base, utcnow


class VideoSignature(Base):
    """A vPDQ signature listed in a bank: frames as tutela JSON, keyed by content."""

    __tablename__ = "video_signatures"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    """SHA-256 of the canonical python-threatexchange string of the frames."""
    frame_count: Mapped[int] = mapped_column(Integer)
    frames: Mapped[list[Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class VideoBankRule(Base):
    """A bank's vPDQ rule when it differs from the field's default (80 % / 0 %)."""

    __tablename__ = "video_bank_rules"

    bank_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    query_share: Mapped[float] = mapped_column(Float, default=0.8)
    """Share of the query video's distinct good frames that must match."""
    target_share: Mapped[float] = mapped_column(Float, default=0.0)
    """Share of the listed video's distinct good frames that must match."""


class VideoMatch(Base):
    """Where in a video of a case a bank entry matched (the ``matches`` row says that it did)."""

    __tablename__ = "video_matches"

    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True
    )
    item_sha256: Mapped[str] = mapped_column(
        ForeignKey("items.sha256", ondelete="CASCADE"), primary_key=True
    )
    entry_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    """``vpdq`` (the video matches a listed video) or ``frame`` (frames match a listed image)."""
    query_share: Mapped[float] = mapped_column(Float)
    target_share: Mapped[float | None] = mapped_column(Float, nullable=True)
    segments: Mapped[list[Any]] = mapped_column(JSON)
    """``[[start, end], ...]`` seconds of this video where matched frames run."""
    frames: Mapped[list[Any]] = mapped_column(JSON)
    """``[{timestamp, matched_timestamp, distance}, ...]`` (first 500)."""


class VideoMatchCheck(Base):
    """The bank revision a case's video was last matched at (what makes the stage resumable)."""

    __tablename__ = "video_match_checks"

    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True
    )
    item_sha256: Mapped[str] = mapped_column(
        ForeignKey("items.sha256", ondelete="CASCADE"), primary_key=True
    )
    revision: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text, default="")
