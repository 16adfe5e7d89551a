"""Pluggable signal analysers: each computes one named, versioned signal for an item.

Core hashing (crypto hashes, PDQ) is built in; every other signal family
(provenance, content, model forensics, video) registers an :class:`Analyzer` here by
adding its module to :data:`ANALYZER_MODULES`. Modules are imported only when a
scan needs them, so the CLI starts fast.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from tutela.engine.context import MediaContext

ANALYZER_MODULES: tuple[str, ...] = (
    "tutela.banks.analyzers",
    "tutela.video.analyzers",
    "tutela.provenance.analyzer",
    "tutela.models.analyzer",
    "tutela.signals.content.nudity",
    "tutela.signals.content.faces",
    "tutela.signals.content.nudenet_plugin",
)
"""Modules exposing ``ANALYZERS: list[Analyzer]``; order is execution order."""


class StreamTap(Protocol):
    """Sees every chunk of the content during the pipeline's one hashing pass."""

    def update(self, chunk: bytes) -> None: ...


@dataclass(frozen=True)
class Analyzer:
    """One signal: ``run`` returns JSON-able data, stored under ``name`` with ``version``.

    ``run`` may return None when the signal does not apply to this item (e.g. a video
    signal for a still GIF); nothing is stored then.
    ``stream``, when set, builds a :class:`StreamTap` (or None) from the content's first
    bytes and size; the pipeline feeds it during the hashing pass it makes anyway, so an analyser
    that needs a digest over most of a multi-gigabyte file (a model's tensor-data hash)
    reads nothing twice. ``run`` finds the tap with :meth:`MediaContext.tap`.
    """

    name: str
    version: str
    kinds: frozenset[str]
    run: Callable[[MediaContext], dict[str, Any] | None]
    description: str
    default_enabled: bool = True
    stream: Callable[[bytes, int], StreamTap | None] | None = None


def available_analyzers() -> list[Analyzer]:
    found: list[Analyzer] = []
    for module_name in ANALYZER_MODULES:
        module = importlib.import_module(module_name)
        found.extend(module.ANALYZERS)
    return found


def select_analyzers(skip: set[str] | None = None, only: set[str] | None = None) -> list[Analyzer]:
    """The analysers a run uses: defaults, minus ``skip``; or exactly ``only``."""
    chosen = []
    known = available_analyzers()
    names = {a.name for a in known}
    unknown = ((skip or set()) | (only or set())) - names
    if unknown:
        raise ValueError(
            f"unknown signal(s): {', '.join(sorted(unknown))}; "
            f"available: {', '.join(sorted(names)) or 'none'}"
        )
    for analyzer in known:
        if only is not None:
            if analyzer.name in only:
                chosen.append(analyzer)
        elif analyzer.default_enabled and analyzer.name not in (skip or set()):
            chosen.append(analyzer)
    return chosen
