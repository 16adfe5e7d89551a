"""Tables for per-user cool-downs after blocked prompts (AI Horde's escalating timeouts).

A *strike* is one blocked prompt of one user (concept ids only, never the prompt's
words); a *cool-down* is the time until which that user's prompts are refused.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Float, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from tutela.store.models import Base, utcnow


class PromptStrike(Base):
    __tablename__ = "prompt_strikes"
    __table_args__ = (Index("ix_prompt_strikes_user_at", "user_key", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_key: Mapped[str] = mapped_column(String(200))
    score: Mapped[float] = mapped_column(Float)
    concepts: Mapped[list[Any]] = mapped_column(JSON)
    policy: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class PromptCooldown(Base):
    __tablename__ = "prompt_cooldowns"

    user_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    until: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    blocks: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
