"""Bank entries for a video file, and per-bank vPDQ rules.

A listed video is known by its bytes (MD5, SHA-1, SHA-256, and ``video_md5`` for
lists that type video MD5s separately, as ThreatExchange and StopNCII do) and by its
vPDQ signature, which finds re-encoded, resized and trimmed copies.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tutela.banks.service import get_bank, log_event
from tutela.engine.records import SignalRecord
from tutela.errors import TutelaError
from tutela.store.models import Item, Signal
from tutela.video.models import VideoBankRule
from tutela.video.vpdq import parse_signature, to_threatexchange, usable


class VideoRuleError(TutelaError):
    kind = "video-rule"


def video_signals(kind: str, md5: str, signals: Sequence[SignalRecord]) -> list[tuple[str, str]]:
    """(signal type, value) pairs a video (or animated GIF/WebP) adds to a bank beyond its
    exact hashes: ``video_md5`` for videos, vPDQ when it has frames of usable quality."""
    out = [("video_md5", md5)] if kind == "video" else []
    for signal in signals:
        if signal.name == "vpdq" and signal.data.get("frames"):
            frames = parse_signature(signal.data["frames"])
            if usable(frames):
                out.append(("vpdq", to_threatexchange(frames)))
    return out


def stored_video_signals(session: Session, item: Item) -> list[tuple[str, str]]:
    """:func:`video_signals` of a stored item (its ``vpdq`` signal from the store)."""
    rows = session.execute(
        select(Signal.name, Signal.version, Signal.data).where(
            Signal.item_sha256 == item.sha256, Signal.name == "vpdq"
        )
    ).all()
    return video_signals(item.kind, item.md5, [SignalRecord(*row) for row in rows])


def set_rule(
    session: Session, bank_name: str, query_share: float, target_share: float
) -> dict[str, Any]:
    """Set a bank's vPDQ rule (shares 0–1); returns the rule as JSON."""
    for name, value in (("query share", query_share), ("target share", target_share)):
        if not 0 < value <= 1 and not (name == "target share" and value == 0):
            raise VideoRuleError(f"the {name} must be between 0 and 1, got {value}")
    bank = get_bank(session, bank_name)
    rule = session.get(VideoBankRule, bank.id)
    if rule is None:
        rule = VideoBankRule(bank_id=bank.id)
        session.add(rule)
    rule.query_share, rule.target_share = query_share, target_share
    session.flush()
    data = {"bank": bank.name, "query_share": query_share, "target_share": target_share}
    log_event(session, bank.id, "video-rule", data)
    return data
