"""CSV hash lists: ``signal_type,value[,metadata columns]``.

A header row is optional (it is recognised by its first cell ``signal_type``);
its other column names become metadata keys, ``source_key`` excepted. Without a
header, extra columns are kept as ``column_3``, ``column_4``, ... Empty cells are
not stored, so an export that writes them back empty round-trips exactly.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any, BinaryIO, TextIO

from tutela.banks.formats import BankFormat, Records, WriteSummary
from tutela.banks.records import EntryRecord, RecordError

SOURCE_KEY = "source_key"


def read(
    stream: BinaryIO, default_signal_type: str | None = None
) -> Iterator[EntryRecord | RecordError]:
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="replace", newline="")
    reader = csv.reader(text)
    header: list[str] | None = None
    first = True
    for row in reader:
        line = reader.line_num
        if not row or all(not cell.strip() for cell in row) or row[0].startswith("#"):
            continue
        if first:
            first = False
            if row[0].strip().lower() == "signal_type":
                header = [cell.strip() for cell in row]
                if len(header) < 2 or header[1].lower() != "value":
                    yield RecordError(
                        f"line {line}", "the header must start with signal_type,value"
                    )
                    return
                continue
        if len(row) < 2 and default_signal_type is None:
            yield RecordError(f"line {line}", f"expected signal_type,value; got {len(row)} column")
            continue
        if len(row) < 2:
            signal_type, value, rest = default_signal_type or "", row[0], []
        else:
            signal_type, value, rest = row[0], row[1], row[2:]
        names = header[2:] if header else [f"column_{i + 3}" for i in range(len(rest))]
        if len(rest) > len(names):
            yield RecordError(
                f"line {line}", f"{len(row)} columns but the header names {len(header or [])}"
            )
            continue
        metadata: dict[str, Any] = {}
        source_key = ""
        for name, cell in zip(names, rest, strict=False):
            if name == SOURCE_KEY:
                source_key = cell.strip()
            elif cell != "":
                metadata[name] = cell
        yield EntryRecord(signal_type.strip(), value, metadata, source_key)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def write(records: Records, out: TextIO) -> WriteSummary:
    keys: dict[str, None] = {}
    any_source = False
    for record in records():
        any_source = any_source or bool(record.source_key)
        for key in record.metadata:
            keys.setdefault(key, None)
    columns = sorted(k for k in keys if k != SOURCE_KEY)
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["signal_type", "value", *([SOURCE_KEY] if any_source else []), *columns])
    summary = WriteSummary()
    for record in records():
        writer.writerow(
            [
                record.signal_type,
                record.value,
                *([record.source_key] if any_source else []),
                *(_cell(record.metadata.get(k)) for k in columns),
            ]
        )
        summary.written += 1
    return summary


FORMAT = BankFormat(
    "csv", "CSV: signal_type,value[,metadata columns] with an optional header", read, write
)
