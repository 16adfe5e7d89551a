"""Read-side queries for video matches (CLI, API, review workspace)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tutela.banks.models import Bank, Entry, Match
from tutela.store.models import Location
from tutela.store.queries import case_id as find_case
from tutela.video.models import VideoMatch


def video_matches(session: Session, case: str | None = None) -> list[dict[str, Any]]:
    """Every video match (of one case or all), with its segments, frames and paths."""
    query = (
        select(VideoMatch, Match, Entry, Bank)
        .join(
            Match,
            (Match.case_id == VideoMatch.case_id)
            & (Match.item_sha256 == VideoMatch.item_sha256)
            & (Match.entry_id == VideoMatch.entry_id),
            isouter=True,
        )
        .join(Entry, Entry.id == VideoMatch.entry_id)
        .join(Bank, Bank.id == Entry.bank_id)
        .order_by(VideoMatch.case_id, VideoMatch.item_sha256, Bank.name, VideoMatch.entry_id)
    )
    if case:
        query = query.where(VideoMatch.case_id == find_case(session, case))
    rows = []
    for detail, match, entry, bank in session.execute(query):
        paths = session.scalars(
            select(Location.path)
            .where(Location.case_id == detail.case_id, Location.item_sha256 == detail.item_sha256)
            .order_by(Location.path)
        ).all()
        status = "match"
        if match is not None and match.quarantined:
            status = "quarantined"
        elif match is not None and match.suppressed:
            status = "suppressed"
        rows.append(
            {
                "case_id": detail.case_id,
                "item_sha256": detail.item_sha256,
                "paths": list(paths),
                "bank": bank.name,
                "bank_kind": bank.kind,
                "entry_id": entry.id,
                "signal_type": entry.signal_type,
                "kind": detail.kind,
                "distance": min((f["distance"] for f in detail.frames), default=None),
                "query_share": detail.query_share,
                "target_share": detail.target_share,
                "segments": [{"start": s, "end": e} for s, e in detail.segments],
                "frames": detail.frames,
                "status": status,
                "source_key": entry.source_key,
            }
        )
    return rows
