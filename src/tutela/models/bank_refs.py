"""Resolve model references against banks: "made with a model on a known-abuse list".

An image may name a LoRA that is not on the drive. If a hotline's bank lists that
model — by SHA-256, AutoV1/AutoV2/AutoV3 or BLAKE3 — the reference links to the bank
entry. The hash's form decides which entries can match (as in
:mod:`tutela.models.linking`); a 10- or 12-digit prefix also matches a listed SHA-256.
Only enabled entries of positive banks count.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from tutela.banks.models import Bank, Entry


@dataclass(frozen=True)
class BankHit:
    bank: str
    entry_id: int
    signal_type: str
    value: str


def _prefix(column: Any, value: str) -> Any:
    """``column`` starts with the hex ``value`` (an index-friendly range; hex sorts before g)."""
    return and_(column >= value, column < value + "g")


def _conditions(value: str) -> list[Any]:
    n = len(value)
    if n == 8:
        return [and_(Entry.signal_type == "model_autov1", Entry.value == value)]
    if n == 10:
        return [
            and_(Entry.signal_type == "model_autov2", Entry.value == value),
            and_(Entry.signal_type == "sha256", _prefix(Entry.value, value)),
        ]
    if n == 12:
        return [
            and_(Entry.signal_type == "model_autov3", _prefix(Entry.value, value)),
            and_(Entry.signal_type == "sha256", _prefix(Entry.value, value)),
        ]
    if n == 64:
        return [
            and_(
                Entry.signal_type.in_(("sha256", "model_autov3", "model_blake3")),
                Entry.value == value,
            ),
            and_(Entry.signal_type == "model_autov3", Entry.value == value[:12]),
            and_(Entry.signal_type == "model_autov2", Entry.value == value[:10]),
        ]
    return []


def bank_hits(session: Session, value: str) -> list[BankHit]:
    conditions = _conditions(value)
    if not conditions:
        return []
    rows = session.execute(
        select(Bank.name, Entry.id, Entry.signal_type, Entry.value)
        .join(Bank, Bank.id == Entry.bank_id)
        .where(or_(*conditions), Entry.status == "enabled", Bank.kind == "positive")
        .order_by(Bank.name, Entry.id)
    )
    return [BankHit(*row) for row in rows]
