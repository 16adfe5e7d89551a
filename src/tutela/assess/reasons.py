"""An assessment and its reasons: every reason names the signal and the value behind it."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

DISCLAIMER = "Machine signals prioritise human review; they are never verdicts."


@dataclass(frozen=True)
class Reason:
    rule: str
    signal: str
    value: Any
    effect: str
    """How it moved the priority: ``+18.0``, ``×0.80``, ``auto-resolved``, ``none``."""
    text: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Assessment:
    priority: float
    band: str
    auto_resolved: bool
    reasons: list[Reason] = field(default_factory=list)
    resolution: dict[str, Any] | None = None
    """For an auto-resolved item: the bank, its category and the match."""

    def to_json(self) -> dict[str, Any]:
        return {
            "priority": self.priority,
            "band": self.band,
            "auto_resolved": self.auto_resolved,
            "resolution": self.resolution,
            "reasons": [r.to_json() for r in self.reasons],
        }
