"""Fill banks from hash exchanges through threatexchange's ``SignalExchangeAPI``.

Each exchange feeds its own bank (as in HMA). ``fetch`` walks the API's
``fetch_iter`` and, after every delta, commits the entries and the API's own
checkpoint (its dataclass as JSON, never pickle) in one transaction, so a fetch
that is interrupted or cut off by ``max_seconds`` resumes where it stopped.

Records are keyed as the exchange keys them (an NCMEC entry id, a StopNCII
``(type, hash)``); each key becomes the ``source_key`` of its entries, so an
update replaces a record's signals and a deletion (tombstone) disables them.
Entries disabled by a person stay disabled whatever the exchange says.

Credentials: the ``[exchanges.<api>]`` table of tutela's config file
(``$TUTELA_CONFIG``, default ``~/.config/tutela/config.toml``), else
threatexchange's own discovery (``TX_NCMEC_CREDENTIALS``, ``TX_STOPNCII_KEYS``,
``TX_ACCESS_TOKEN`` or their files).
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
import os
import time
import tomllib
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select, update

from tutela.banks.models import Bank, Entry
from tutela.banks.service import BankError, get_bank, log_event, upsert_rows
from tutela.banks.signal_types import InvalidSignal, normalize, registry
from tutela.store.db import Store
from tutela.store.models import utcnow

EXCHANGE_DELETED = "exchange: deleted"
"""Status reason of entries the exchange withdrew (they come back if it lists them again)."""


class ExchangeError(BankError):
    kind = "exchange"


def exchange_apis() -> dict[str, Any]:
    """The exchange APIs tutela can fetch from, by threatexchange name."""
    from threatexchange.exchanges.impl.fb_threatexchange_api import (
        FBThreatExchangeSignalExchangeAPI,
    )
    from threatexchange.exchanges.impl.file_api import LocalFileSignalExchangeAPI
    from threatexchange.exchanges.impl.ncmec_api import NCMECSignalExchangeAPI
    from threatexchange.exchanges.impl.stop_ncii_api import StopNCIISignalExchangeAPI

    apis = (
        NCMECSignalExchangeAPI,
        StopNCIISignalExchangeAPI,
        FBThreatExchangeSignalExchangeAPI,
        LocalFileSignalExchangeAPI,
    )
    return {cls.get_name(): cls for cls in apis}


def api_class(name: str) -> Any:
    apis = exchange_apis()
    if name not in apis:
        raise ExchangeError(f"unknown exchange API {name!r}; known: {', '.join(sorted(apis))}")
    return apis[name]


def config_path() -> Path:
    return Path(os.environ.get("TUTELA_CONFIG") or "~/.config/tutela/config.toml").expanduser()


def credentials_for(api_name: str) -> Any:
    """Credentials from tutela's config file, or None to let threatexchange look."""
    path = config_path()
    if not path.is_file():
        return None
    try:
        config = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ExchangeError(f"cannot read {path}: {exc}") from exc
    section = config.get("exchanges", {}).get(api_name)
    if not section:
        return None
    cred_cls = getattr(api_class(api_name), "get_credential_cls", None)
    if cred_cls is None:
        return None
    try:
        return cred_cls()(**section)
    except TypeError as exc:
        fields = ", ".join(f.name for f in dataclasses.fields(cred_cls()))
        raise ExchangeError(
            f"[exchanges.{api_name}] in {path} must have the keys {fields}: {exc}"
        ) from exc


def _coerce(cls: Any, data: dict[str, Any]) -> dict[str, Any]:
    """Let users name enum members (``NGO_Generative_AI``) where the dataclass wants values."""
    hints = typing.get_type_hints(cls)
    out = dict(data)
    for key, value in data.items():
        hint = hints.get(key)
        is_enum = isinstance(hint, type) and issubclass(hint, enum.Enum)
        if is_enum and isinstance(value, str) and value in hint.__members__:  # type: ignore[union-attr]
            out[key] = hint[value].value  # type: ignore[index]
    return out


def make_collab(bank: Bank) -> Any:
    from threatexchange.utils.dataclass_json import dataclass_load_dict

    cls = api_class(str(bank.exchange_api)).get_config_cls()
    data = {"name": bank.name, "api": bank.exchange_api, "enabled": True, **bank.exchange_config}
    names = {f.name for f in dataclasses.fields(cls) if f.init}
    try:
        return dataclass_load_dict(_coerce(cls, {k: v for k, v in data.items() if k in names}), cls)
    except Exception as exc:  # dacite's errors say which field is wrong
        raise ExchangeError(
            f"invalid settings for the {bank.exchange_api} exchange: {exc}"
        ) from exc


