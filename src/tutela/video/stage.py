"""The ``video_match`` stage of ``tutela scan``: match a case's videos against the banks.

Runs after the banks' ``match`` stage (which handles exact hashes, MD5 of videos
included). Every item with a vPDQ signature (videos, animated GIF/WebP) not yet
checked at the current bank revision is matched by :class:`VideoMatcher`; hits go
to the banks' ``matches`` table (so triage, review and reports see them like any
match, ``via`` saying ``video: …``) and their timing to ``video_matches``. Re-running
changes nothing; a change to any bank re-matches the case's videos.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, insert, select

from tutela.banks.models import Bank, Match
from tutela.banks.service import current_revision
from tutela.engine.scan import Stage
from tutela.store.db import Store
from tutela.store.models import Location, Signal
from tutela.video.matching import VideoMatcher, VideoMatchResult
from tutela.video.models import VideoMatch, VideoMatchCheck
from tutela.video.vpdq import parse_signature

BATCH = 50
VIA_PREFIX = "video"


def match_case_videos(
    store: Store, case_id: int, matcher: VideoMatcher | None = None
) -> dict[str, Any]:
    """Match every video of the case not yet matched at the current bank revision."""
    with store.session() as session:
        revision = current_revision(session)
        has_banks = session.scalar(select(func.count()).select_from(Bank)) or 0
    if not has_banks:
        return {"videos_checked": 0}
    matcher = matcher or VideoMatcher(store)
    matcher.refresh()
    checked = 0
    while True:
        with store.session() as session:
            done = select(VideoMatchCheck.item_sha256).where(
                VideoMatchCheck.case_id == case_id, VideoMatchCheck.revision >= revision
            )
            in_case = select(Location.item_sha256).where(Location.case_id == case_id)
            rows = session.execute(
                select(Signal.item_sha256, Signal.data)
                .where(
                    Signal.name == "vpdq",
                    Signal.item_sha256.in_(in_case),
                    Signal.item_sha256.not_in(done),
                )
                .order_by(Signal.item_sha256)
                .limit(BATCH)
            ).all()
        if not rows:
            break
        results = [
            (sha, matcher.match(parse_signature(data["frames"]), sha) if data["frames"] else None)
            for sha, data in rows
        ]
        with store.transaction() as session:
            _write(session, case_id, revision, results)
        checked += len(rows)
    summary = case_video_summary(store, case_id)
    summary["videos_checked"] = checked
    return summary


def _write(
    session: Any, case_id: int, revision: int, results: list[tuple[str, VideoMatchResult | None]]
) -> None:
    shas = [sha for sha, _ in results]
    session.execute(
        delete(Match).where(
            Match.case_id == case_id,
            Match.item_sha256.in_(shas),
            Match.via.like(f"{VIA_PREFIX}%"),
        )
    )
    for table in (VideoMatch, VideoMatchCheck):
        session.execute(delete(table).where(table.case_id == case_id, table.item_sha256.in_(shas)))
    # A GIF's first frame may already match an image entry through the banks' stage.
    taken = set(
        session.execute(
            select(Match.item_sha256, Match.entry_id).where(
                Match.case_id == case_id, Match.item_sha256.in_(shas)
            )
        ).all()
    )
    bank_ids = {name: i for i, name in session.execute(select(Bank.id, Bank.name))}
    matches, details, checks = [], [], []
    for sha, result in results:
        note = "no frames" if result is None else "; ".join(result.notes)
        checks.append({"case_id": case_id, "item_sha256": sha, "revision": revision, "note": note})
        for hit in result.hits if result else []:
            details.append(
                {
                    "case_id": case_id,
                    "item_sha256": sha,
                    "entry_id": hit.entry_id,
                    "kind": hit.kind,
                    "query_share": hit.query_share,
                    "target_share": hit.target_share,
                    "segments": [list(s) for s in hit.segments],
                    "frames": [f.to_json() for f in hit.frames[:500]],
                }
            )
            if (sha, hit.entry_id) in taken:
                continue
            taken.add((sha, hit.entry_id))
            matches.append(
                {
                    "case_id": case_id,
                    "item_sha256": sha,
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
    if matches:
        session.execute(insert(Match), matches)
    if details:
        session.execute(insert(VideoMatch), details)
    session.execute(insert(VideoMatchCheck), checks)


def case_video_summary(store: Store, case_id: int) -> dict[str, Any]:
    with store.session() as session:
        counts = dict(
            session.execute(
                select(VideoMatch.kind, func.count())
                .where(VideoMatch.case_id == case_id)
                .group_by(VideoMatch.kind)
            ).all()
        )
        matched = session.scalar(
            select(func.count(func.distinct(VideoMatch.item_sha256))).where(
                VideoMatch.case_id == case_id
            )
        )
    return {
        "videos_with_hits": int(matched or 0),
        "vpdq_matches": int(counts.get("vpdq", 0)),
        "frame_matches": int(counts.get("frame", 0)),
    }


STAGES = [Stage("video_match", match_case_videos)]
