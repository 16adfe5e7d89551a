"""Bank curation routes (role ``curate``)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, File, HTTPException, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import select

from tutela.api.auth import require_role
from tutela.api.schemas import (
    BankCreate,
    BankModel,
    BankUpdate,
    EntriesIn,
    EntryModel,
    ImportResult,
    StatusChange,
)
from tutela.api.uploads import read_upload
from tutela.banks import service
from tutela.banks.models import Bank, Entry
from tutela.banks.records import EntryRecord

router = APIRouter(prefix="/v1", tags=["banks"], dependencies=[Depends(require_role("curate"))])


def _bank_json(request: Request, name: str) -> dict[str, Any]:
    with request.app.state.store.session() as session:
        service.get_bank(session, name)
        return next(b.to_json() for b in service.list_banks(session) if b.name == name)


@router.get("/banks", response_model=list[BankModel], summary="List banks")
def list_banks(request: Request) -> list[dict[str, Any]]:
    with request.app.state.store.session() as session:
        return [b.to_json() for b in service.list_banks(session)]


@router.post("/banks", response_model=BankModel, status_code=201, summary="Create a bank")
def create_bank(request: Request, body: BankCreate) -> dict[str, Any]:
    with request.app.state.store.transaction() as session:
        service.create_bank(
            session, body.name, body.kind, body.pdq_threshold, body.flood_limit, body.description
        )
    return _bank_json(request, body.name)


@router.get("/banks/{name}", response_model=BankModel, summary="One bank")
def get_bank(request: Request, name: str) -> dict[str, Any]:
    return _bank_json(request, name)


@router.patch("/banks/{name}", response_model=BankModel, summary="Change a bank's settings")
def update_bank(request: Request, name: str, body: BankUpdate) -> dict[str, Any]:
    with request.app.state.store.transaction() as session:
        service.update_bank(
            session, name, body.kind, body.pdq_threshold, body.flood_limit, body.description
        )
    return _bank_json(request, name)


@router.get("/banks/{name}/entries", response_model=list[EntryModel], summary="A bank's entries")
def list_entries(
    request: Request,
    name: str,
    status: str | None = Query(None, description="enabled, disabled or quarantined"),
    after: int = Query(0, description="Page: only entries with a larger id"),
    limit: int = Query(100, ge=1, le=1000),
) -> list[dict[str, Any]]:
    with request.app.state.store.session() as session:
        bank = service.get_bank(session, name)
        query = select(Entry).where(Entry.bank_id == bank.id, Entry.variant == "", Entry.id > after)
        if status:
            query = query.where(Entry.status == status)
        rows = session.scalars(query.order_by(Entry.id).limit(limit))
        return [service.entry_json(e, bank.name) for e in rows]


@router.post("/banks/{name}/entries", response_model=ImportResult, summary="Add entries")
def add_entries(request: Request, name: str, body: EntriesIn) -> dict[str, Any]:
    """Add signals to a bank; invalid ones are listed in ``errors``, the rest are added."""
    records = [EntryRecord(e.signal_type, e.value, e.metadata, e.source_key) for e in body.entries]
    summary = service.import_records(request.app.state.store, name, records, {"via": "api"})
    return summary.to_json()


@router.post("/banks/{name}/images", response_model=ImportResult, summary="Add an image")
async def add_image(
    request: Request, name: str, file: UploadFile = File(description="An image to bank.")
) -> dict[str, Any]:
    """Bank an image's hashes and its edited-copy PDQ variants (the image is not kept)."""
    from tutela.banks.images import add_images

    data = await read_upload(file)
    suffix = Path(file.filename or "upload").suffix[:10]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"upload{suffix}"
        path.write_bytes(data)
        summary = await run_in_threadpool(
            add_images,
            request.app.state.store,
            name,
            [str(path)],
            {"file": file.filename or "upload"},
        )
    return summary.to_json()


def _change(request: Request, entry_id: int, status: str, body: StatusChange) -> dict[str, Any]:
    with request.app.state.store.transaction() as session:
        changed = service.set_status(session, str(entry_id), status, body.reason)
        entry = changed[0]
        return service.entry_json(entry, session.get_one(Bank, entry.bank_id).name)


@router.post("/entries/{entry_id}/disable", response_model=EntryModel, summary="Disable an entry")
def disable_entry(
    request: Request, entry_id: int, body: StatusChange | None = None
) -> dict[str, Any]:
    return _change(request, entry_id, "disabled", body or StatusChange())


@router.post("/entries/{entry_id}/enable", response_model=EntryModel, summary="Enable an entry")
def enable_entry(
    request: Request, entry_id: int, body: StatusChange | None = None
) -> dict[str, Any]:
    """Re-enable an entry; a quarantined one becomes exempt from the flood guard."""
    return _change(request, entry_id, "enabled", body or StatusChange())


@router.get("/entries/{entry_id}", response_model=EntryModel, summary="One entry")
def get_entry(request: Request, entry_id: int) -> dict[str, Any]:
    with request.app.state.store.session() as session:
        entry = session.get(Entry, entry_id)
        if entry is None or entry.variant:
            raise HTTPException(404, f"no entry {entry_id}")
        return service.entry_json(entry, session.get_one(Bank, entry.bank_id).name)
