"""What the pipeline produces for one location: plain, picklable records.

Workers send these back to the process that owns the database, so they hold
only data (no sessions, no open files).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class ErrorRecord:
    kind: str
    message: str
    fatal: bool = True


@dataclass
class SignalRecord:
    name: str
    version: str
    data: dict[str, Any]


@dataclass
class ItemRecord:
    sha256: str
    sha1: str
    md5: str
    size: int
    kind: str
    format: str
    width: int | None = None
    height: int | None = None
    pdq: str | None = None
    pdq_quality: int | None = None
    error_kind: str | None = None
    error_message: str | None = None
    new: bool = True
    """False when the item was already stored and only missing signals were computed."""
    signals: list[SignalRecord] = field(default_factory=list)


@dataclass
class FileResult:
    """One location: where, its fingerprint, which item it holds, and what went wrong."""

    path: str
    fingerprint: str
    sha256: str | None
    item: ItemRecord | None
    errors: list[ErrorRecord] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The ``tutela hash --json`` shape: path, hashes, pdq, pdq_quality, or error."""
        out: dict[str, Any] = {"path": self.path}
        item = self.item
        if item is not None:
            out.update(
                sha256=item.sha256,
                sha1=item.sha1,
                md5=item.md5,
                size=item.size,
                kind=item.kind,
                format=item.format,
                width=item.width,
                height=item.height,
                pdq=item.pdq,
                pdq_quality=item.pdq_quality,
            )
            for signal in item.signals:
                out[signal.name] = signal.data
        fatal = [e for e in self.errors if e.fatal]
        if item is not None and item.error_kind:
            fatal.insert(0, ErrorRecord(item.error_kind, item.error_message or ""))
        if fatal:
            out["error"] = {"kind": fatal[0].kind, "message": fatal[0].message}
        warnings = [asdict(e) for e in self.errors if not e.fatal]
        if warnings:
            out["warnings"] = [{"kind": w["kind"], "message": w["message"]} for w in warnings]
        return out
