"""Escalating per-user cool-downs after blocked prompts, kept in the store.

The n-th block of a user within the policy's window (n ≥ ``cooldown_after_blocks``)
starts a cool-down of ``cooldown_seconds × cooldown_factor^(n - cooldown_after_blocks)``
seconds, capped at ``cooldown_max_seconds``. During a cool-down every prompt of that
user is refused. This slows down probing of the lexicon, as AI Horde's timeouts do.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select

from tutela.prompts.models import PromptCooldown, PromptStrike
from tutela.prompts.policy import Policy
from tutela.prompts.screen import Cooldown, Screening
from tutela.store import Store

MAX_USER_CHARS = 200


def _aware(moment: datetime) -> datetime:
    # SQLite returns naive datetimes; everything tutela writes is UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def active_cooldown(store: Store, user: str, now: datetime | None = None) -> Cooldown | None:
    """The user's cool-down if it has not ended yet."""
    now = now or datetime.now(UTC)
    with store.session() as session:
        row = session.get(PromptCooldown, user[:MAX_USER_CHARS])
        if row is None or _aware(row.until) <= now:
            return None
        return Cooldown(user, _aware(row.until).isoformat(), row.blocks, True)


def record_block(
    store: Store, user: str, screening: Screening, policy: Policy, now: datetime | None = None
) -> Cooldown | None:
    """Record a blocked prompt; start or extend the user's cool-down when due."""
    now = now or datetime.now(UTC)
    key = user[:MAX_USER_CHARS]
    window_start = now - timedelta(seconds=policy.cooldown_window_seconds)
    with store.transaction() as session:
        session.add(
            PromptStrike(
                user_key=key,
                score=screening.score,
                concepts=sorted({c.concept for c in screening.concepts}),
                policy=policy.name,
                created_at=now,
            )
        )
        session.flush()
        blocks = session.scalar(
            select(func.count())
            .select_from(PromptStrike)
            .where(PromptStrike.user_key == key, PromptStrike.created_at > window_start)
        )
        blocks = int(blocks or 0)
        if blocks < policy.cooldown_after_blocks:
            return None
        seconds = min(
            policy.cooldown_max_seconds,
            policy.cooldown_seconds
            * policy.cooldown_factor ** (blocks - policy.cooldown_after_blocks),
        )
        until = now + timedelta(seconds=seconds)
        row = session.get(PromptCooldown, key)
        if row is None:
            session.add(PromptCooldown(user_key=key, until=until, blocks=blocks, updated_at=now))
        else:
            row.until = max(_aware(row.until), until)
            row.blocks = blocks
            row.updated_at = now
            until = row.until
        return Cooldown(user, until.isoformat(), blocks, False)


def clear_cooldown(store: Store, user: str) -> bool:
    """Lift a user's cool-down and forget their strikes (an operator's decision)."""
    key = user[:MAX_USER_CHARS]
    with store.transaction() as session:
        removed = session.execute(delete(PromptCooldown).where(PromptCooldown.user_key == key))
        session.execute(delete(PromptStrike).where(PromptStrike.user_key == key))
        return bool(getattr(removed, "rowcount", 0))


def list_cooldowns(store: Store, now: datetime | None = None) -> list[Cooldown]:
    """Cool-downs that have not ended yet, latest first."""
    now = now or datetime.now(UTC)
    with store.session() as session:
        rows = session.scalars(select(PromptCooldown).order_by(PromptCooldown.until.desc()))
        return [
            Cooldown(r.user_key, _aware(r.until).isoformat(), r.blocks, True)
            for r in rows
            if _aware(r.until) > now
        ]


def apply_cooldowns(
    store: Store, user: str, screening: Screening, policy: Policy, now: datetime | None = None
) -> Screening:
    """Refuse during a cool-down; count a block towards the next one."""
    now = now or datetime.now(UTC)
    active = active_cooldown(store, user, now)
    reasons = list(screening.reasons)
    result = screening
    if screening.decision == "block":
        started = record_block(store, user, screening, policy, now)
        if started is not None:
            reasons.append(
                f"{started.blocks} blocked prompts in the window: cool-down until {started.until}"
            )
            result = replace(result, cooldown=replace(started, active=active is not None))
    if active is not None:
        reasons.append(f"user in cool-down until {active.until}: refused")
        result = replace(
            result,
            action="refuse",
            rewrite=None,
            cooldown=result.cooldown or active,
        )
    return replace(result, reasons=tuple(reasons))
