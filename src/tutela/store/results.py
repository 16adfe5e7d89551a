"""Write pipeline results: idempotent upserts, one transaction per batch.

Because items are keyed by content and locations by (case, path), writing the
same results twice changes nothing; this is what makes a killed scan resumable
with exactly the results of an uninterrupted one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from tutela.engine.records import FileResult
from tutela.store.models import Case, Item, Location, ScanError, Signal


def get_or_create_case(session: Session, name: str) -> Case:
    case = session.scalar(select(Case).where(Case.name == name))
    if case is None:
        case = Case(name=name)
        session.add(case)
        session.flush()
    return case


def _insert(session: Session, table: Any) -> Any:
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    return module.insert(table)


def write_results(session: Session, case_id: int, results: Sequence[FileResult]) -> None:
    """Persist a batch of results for one case (caller owns the transaction)."""
    by_path: dict[str, FileResult] = {}
    for result in results:
        by_path[result.path] = result
    items: dict[str, dict[str, Any]] = {}
    signals: dict[tuple[str, str], dict[str, Any]] = {}
    for result in by_path.values():
        item = result.item
        if item is None:
            continue
        if item.new and item.sha256 not in items:
            items[item.sha256] = {
                "sha256": item.sha256,
                "sha1": item.sha1,
                "md5": item.md5,
                "size": item.size,
                "kind": item.kind,
                "format": item.format,
                "width": item.width,
                "height": item.height,
                "pdq": item.pdq,
                "pdq_quality": item.pdq_quality,
                "error_kind": item.error_kind,
                "error_message": item.error_message,
            }
        for sig in item.signals:
            signals[(item.sha256, sig.name)] = {
                "item_sha256": item.sha256,
                "name": sig.name,
                "version": sig.version,
                "data": sig.data,
            }
    if items:
        stmt = _insert(session, Item.__table__).on_conflict_do_nothing(index_elements=["sha256"])
        session.execute(stmt, list(items.values()))
    if signals:
        stmt = _insert(session, Signal.__table__)
        stmt = stmt.on_conflict_do_update(
            index_elements=["item_sha256", "name"],
            set_={"version": stmt.excluded.version, "data": stmt.excluded.data},
        )
        session.execute(stmt, list(signals.values()))

    paths = list(by_path)
    for start in range(0, len(paths), 500):
        chunk = paths[start : start + 500]
        session.execute(
            delete(Location).where(Location.case_id == case_id, Location.path.in_(chunk))
        )
    rows = [
        {"case_id": case_id, "path": r.path, "fingerprint": r.fingerprint, "item_sha256": r.sha256}
        for r in by_path.values()
    ]
    if not rows:
        return
    session.execute(insert(Location), rows)
    with_errors = [r for r in by_path.values() if r.errors]
    if not with_errors:
        return
    ids = {
        path: loc_id
        for path, loc_id in session.execute(
            select(Location.path, Location.id).where(
                Location.case_id == case_id,
                Location.path.in_([r.path for r in with_errors]),
            )
        )
    }
    session.execute(
        insert(ScanError),
        [
            {
                "case_id": case_id,
                "location_id": ids[r.path],
                "kind": e.kind,
                "message": e.message,
                "fatal": e.fatal,
            }
            for r in with_errors
            for e in r.errors
        ],
    )


def done_locations(session: Session, case_id: int) -> dict[str, str]:
    """Location path → fingerprint for everything a case already holds."""
    rows = session.execute(
        select(Location.path, Location.fingerprint).where(Location.case_id == case_id)
    )
    return {path: fingerprint for path, fingerprint in rows}


def stored_signals(session: Session, sha256: str) -> set[tuple[str, str]] | None:
    """The signals stored for an item, or None when the item is not stored at all."""
    if session.get(Item, sha256) is None:
        return None
    rows = session.execute(select(Signal.name, Signal.version).where(Signal.item_sha256 == sha256))
    return {(name, version) for name, version in rows}
