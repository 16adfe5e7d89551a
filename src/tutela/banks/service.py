"""Bank curation as a library: create, list, import, export, enable/disable entries.

Everything the CLI and the HTTP API do to banks goes through here. Every change
appends a :class:`~tutela.banks.models.BankEvent`; the highest event id is the
bank revision that matching results are stamped with, so a case is re-matched
exactly when banks changed since it was last matched.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from tutela.banks.models import BANK_KINDS, ENTRY_STATUSES, Bank, BankEvent, Entry
from tutela.banks.records import EntryRecord, RecordError
from tutela.banks.signal_types import InvalidSignal, normalize
from tutela.errors import TutelaError
from tutela.signals.pdq import PDQ_MATCH_THRESHOLD
from tutela.store.db import Store
from tutela.store.models import utcnow

BATCH = 2000
MAX_PDQ_THRESHOLD = 96
"""Beyond this a PDQ "match" is noise (random hashes sit around 128 bits apart)."""
DEFAULT_FLOOD_LIMIT = 100
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,99}")


class BankError(TutelaError):
    kind = "bank"


class UnknownBank(BankError):
    kind = "unknown-bank"


class UnknownEntry(BankError):
    kind = "unknown-entry"


@dataclass
class ImportSummary:
    bank: str
    added: int = 0
    updated: int = 0
    rejected: int = 0
    errors: list[dict[str, str]] = field(default_factory=list)
    """The first rejected rows (where, message); ``rejected`` counts them all."""
    by_type: Counter[str] = field(default_factory=Counter)

    MAX_ERRORS = 20

    def reject(self, where: str, message: str) -> None:
        self.rejected += 1
        if len(self.errors) < self.MAX_ERRORS:
            self.errors.append({"where": where, "message": message})

    def to_json(self) -> dict[str, Any]:
        return {
            "bank": self.bank,
            "added": self.added,
            "updated": self.updated,
            "rejected": self.rejected,
            "by_signal_type": dict(sorted(self.by_type.items())),
            "errors": self.errors,
        }


# -- banks --------------------------------------------------------------------------


def current_revision(session: Session) -> int:
    return int(session.scalar(select(func.max(BankEvent.id))) or 0)


def log_event(
    session: Session,
    bank_id: int | None,
    action: str,
    detail: dict[str, Any] | None = None,
    entry_id: int | None = None,
) -> None:
    session.add(BankEvent(bank_id=bank_id, entry_id=entry_id, action=action, detail=detail or {}))
    session.flush()


def check_settings(kind: str | None, pdq_threshold: int | None, flood_limit: int | None) -> None:
    if kind is not None and kind not in BANK_KINDS:
        raise BankError(f"bank kind must be one of {', '.join(BANK_KINDS)}, not {kind!r}")
    if pdq_threshold is not None and not 0 <= pdq_threshold <= MAX_PDQ_THRESHOLD:
        raise BankError(f"the PDQ threshold must be between 0 and {MAX_PDQ_THRESHOLD} bits")
    if flood_limit is not None and flood_limit < 1:
        raise BankError("the flood limit must be at least 1 item")


def create_bank(
    session: Session,
    name: str,
    kind: str = "positive",
    pdq_threshold: int = PDQ_MATCH_THRESHOLD,
    flood_limit: int = DEFAULT_FLOOD_LIMIT,
    description: str = "",
    exchange_api: str | None = None,
    exchange_config: dict[str, Any] | None = None,
) -> Bank:
    if not _NAME.fullmatch(name):
        raise BankError(
            f"invalid bank name {name!r}: use letters, digits, '_', '.', '-' (at most 100)"
        )
    check_settings(kind, pdq_threshold, flood_limit)
    if session.scalar(select(Bank.id).where(Bank.name == name)) is not None:
        raise BankError(f"a bank named {name!r} already exists")
    bank = Bank(
        name=name,
        kind=kind,
        pdq_threshold=pdq_threshold,
        flood_limit=flood_limit,
        description=description,
        exchange_api=exchange_api,
        exchange_config=exchange_config or {},
    )
    session.add(bank)
    session.flush()
    log_event(session, bank.id, "create", bank_settings(bank))
    return bank


def update_bank(
    session: Session,
    name: str,
    kind: str | None = None,
    pdq_threshold: int | None = None,
    flood_limit: int | None = None,
    description: str | None = None,
) -> Bank:
    check_settings(kind, pdq_threshold, flood_limit)
    bank = get_bank(session, name)
    changes: dict[str, Any] = {}
    for attr, value in (
        ("kind", kind),
        ("pdq_threshold", pdq_threshold),
        ("flood_limit", flood_limit),
        ("description", description),
    ):
        if value is not None and getattr(bank, attr) != value:
            changes[attr] = value
            setattr(bank, attr, value)
    if changes:
        log_event(session, bank.id, "update", changes)
    return bank


def bank_settings(bank: Bank) -> dict[str, Any]:
    return {
        "kind": bank.kind,
        "pdq_threshold": bank.pdq_threshold,
        "flood_limit": bank.flood_limit,
        "exchange_api": bank.exchange_api,
    }


def get_bank(session: Session, name: str) -> Bank:
    bank = session.scalar(select(Bank).where(Bank.name == name))
    if bank is None:
        names = session.scalars(select(Bank.name).order_by(Bank.name)).all()
        raise UnknownBank(f"no bank named {name!r}; banks: {', '.join(names) or 'none'}")
    return bank


@dataclass
class BankInfo:
    name: str
    kind: str
    pdq_threshold: int
    flood_limit: int
    description: str
    exchange_api: str | None
    created_at: str
    last_fetch_at: str | None
    entries: dict[str, int]
    """Counts of listed (non-variant) entries by status."""
    signal_types: dict[str, int]

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def list_banks(session: Session) -> list[BankInfo]:
    counts: dict[int, Counter[str]] = {}
    types: dict[int, Counter[str]] = {}
    for bank_id, status, signal_type, n in session.execute(
        select(Entry.bank_id, Entry.status, Entry.signal_type, func.count())
        .where(Entry.variant == "")
        .group_by(Entry.bank_id, Entry.status, Entry.signal_type)
    ):
        counts.setdefault(bank_id, Counter())[status] += n
        types.setdefault(bank_id, Counter())[signal_type] += n
    out = []
    for bank in session.scalars(select(Bank).order_by(Bank.name)):
        c = counts.get(bank.id, Counter())
        out.append(
            BankInfo(
                name=bank.name,
                kind=bank.kind,
                pdq_threshold=bank.pdq_threshold,
                flood_limit=bank.flood_limit,
                description=bank.description,
                exchange_api=bank.exchange_api,
                created_at=bank.created_at.isoformat(),
                last_fetch_at=bank.last_fetch_at.isoformat() if bank.last_fetch_at else None,
                entries={s: c.get(s, 0) for s in ENTRY_STATUSES},
                signal_types=dict(sorted(types.get(bank.id, Counter()).items())),
            )
        )
    return out


# -- entries ------------------------------------------------------------------------


def _insert(session: Session, table: Any) -> Any:
    module = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return module.insert(table)


def upsert_rows(session: Session, rows: Sequence[dict[str, Any]]) -> tuple[int, int]:
    """Insert entries, or refresh metadata of existing ones; returns (added, updated).

    Curation decisions (status) of existing entries are kept.
    """
    if not rows:
        return 0, 0
    keys = {
        (r["bank_id"], r["signal_type"], r["value"], r["variant"], r["source_key"]) for r in rows
    }
    existing: set[tuple[Any, ...]] = set()
    key_cols = (Entry.bank_id, Entry.signal_type, Entry.value, Entry.variant, Entry.source_key)
    key_list = list(keys)
    for start in range(0, len(key_list), 500):
        chunk = key_list[start : start + 500]
        existing.update(
            tuple(row)
            for row in session.execute(select(*key_cols).where(tuple_(*key_cols).in_(chunk)))
        )
    now = utcnow()
    stmt = _insert(session, Entry.__table__)
    stmt = stmt.on_conflict_do_update(
        index_elements=["bank_id", "signal_type", "value", "variant", "source_key"],
        set_={"metadata": stmt.excluded.metadata, "updated_at": now},
    )
    session.execute(
        stmt,
        [
            {
                "status": "enabled",
                "status_reason": "",
                "flood_exempt": False,
                "parent_id": None,
                "created_at": now,
                "updated_at": now,
                **r,
            }
            for r in rows
        ],
    )
    added = len(keys - existing)
    return added, len(keys) - added


def import_records(
    store: Store,
    bank_name: str,
    records: Iterable[EntryRecord | RecordError],
    detail: dict[str, Any] | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> ImportSummary:
    """Add records to a bank in committed batches; bad rows are counted, never fatal.

    Re-importing the same file changes nothing but metadata (entries are keyed by
    bank, signal type, value and source key).
    """
    with store.transaction() as session:
        bank_id = get_bank(session, bank_name).id
    summary = ImportSummary(bank_name)
    batch: dict[tuple[str, str, str], dict[str, Any]] = {}

    def flush() -> None:
        if not batch:
            return
        with store.transaction() as session:
            added, updated = upsert_rows(session, list(batch.values()))
        summary.added += added
        summary.updated += updated
        if on_progress:
            on_progress(len(batch))
        batch.clear()

    for record in records:
        if isinstance(record, RecordError):
            summary.reject(record.where, record.message)
            continue
        try:
            signal_type, value = normalize(record.signal_type, record.value)
        except InvalidSignal as exc:
            summary.reject(record.source_key or record.value[:80], exc.message)
            continue
        summary.by_type[signal_type] += 1
        batch[(signal_type, value, record.source_key)] = {
            "bank_id": bank_id,
            "signal_type": signal_type,
            "value": value,
            "variant": "",
            "source_key": record.source_key,
            "metadata": record.metadata,
        }
        if len(batch) >= BATCH:
            flush()
    flush()
    with store.transaction() as session:
        log_event(session, bank_id, "import", {**(detail or {}), **summary.to_json()})
    return summary


def iter_records(session: Session, bank_name: str, page: int = 5000) -> Iterator[EntryRecord]:
    """A bank's listed entries (no derived variants), grouped by source key, streamed."""
    bank_id = get_bank(session, bank_name).id
    last = (" ", 0)
    first = True
    while True:
        query = (
            select(Entry)
            .where(Entry.bank_id == bank_id, Entry.variant == "")
            .order_by(Entry.source_key, Entry.id)
            .limit(page)
        )
        if not first:
            query = query.where(tuple_(Entry.source_key, Entry.id) > last)
        rows = session.scalars(query).all()
        if not rows:
            return
        for entry in rows:
            yield EntryRecord(entry.signal_type, entry.value, dict(entry.meta), entry.source_key)
        last = (rows[-1].source_key, rows[-1].id)
        first = False


