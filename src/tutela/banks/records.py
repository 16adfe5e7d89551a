"""What bank formats and exchanges read and write: plain records, no database."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class EntryRecord:
    """One signal with its metadata, as a file or an exchange gives it."""

    signal_type: str
    value: str
    metadata: dict[str, Any] = field(default_factory=dict)
    source_key: str = ""
    """Groups the signals of one piece of content (e.g. a VICS Media record's MD5)."""


@dataclass
class RecordError:
    """A row that could not be read; the import records it and goes on."""

    where: str
    message: str
