"""Tables for model forensics: hash index, training sets, diffusers folders, links.

``model_hashes`` belongs to items (content-addressed, shared by cases): every name
the ecosystem gives a model file, indexed for prefix lookups (``Model hash`` is a
10-digit prefix of a SHA-256). The other tables belong to a case and are rebuilt by
the ``models`` stage on every run, in one transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from tutela.store.models import Base, utcnow


class ModelHash(Base):
    """One name of a model file: ``sha256``, ``autov1``, ``autov3`` or a hash it stores."""

    __tablename__ = "model_hashes"
    __table_args__ = (Index("ix_model_hashes_value", "value"),)

    item_sha256: Mapped[str] = mapped_column(
        ForeignKey("items.sha256", ondelete="CASCADE"), primary_key=True
    )
    algorithm: Mapped[str] = mapped_column(String(24), primary_key=True)
    value: Mapped[str] = mapped_column(String(64))


class TrainingSet(Base):
    """A folder of images with captions (or a kohya ``N_concept`` folder) in a case."""

    __tablename__ = "training_sets"
    __table_args__ = (UniqueConstraint("case_id", "path", name="uq_training_sets_case_path"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    path: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text)
    repeats: Mapped[int | None] = mapped_column(Integer, nullable=True)
    concept: Mapped[str | None] = mapped_column(Text, nullable=True)
    images: Mapped[int] = mapped_column(Integer)
    captions: Mapped[int] = mapped_column(Integer)
    tags: Mapped[list[Any]] = mapped_column(JSON)
    """``[{tag, count}]`` counted the way kohya counts (comma split, trimmed, lower case)."""
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ModelFolder(Base):
    """A diffusers model folder (``model_index.json`` plus component folders) in a case."""

    __tablename__ = "model_folders"
    __table_args__ = (UniqueConstraint("case_id", "path", name="uq_model_folders_case_path"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    path: Mapped[str] = mapped_column(Text)
    format: Mapped[str] = mapped_column(String(24))
    class_name: Mapped[str] = mapped_column(String(120))
    architecture: Mapped[str] = mapped_column(String(24))
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ModelLink(Base):
    """One link: something (an image, workflow, config, model or training set) and a model.

    ``relation`` is ``generated-with`` (image → model it names), ``trained-on``
    (model → training set), ``base-model`` (model → model it was trained from),
    ``named-in-workflow`` / ``named-in-config`` (artefact → model or training set).
    The target is a model item of the case, a bank entry, or nothing (an unresolved
    reference, still worth showing). ``evidence`` says how the link was made.
    """

    __tablename__ = "model_links"
    __table_args__ = (
        Index("ix_model_links_case_source", "case_id", "source_sha256"),
        Index("ix_model_links_case_model", "case_id", "model_sha256"),
        Index("ix_model_links_case_training_set", "case_id", "training_set_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    relation: Mapped[str] = mapped_column(String(24))
    role: Mapped[str] = mapped_column(String(24))
    source_sha256: Mapped[str | None] = mapped_column(
        ForeignKey("items.sha256", ondelete="CASCADE"), nullable=True
    )
    model_sha256: Mapped[str | None] = mapped_column(
        ForeignKey("items.sha256", ondelete="CASCADE"), nullable=True
    )
    model_folder_id: Mapped[int | None] = mapped_column(
        ForeignKey("model_folders.id", ondelete="CASCADE"), nullable=True
    )
    training_set_id: Mapped[int | None] = mapped_column(
        ForeignKey("training_sets.id", ondelete="CASCADE"), nullable=True
    )
    bank: Mapped[str | None] = mapped_column(String(100), nullable=True)
    bank_entry_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    reference: Mapped[dict[str, Any]] = mapped_column(JSON)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON)
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