def find_entries(session: Session, selector: str, bank_name: str | None = None) -> list[Entry]:
    """Entries by id (``42``) or by signal (``pdq:<hex>``), optionally within one bank."""
    query = select(Entry).where(Entry.variant == "")
    if selector.isdigit():
        query = query.where(Entry.id == int(selector))
    elif ":" in selector:
        signal_type, value = normalize(*selector.split(":", 1))
        query = query.where(Entry.signal_type == signal_type, Entry.value == value)
    else:
        raise UnknownEntry(
            f"{selector!r} is neither an entry id nor SIGNAL_TYPE:VALUE (e.g. pdq:<64 hex digits>)"
        )
    if bank_name:
        query = query.where(Entry.bank_id == get_bank(session, bank_name).id)
    found = list(session.scalars(query.order_by(Entry.id)))
    if not found:
        raise UnknownEntry(f"no entry matches {selector!r}")
    return found


def set_status(
    session: Session, selector: str, status: str, reason: str = "", bank_name: str | None = None
) -> list[Entry]:
    """Enable or disable entries (and their derived variants). Enabling a quarantined
    entry exempts it from the flood guard: a person has looked at it."""
    if status not in ("enabled", "disabled"):
        raise BankError("an entry can be enabled or disabled by hand")
    entries = find_entries(session, selector, bank_name)
    now = utcnow()
    for entry in entries:
        was = entry.status
        values: dict[str, Any] = {"status": status, "status_reason": reason, "updated_at": now}
        if status == "enabled" and was == "quarantined":
            values["flood_exempt"] = True
        session.execute(
            update(Entry)
            .where((Entry.id == entry.id) | (Entry.parent_id == entry.id))
            .values(**values)
        )
        log_event(
            session, entry.bank_id, status, {"from": was, "reason": reason}, entry_id=entry.id
        )
    session.expire_all()
    return [session.get_one(Entry, e.id) for e in entries]


def entry_json(entry: Entry, bank_name: str) -> dict[str, Any]:
    return {
        "id": entry.id,
        "bank": bank_name,
        "signal_type": entry.signal_type,
        "value": entry.value,
        "status": entry.status,
        "status_reason": entry.status_reason,
        "source_key": entry.source_key,
        "metadata": entry.meta,
        "created_at": entry.created_at.isoformat(),
    }
