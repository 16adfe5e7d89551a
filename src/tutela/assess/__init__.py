"""Assessment: signals → a review priority with reasons (never a verdict).

Rules are data (``rules.toml``, overridable by the operator) read by small rule
functions (:mod:`.rules`); :mod:`.engine` combines them; :mod:`.stage` stores the
results; :mod:`.review_queue` reads them back as the analyst's queue. See docs/triage.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tutela.assess.review_queue import TriageQueue, queue, triage

__all__ = ["TriageQueue", "queue", "triage"]


def __getattr__(name: str) -> Any:
    # Lazy, so importing tutela.assess (e.g. for its models) stays light.
    if name in __all__:
        from tutela.assess import review_queue as module

        return getattr(module, name)
    raise AttributeError(name)
