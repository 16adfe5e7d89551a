"""Read-side queries shared by the CLI, the HTTP API and the review workspace."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tutela.errors import TutelaError
from tutela.store.models import Case, Item, Location


class UnknownCase(TutelaError):
    kind = "unknown-case"


def case_id(session: Session, name: str) -> int:
    found = session.scalar(select(Case.id).where(Case.name == name))
    if found is None:
        names = session.scalars(select(Case.name).order_by(Case.name)).all()
        raise UnknownCase(f"no case named {name!r}; known cases: {', '.join(names) or 'none'}")
    return found


def item_json(item: Item, paths: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {
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
        "paths": paths,
    }
    if item.error_kind:
        out["error"] = {"kind": item.error_kind, "message": item.error_message}
    return out


def iter_items(
    session: Session, case: str | None = None, page: int = 1000
) -> Iterator[tuple[Item, list[str]]]:
    """Items (sorted by sha256) with the paths where they were seen, streamed in pages."""
    cid = case_id(session, case) if case else None
    last = ""
    while True:
        query = select(Item).where(Item.sha256 > last).order_by(Item.sha256).limit(page)
        if cid is not None:
            query = query.where(
                Item.sha256.in_(select(Location.item_sha256).where(Location.case_id == cid))
            )
        items = session.scalars(query).all()
        if not items:
            return
        paths_q = (
            select(Location.item_sha256, Location.path)
            .where(Location.item_sha256.in_([i.sha256 for i in items]))
            .order_by(Location.path)
        )
        if cid is not None:
            paths_q = paths_q.where(Location.case_id == cid)
        paths: dict[str, list[str]] = {}
        for sha, path in session.execute(paths_q):
            paths.setdefault(str(sha), []).append(path)
        for item in items:
            yield item, paths.get(item.sha256, [])
        last = items[-1].sha256


@dataclass
class CaseCounts:
    name: str
    created_at: str
    locations: int
    items: int
    errors: int


def case_counts(session: Session) -> list[CaseCounts]:
    out = []
    for case in session.scalars(select(Case).order_by(Case.name)):
        locations = (
            session.scalar(
                select(func.count()).select_from(Location).where(Location.case_id == case.id)
            )
            or 0
        )
        items = (
            session.scalar(
                select(func.count(func.distinct(Location.item_sha256))).where(
                    Location.case_id == case.id
                )
            )
            or 0
        )
        errors = (
            session.scalar(
                select(func.count())
                .select_from(Location)
                .join(Item, Item.sha256 == Location.item_sha256, isouter=True)
                .where(
                    Location.case_id == case.id,
                    (Item.error_kind.is_not(None)) | (Location.item_sha256.is_(None)),
                )
            )
            or 0
        )
        out.append(CaseCounts(case.name, case.created_at.isoformat(), locations, items, errors))
    return out