def check_config(api_name: str, config: dict[str, Any]) -> None:
    """Fail early (at ``bank create``) on settings the exchange cannot use."""
    probe = Bank(name="probe", exchange_api=api_name, exchange_config=config)
    make_collab(probe)


def _jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.name
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, set | frozenset):
        return sorted((_jsonable(v) for v in value), key=str)
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def checkpoint_to_json(checkpoint: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        json.dumps(dataclasses.asdict(checkpoint), default=_json_default)
    )
    return data


def _json_default(value: Any) -> Any:
    if isinstance(value, set | frozenset):
        return sorted(value, key=str)
    if isinstance(value, enum.Enum):
        return value.value
    raise TypeError(f"{type(value).__name__} is not JSON-serialisable")


def checkpoint_from_json(api: Any, data: dict[str, Any] | None) -> Any:
    if data is None:
        return None
    from threatexchange.utils.dataclass_json import dataclass_load_dict

    return dataclass_load_dict(data, api.get_checkpoint_cls())


def _source_key(key: Any) -> str:
    text = ":".join(str(k) for k in key) if isinstance(key, tuple) else str(key)
    if len(text) > 200:
        text = "sha256:" + hashlib.sha256(text.encode()).hexdigest()
    return text


@dataclass
class FetchSummary:
    bank: str
    api: str
    deltas: int = 0
    records: int = 0
    entries_written: int = 0
    deleted: int = 0
    rejected: int = 0
    complete: bool = False
    """The exchange said there is nothing more (False: cut off, resume later)."""
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def fetch(
    store: Store,
    bank_name: str,
    max_seconds: float | None = None,
    api_factory: Callable[[Any, Any], Any] | None = None,
    on_delta: Callable[[FetchSummary], None] | None = None,
) -> FetchSummary:
    """Fetch updates for an exchange-fed bank from its stored checkpoint onwards."""
    started = time.monotonic()
    with store.session() as session:
        bank = get_bank(session, bank_name)
        if not bank.exchange_api:
            raise ExchangeError(f"bank {bank_name!r} is not fed by an exchange")
        api_cls = api_class(bank.exchange_api)
        collab = make_collab(bank)
        bank_id = bank.id
        stored = bank.exchange_checkpoint
    checkpoint = checkpoint_from_json(api_cls, stored)
    # A checkpoint class with no state means the exchange sends its whole list each time.
    snapshot = not dataclasses.fields(api_cls.get_checkpoint_cls())
    if checkpoint is not None and checkpoint.is_stale():
        checkpoint, snapshot = None, True
    fetch_started = utcnow()
    api = (api_factory or _default_factory)(api_cls, collab)
    signal_types = [st.tx_signal_type for st in registry().values() if st.tx_signal_type]
    summary = FetchSummary(bank_name, str(api_cls.get_name()))
    try:
        for delta in api.fetch_iter(signal_types, checkpoint):
            with store.transaction() as session:
                _apply(session, bank_id, api_cls, collab, signal_types, delta.updates, summary)
                row = session.get_one(Bank, bank_id)
                row.exchange_checkpoint = checkpoint_to_json(delta.checkpoint)
                row.last_fetch_at = utcnow()
            summary.deltas += 1
            if on_delta:
                on_delta(summary)
            if max_seconds is not None and time.monotonic() - started > max_seconds:
                break
        else:
            summary.complete = True
    except ExchangeError:
        raise
    except Exception as exc:  # the exchange's own errors (network, auth, format)
        raise ExchangeError(
            f"fetching {bank_name!r} from {api_cls.get_name()} failed after "
            f"{summary.deltas} updates (progress is saved): {type(exc).__name__}: {exc}"
        ) from exc
    with store.transaction() as session:
        if summary.complete and snapshot:
            summary.deleted += _withdraw_unlisted(session, bank_id, fetch_started)
        summary.seconds = round(time.monotonic() - started, 3)
        log_event(session, bank_id, "fetch", summary.to_json())
    return summary


