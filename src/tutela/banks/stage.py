"""The ``match`` stage of ``tutela scan``: match a case's items against the banks.

Items already matched at the current bank revision are skipped, so re-running a
scan (or resuming a killed one) matches only what is new, and a change to any
bank re-matches the case. Results are written per batch, replacing the item's
previous matches, so the stage is idempotent. The flood guard then quarantines
entries that match more items of the case than their bank's flood limit.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import delete, func, insert, select, update

from tutela.banks.analyzers import extra_pdq
from tutela.banks.matcher import Matcher, MatchResult, index_dir_from_env, query_from_item
from tutela.banks.models import Bank, CaseItemCheck, Entry, Match
from tutela.banks.service import current_revision, log_event
from tutela.banks.signal_types import ItemFacts, item_signal_names
from tutela.engine.scan import Stage
from tutela.store.db import Store
from tutela.store.models import Item, Location, Signal, utcnow

BATCH = 500


def item_facts(session: Any, items: list[Item]) -> list[ItemFacts]:
    """Items plus the PDQ variants the scan computed for them."""
    extra: dict[str, dict[str, list[str]]] = {}
    for sha, data in session.execute(
        select(Signal.item_sha256, Signal.data).where(
            Signal.name == "pdq_variants",
            Signal.item_sha256.in_([i.sha256 for i in items]),
        )
    ):
        extra[sha] = extra_pdq(data)
    signals: dict[str, dict[str, dict[str, Any]]] = {}
    names = item_signal_names()
    if names:
        for sha, name, data in session.execute(
            select(Signal.item_sha256, Signal.name, Signal.data).where(
                Signal.name.in_(names), Signal.item_sha256.in_([i.sha256 for i in items])
            )
        ):
            signals.setdefault(sha, {})[name] = data
    return [
        ItemFacts(
            sha256=i.sha256,
            sha1=i.sha1,
            md5=i.md5,
            kind=i.kind,
            pdq=i.pdq,
            pdq_quality=i.pdq_quality,
            extra=extra.get(i.sha256, {}),
            signals=signals.get(i.sha256, {}),
        )
        for i in items
    ]


def match_case(store: Store, case_id: int, matcher: Matcher | None = None) -> dict[str, Any]:
    """Match every item of the case not yet matched at the current bank revision."""
    with store.session() as session:
        revision = current_revision(session)
        has_banks = session.scalar(select(func.count()).select_from(Bank)) or 0
    if not has_banks:
        return {"banks": 0, "items_checked": 0, "matches": 0}
    matcher = matcher or Matcher(store, index_dir=index_dir_from_env())
    matcher.refresh()
    checked = 0
    while True:
        with store.session() as session:
            done = select(CaseItemCheck.item_sha256).where(
                CaseItemCheck.case_id == case_id, CaseItemCheck.revision >= revision
            )
            todo = select(Location.item_sha256).where(
                Location.case_id == case_id, Location.item_sha256.is_not(None)
            )
            items = list(
                session.scalars(
                    select(Item)
                    .where(Item.sha256.in_(todo), Item.sha256.not_in(done))
                    .order_by(Item.sha256)
                    .limit(BATCH)
                )
            )
            if not items:
                break
            facts = item_facts(session, items)
        results = matcher.match([query_from_item(f) for f in facts])
        with store.transaction() as session:
            _write(session, case_id, revision, facts, results)
        checked += len(items)
    quarantined = flood_guard(store, case_id)
    summary = case_match_summary(store, case_id)
    summary.update(items_checked=checked, entries_quarantined=quarantined)
    return summary


def _write(
    session: Any,
    case_id: int,
    revision: int,
    facts: list[ItemFacts],
    results: list[MatchResult],
) -> None:
    shas = [f.sha256 for f in facts]
    session.execute(delete(Match).where(Match.case_id == case_id, Match.item_sha256.in_(shas)))
    session.execute(
        delete(CaseItemCheck).where(
            CaseItemCheck.case_id == case_id, CaseItemCheck.item_sha256.in_(shas)
        )
    )
    bank_ids = {name: i for i, name in session.execute(select(Bank.id, Bank.name))}
    rows = []
    for fact, result in zip(facts, results, strict=True):
        for hit in result.hits:
            rows.append(
                {
                    "case_id": case_id,
                    "item_sha256": fact.sha256,
                    "entry_id": hit.entry_id,
                    "bank_id": bank_ids[hit.bank],
                    "signal_type": hit.signal_type,
                    "distance": hit.distance,
                    "via": hit.via,
                    "suppressed": hit.status == "suppressed",
                    "quarantined": hit.status == "quarantined",
                    "revision": revision,
                }
            )
    if rows:
        session.execute(insert(Match), rows)
    session.execute(
        insert(CaseItemCheck),
        [
            {
                "case_id": case_id,
                "item_sha256": fact.sha256,
                "revision": revision,
                "note": "; ".join(result.notes),
            }
            for fact, result in zip(facts, results, strict=True)
        ],
    )


def flood_guard(store: Store, case_id: int) -> int:
    """Quarantine entries matching more of this case's items than their bank allows.

    A hash that suddenly matches hundreds of unrelated items is far more likely a
    bad list entry (a blank image, a logo) than hundreds of hits; it is taken out
    of matching until a person re-enables it (which exempts it from the guard).
    """
    with store.transaction() as session:
        counts = session.execute(
            select(Match.entry_id, func.count(), Bank.flood_limit)
            .join(Entry, Entry.id == Match.entry_id)
            .join(Bank, Bank.id == Entry.bank_id)
            .where(
                Match.case_id == case_id,
                Entry.status == "enabled",
                Entry.flood_exempt.is_(False),
            )
            .group_by(Match.entry_id, Bank.flood_limit)
        ).all()
        flooded = [(entry_id, n, limit) for entry_id, n, limit in counts if n > limit]
        if not flooded:
            return 0
        revision_before = current_revision(session)
        now = utcnow()
        for entry_id, n, limit in flooded:
            reason = f"flood guard: matched {n} items in one case (limit {limit})"
            session.execute(
                update(Entry)
                .where((Entry.id == entry_id) | (Entry.parent_id == entry_id))
                .values(status="quarantined", status_reason=reason, updated_at=now)
            )
            bank_id = session.scalar(select(Entry.bank_id).where(Entry.id == entry_id))
            log_event(
                session,
                bank_id,
                "quarantine",
                {"case_id": case_id, "items": n, "limit": limit},
                entry_id=entry_id,
            )
        ids = [f[0] for f in flooded]
        session.execute(
            update(Match).where(Match.entry_id.in_(ids)).values(quarantined=True, suppressed=False)
        )
        # Matches of this case are already up to date with the quarantine: keep them current.
        session.execute(
            update(CaseItemCheck)
            .where(CaseItemCheck.case_id == case_id, CaseItemCheck.revision >= revision_before)
            .values(revision=current_revision(session))
        )
    return len(flooded)


def case_match_summary(store: Store, case_id: int) -> dict[str, Any]:
    with store.session() as session:
        statuses: Counter[str] = Counter()
        matched_items: set[str] = set()
        for sha, suppressed, quarantined, kind in session.execute(
            select(Match.item_sha256, Match.suppressed, Match.quarantined, Bank.kind)
            .join(Bank, Bank.id == Match.bank_id)
            .where(Match.case_id == case_id)
        ):
            status = "quarantined" if quarantined else "suppressed" if suppressed else "match"
            statuses[f"{kind}:{status}"] += 1
            if kind == "positive" and status == "match":
                matched_items.add(sha)
        low_quality = (
            session.scalar(
                select(func.count())
                .select_from(CaseItemCheck)
                .where(
                    CaseItemCheck.case_id == case_id, CaseItemCheck.note.like("PDQ not compared%")
                )
            )
            or 0
        )
    return {
        "items_matched": len(matched_items),
        "matches": statuses.get("positive:match", 0),
        "suppressed_by_negative": statuses.get("positive:suppressed", 0),
        "quarantined_matches": statuses.get("positive:quarantined", 0),
        "negative_matches": statuses.get("negative:match", 0),
        "pdq_low_quality": low_quality,
    }


STAGES = [Stage("match", match_case)]
