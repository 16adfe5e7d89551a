"""What the rules see of one item: plain data gathered from every signal, each optional.

Any input may be missing (a signal switched off, a stage not run, a plugin not
installed); every rule then stays silent rather than guessing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class BankHit:
    """One match of the item against a bank entry (from the banks stage)."""

    bank: str
    kind: str  # "positive" or "negative"
    signal_type: str
    distance: int
    category: str | None = None
    suppressed: bool = False
    """A negative-bank entry also matched: the positive match is a known false positive."""
    quarantined: bool = False
    """The entry was quarantined (e.g. by a flood guard): it must not resolve anything."""


@dataclass(frozen=True)
class PromptFinding:
    """The prompt screener's view of a prompt embedded in the item's metadata."""

    action: str  # "block", "review" or "allow"
    summary: str
    categories: tuple[str, ...] = ()


@dataclass
class ItemSignals:
    sha256: str
    kind: str = "image"
    error_kind: str | None = None
    nudity: float | None = None
    nudity_model: str = "opennsfw"
    faces: dict[str, Any] | None = None
    nudenet: dict[str, Any] | None = None
    provenance: dict[str, Any] | None = None
    bank_hits: list[BankHit] = field(default_factory=list)
    prompt_findings: list[PromptFinding] = field(default_factory=list)
