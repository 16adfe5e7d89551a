"""Project VIC VICS JSON (OData, data model 2.0; 1.x envelopes are read too).

Both shapes are read in one streaming pass with ``ijson``: a hash set (``#Media``:
Media records directly under ``value``) and a case export (``#Cases``: Media
nested in each Case). Only one Media record is ever held in memory.

Tolerated quirks of real exports: a UTF-8 byte-order mark; booleans written as
strings (``"true"``); ``Category`` as a string, empty or null; upper-case hashes;
hash names spelt differently (``SHA256``/``SHA-256``, ``PDQ``, ``PhotoDNA``/``PDNA``);
counts that disagree with the content (``TotalMediaFiles`` is ignored). PhotoDNA
values are stored and exported but never compared (the algorithm is licensed).

One entry is stored per hash; the Media record's MD5 is the entry's source key,
so an export regroups the hashes of each Media record. Booleans are written as
strings, as most readers in the field expect.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from itertools import groupby
from typing import Any, BinaryIO, TextIO

import ijson

from tutela.banks.formats import BankFormat, Records, WriteSummary
from tutela.banks.records import EntryRecord, RecordError

CONTEXT = "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/US/$metadata#Media"
BOOLEAN_FIELDS = frozenset(
    {
        "victimidentified",
        "offenderidentified",
        "isdistributed",
        "isprecategorized",
        "issuspected",
        "selfgenerated",
    }
)
INTEGER_FIELDS = frozenset({"category", "mediaid", "mediasize"})
HASH_FIELDS = {"md5": "md5", "sha1": "sha1", "sha256": "sha256", "photodna": "photodna"}
ALT_HASH_NAMES = {
    "sha256": "sha256",
    "sha-256": "sha256",
    "pdq": "pdq",
    "photodna": "photodna",
    "pdna": "photodna",
    "md5": "md5",
    "sha1": "sha1",
    "sha-1": "sha1",
}
EXPORT_ALT_NAMES = {"sha256": "SHA256", "pdq": "PDQ"}
UNKNOWN_ALT = "AlternativeHashes"
"""Metadata key keeping alternative hashes tutela does not know, for export."""
_MEDIA_PREFIXES = ("value.item", "item")
_NESTED_MEDIA = "value.item.Media"


class _Builder:
    """An ``ijson.ObjectBuilder`` that knows when its object is complete."""

    def __init__(self) -> None:
        self.builder = ijson.ObjectBuilder()
        self.depth = 0

    def feed(self, event: str, value: Any) -> bool:
        self.builder.event(event, value)
        if event in ("start_map", "start_array"):
            self.depth += 1
        elif event in ("end_map", "end_array"):
            self.depth -= 1
        return self.depth == 0

    @property
    def value(self) -> Any:
        return self.builder.value


def _skip_bom(stream: BinaryIO) -> Any:
    head = stream.read(3)
    if head != b"\xef\xbb\xbf":
        return _Prefixed(head, stream)
    return stream


class _Prefixed:
    """A stream with some already-read bytes put back in front."""

    def __init__(self, head: bytes, stream: BinaryIO) -> None:
        self.head, self.stream = head, stream

    def read(self, n: int = -1) -> bytes:
        if self.head:
            if n < 0:
                out, self.head = self.head + self.stream.read(), b""
                return out
            out, self.head = self.head[:n], self.head[n:]
            if len(out) < n:
                out += self.stream.read(n - len(out))
            return out
        return self.stream.read(n)


def read(
    stream: BinaryIO, default_signal_type: str | None = None
) -> Iterator[EntryRecord | RecordError]:
    media: _Builder | None = None
    outer: _Builder | None = None
    is_case = False
    count = 0
    try:
        for prefix, event, value in ijson.parse(_skip_bom(stream)):
            if media is not None:
                if media.feed(event, value):
                    count += 1
                    yield from media_records(media.value, count)
                    media = None
                continue
            if event == "start_map" and prefix == f"{_NESTED_MEDIA}.item" and outer is not None:
                media = _Builder()
                media.feed(event, value)
                continue
            if outer is not None:
                if event == "map_key" and prefix == "value.item" and value == "Media":
                    is_case = True
                    continue
                if prefix == _NESTED_MEDIA or prefix.startswith(_NESTED_MEDIA + "."):
                    continue  # a case's Media list: each record is handled above
                if outer.feed(event, value):
                    obj = outer.value
                    outer = None
                    if not (is_case or _looks_like_case(obj)):
                        count += 1
                        yield from media_records(obj, count)
                continue
            if event == "start_map" and prefix in _MEDIA_PREFIXES:
                outer = _Builder()
                outer.feed(event, value)
                is_case = False
    except ijson.JSONError as exc:
        yield RecordError(f"after Media record {count}", f"not valid JSON, reading stopped: {exc}")


def _looks_like_case(obj: Any) -> bool:
    """A Case object of a case export (its Media were read one by one)."""
    return isinstance(obj, dict) and any(k.lower() in ("caseid", "casenumber") for k in obj)


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _boolean(value: Any) -> Any:
    if isinstance(value, str):
        low = value.strip().lower()
        if low in ("true", "1", "yes"):
            return True
        if low in ("false", "0", "no"):
            return False
        if low == "":
            return None
    return value


def _integer(value: Any) -> Any:
    value = _plain(value)
    if isinstance(value, str):
        stripped = value.strip()
        if stripped == "" or stripped.lower() == "null":
            return None
        if stripped.lstrip("-").isdigit():
            return int(stripped)
    return value


def media_records(obj: Any, number: int) -> Iterator[EntryRecord | RecordError]:
    """The entries of one Media record: one per hash, sharing its metadata."""
    where = f"Media record {number}"
    if not isinstance(obj, dict):
        yield RecordError(where, "a Media record must be a JSON object")
        return
    hashes: list[tuple[str, str]] = []
    metadata: dict[str, Any] = {}
    unknown_alt: list[dict[str, Any]] = []
    for key, raw in obj.items():
        low = key.lower()
        if low in HASH_FIELDS:
            if isinstance(raw, str) and raw.strip():
                hashes.append((HASH_FIELDS[low], raw))
        elif low == "alternativehashes" and isinstance(raw, list):
            for alt in raw:
                if not isinstance(alt, dict):
                    continue
                fields = {k.lower(): v for k, v in alt.items()}
                name = str(fields.get("hashname") or "").strip()
                value = fields.get("hashvalue")
                known = ALT_HASH_NAMES.get(name.lower()) or _registered(name)
                if known and isinstance(value, str) and value.strip():
                    hashes.append((known, value))
                elif value not in (None, ""):
                    unknown_alt.append({"HashName": name, "HashValue": _plain(value)})
        elif low in BOOLEAN_FIELDS:
            metadata[key] = _boolean(raw)
        elif low in INTEGER_FIELDS:
            metadata[key] = _integer(raw)
        elif isinstance(raw, str | bool | int | float | Decimal) or raw is None:
            metadata[key] = _plain(raw)
        # nested lists (MediaFiles, Exifs, ...) describe seized files, not the hash list
    if unknown_alt:
        metadata[UNKNOWN_ALT] = unknown_alt
    if not hashes:
        yield RecordError(where, "no MD5, SHA1, SHA256, PDQ or PhotoDNA value")
        return
    md5 = next((v for t, v in hashes if t == "md5"), None)
    source_key = md5.strip().lower() if md5 else f"vics-media-{number}"
    seen: set[tuple[str, str]] = set()
    for signal_type, value in hashes:
        key = (signal_type, value.strip().lower())
        if key in seen:
            continue
        seen.add(key)
        yield EntryRecord(signal_type, value, dict(metadata), source_key)


def _registered(name: str) -> str | None:
    from tutela.banks.signal_types import InvalidSignal, resolve

    try:
        return resolve(name).name if name else None
    except InvalidSignal:
        return None


def _vics_value(key: str, value: Any) -> Any:
    if key.lower() in BOOLEAN_FIELDS and isinstance(value, bool):
        return "true" if value else "false"
    return value


def write(records: Records, out: TextIO) -> WriteSummary:
    summary = WriteSummary()
    out.write('{"@odata.context": ' + json.dumps(CONTEXT) + ', "value": [')
    first = True
    media_id = 0

    def groups() -> Iterator[list[EntryRecord]]:
        for key, group in groupby(records(), key=lambda r: r.source_key):
            if key:
                yield list(group)
            else:
                yield from ([r] for r in group)

    for group in groups():
        md5 = next((r for r in group if r.signal_type == "md5"), None)
        if md5 is None:
            summary.skipped += len(group)
            continue
        media_id += 1
        meta = dict(md5.metadata)
        unknown = meta.pop(UNKNOWN_ALT, [])
        media: dict[str, Any] = {"MD5": md5.value.upper()}
        for key, value in meta.items():
            media[key] = _vics_value(key, value)
        media.setdefault("MediaID", media_id)
        media.setdefault("IsPrecategorized", "false")
        alternatives = list(unknown) if isinstance(unknown, list) else []
        for record in group:
            if record.signal_type == "sha1":
                media["SHA1"] = record.value.upper()
            elif record.signal_type == "photodna":
                media["PhotoDNA"] = record.value
            elif record.signal_type in EXPORT_ALT_NAMES:
                alternatives.append(
                    {"HashName": EXPORT_ALT_NAMES[record.signal_type], "HashValue": record.value}
                )
            elif record.signal_type != "md5":
                alternatives.append({"HashName": record.signal_type, "HashValue": record.value})
        if alternatives:
            media["AlternativeHashes"] = alternatives
        out.write(("\n  " if first else ",\n  ") + json.dumps(media, ensure_ascii=False))
        first = False
        summary.written += len(group)
    out.write("\n]}\n")
    if summary.skipped:
        summary.notes.append(
            f"{summary.skipped} entries have no MD5 in their group and cannot be "
            "expressed as VICS Media records (MD5 is the record key); they were left out"
        )
    return summary


FORMAT = BankFormat(
    "vics",
    "Project VIC VICS JSON 2.0 (hash sets and case exports; PhotoDNA stored, not compared)",
    read,
    write,
)
