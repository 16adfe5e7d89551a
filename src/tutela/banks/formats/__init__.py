"""Hash-list file formats: each reads a byte stream record by record and writes one.

Readers never hold a whole file in memory (national lists run to millions of
rows); a bad row becomes a :class:`~tutela.banks.records.RecordError` and reading
goes on. Writers take a factory of records so that a format needing two passes
(CSV learns its metadata columns first) can stream twice from the database.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO, TextIO

from tutela.banks.records import EntryRecord, RecordError

Records = Callable[[], Iterable[EntryRecord]]


@dataclass
class WriteSummary:
    written: int = 0
    skipped: int = 0
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class BankFormat:
    name: str
    description: str
    read: Callable[[BinaryIO, str | None], Iterator[EntryRecord | RecordError]]
    """``read(stream, default_signal_type)``."""
    write: Callable[[Records, TextIO], WriteSummary]


FORMAT_MODULES: tuple[str, ...] = (
    "tutela.banks.formats.csv",
    "tutela.banks.formats.hma",
    "tutela.banks.formats.vics",
)


def formats() -> dict[str, BankFormat]:
    out: dict[str, BankFormat] = {}
    for name in FORMAT_MODULES:
        fmt: BankFormat = importlib.import_module(name).FORMAT
        out[fmt.name] = fmt
    return out


def get_format(name: str) -> BankFormat:
    known = formats()
    if name not in known:
        from tutela.banks.service import BankError

        raise BankError(f"unknown format {name!r}; formats: {', '.join(sorted(known))}")
    return known[name]
