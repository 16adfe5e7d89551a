"""The HMA / threatexchange local-file format: ``<signal_type> <value>`` per line.

threatexchange's ``LocalFileSignalExchangeAPI`` reads this format with
``readlines()`` (the whole file in memory), so it is parsed here line by line.
A line holding only a value takes the ``--signal-type`` given on import, as the
threatexchange file exchange does. Metadata is not part of the format.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import BinaryIO, TextIO

from tutela.banks.formats import BankFormat, Records, WriteSummary
from tutela.banks.records import EntryRecord, RecordError


def read(
    stream: BinaryIO, default_signal_type: str | None = None
) -> Iterator[EntryRecord | RecordError]:
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="replace")
    for number, raw in enumerate(text, start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        signal_type, _, value = line.partition(" ")
        if not value.strip():
            if default_signal_type is None:
                yield RecordError(
                    f"line {number}",
                    "expected '<signal_type> <value>' (or pass --signal-type for bare values)",
                )
                continue
            signal_type, value = default_signal_type, line
        yield EntryRecord(signal_type, value.strip())


def write(records: Records, out: TextIO) -> WriteSummary:
    summary = WriteSummary()
    for record in records():
        out.write(f"{record.signal_type} {record.value}\n")
        summary.written += 1
    return summary


FORMAT = BankFormat(
    "hma", "HMA/threatexchange local file: '<signal_type> <value>' per line", read, write
)