def _default_factory(api_cls: Any, collab: Any) -> Any:
    from threatexchange.exchanges.auth import (
        SignalExchangeAPIInvalidAuthException,
        SignalExchangeAPIMissingAuthException,
    )

    try:
        if hasattr(api_cls, "get_credential_cls"):
            return api_cls.for_collab(collab, credentials_for(api_cls.get_name()))
        return api_cls.for_collab(collab)
    except SignalExchangeAPIMissingAuthException as exc:
        raise ExchangeError(
            exc.pretty_str()
            + f"\n  or an [exchanges.{api_cls.get_name()}] table in {config_path()}"
        ) from exc
    except SignalExchangeAPIInvalidAuthException as exc:
        raise ExchangeError(f"{api_cls.get_name()}: {exc.message}") from exc


def _apply(
    session: Any,
    bank_id: int,
    api_cls: Any,
    collab: Any,
    signal_types: list[Any],
    updates: Mapping[Any, Any],
    summary: FetchSummary,
) -> None:
    now = utcnow()
    rows: list[dict[str, Any]] = []
    for key, value in updates.items():
        summary.records += 1
        source_key = _source_key(key)
        merged = api_cls.fetch_value_merge(None, value)
        listed: set[tuple[str, str]] = set()
        if merged is not None:
            converted = api_cls.naive_convert_to_signal_type(signal_types, collab, {key: merged})
            pairs = [
                (tx_type.get_name(), raw_value, metadata)
                for tx_type, signals in converted.items()
                for raw_value, metadata in signals.items()
            ]
            pairs += _unmapped_fingerprints(api_cls.get_name(), merged, collab)
            for type_name, raw_value, metadata in pairs:
                try:
                    signal_type, canonical = normalize(type_name, raw_value)
                except InvalidSignal:
                    summary.rejected += 1
                    continue
                listed.add((signal_type, canonical))
                rows.append(
                    {
                        "bank_id": bank_id,
                        "signal_type": signal_type,
                        "value": canonical,
                        "variant": "",
                        "source_key": source_key,
                        "metadata": {
                            "exchange": api_cls.get_name(),
                            "opinion": str(metadata),
                            "record": _jsonable(metadata),
                        },
                    }
                )
        # Signals the record no longer lists (or all, for a tombstone) are withdrawn.
        for entry in session.scalars(
            select(Entry).where(
                Entry.bank_id == bank_id,
                Entry.source_key == source_key,
                Entry.variant == "",
                Entry.status == "enabled",
            )
        ):
            if (entry.signal_type, entry.value) not in listed:
                entry.status, entry.status_reason, entry.updated_at = (
                    "disabled",
                    EXCHANGE_DELETED,
                    now,
                )
                summary.deleted += 1
        if listed:
            session.execute(
                update(Entry)
                .where(
                    Entry.bank_id == bank_id,
                    Entry.source_key == source_key,
                    Entry.status == "disabled",
                    Entry.status_reason == EXCHANGE_DELETED,
                )
                .values(status="enabled", status_reason="", updated_at=now)
            )
    for start in range(0, len(rows), 2000):
        upsert_rows(session, rows[start : start + 2000])
    summary.entries_written += len(rows)


def _unmapped_fingerprints(api_name: str, record: Any, collab: Any) -> list[tuple[str, str, Any]]:
    """Fingerprints threatexchange does not map to a signal type of its own.

    threatexchange has no image MD5/SHA-1 or PhotoDNA type, so NCMEC image entries
    would lose them; hotlines match on exactly these.
    """
    if api_name != "ncmec" or getattr(record, "entry_type", None) is None:
        return []
    if record.entry_type.value != "image" or record.deleted:
        return []
    if collab.only_esp_ids and record.member_id not in collab.only_esp_ids:
        return []
    from threatexchange.exchanges.impl.ncmec_api import NCMECSignalMetadata

    metadata = NCMECSignalMetadata(
        {record.member_id: {record.classification} if record.classification else set()}
    )
    names = {"md5": "md5", "sha1": "sha1", "pdna": "photodna"}
    return [
        (names[kind], value, metadata)
        for kind, value in record.fingerprints.items()
        if kind.lower() in names
    ]


def _withdraw_unlisted(session: Any, bank_id: int, since: Any) -> int:
    """After a full snapshot, disable what the exchange no longer lists."""
    result = session.execute(
        update(Entry)
        .where(
            Entry.bank_id == bank_id,
            Entry.variant == "",
            Entry.status == "enabled",
            Entry.updated_at < since,
        )
        .values(status="disabled", status_reason=EXCHANGE_DELETED, updated_at=utcnow())
    )
    return int(result.rowcount or 0)
