"""The schema. Items are content-addressed (sha256) and shared across cases;
a case sees an item through the locations where it was found.

Every table is created by an Alembic migration in ``migrations/versions``; change
a model, then add a migration (``tests/test_migrations.py`` checks they agree).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[Any]: JSON}


class Case(Base):
    """One batch under review, e.g. a forum scrape or a seized drive."""

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Item(Base):
    """One media file, identified by its SHA-256; may be seen at many locations."""

    __tablename__ = "items"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    sha1: Mapped[str] = mapped_column(String(40), index=True)
    md5: Mapped[str] = mapped_column(String(32), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(16))  # image, video, archive, model, other
    format: Mapped[str] = mapped_column(String(16))
    width: Mapped[int | None] = mapped_column(Integer, nullable=True)
    height: Mapped[int | None] = mapped_column(Integer, nullable=True)
    pdq: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    pdq_quality: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error_kind: Mapped[str | None] = mapped_column(String(40), nullable=True)
    error_message: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Location(Base):
    """Where an item was seen in a case: a path, with ``!/`` separating archive members.

    ``fingerprint`` (size and mtime, or the member's CRC) lets a re-run skip
    locations that have not changed without reading them.
    """

    __tablename__ = "locations"
    __table_args__ = (
        UniqueConstraint("case_id", "path", name="uq_locations_case_path"),
        Index("ix_locations_item", "item_sha256"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    path: Mapped[str] = mapped_column(Text)
    fingerprint: Mapped[str] = mapped_column(String(120))
    item_sha256: Mapped[str | None] = mapped_column(ForeignKey("items.sha256"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ScanError(Base):
    """A specific, recorded problem with one location (the scan carried on)."""

    __tablename__ = "scan_errors"
    __table_args__ = (Index("ix_scan_errors_case_kind", "case_id", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    location_id: Mapped[int] = mapped_column(
        ForeignKey("locations.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(40))
    message: Mapped[str] = mapped_column(Text)
    fatal: Mapped[bool] = mapped_column(default=True)


class Signal(Base):
    """One computed fact about an item, with the version of what computed it."""

    __tablename__ = "signals"

    item_sha256: Mapped[str] = mapped_column(
        ForeignKey("items.sha256", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    version: Mapped[str] = mapped_column(String(40))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
