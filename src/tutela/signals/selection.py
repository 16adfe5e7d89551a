"""Which analysers a run uses: the defaults, minus ``--skip-signal``, plus ``--signal``.

Optional analysers (``default_enabled=False``, e.g. plugins with other licences)
run only when asked for by name.
"""

from __future__ import annotations

from collections.abc import Iterable

from tutela.signals.registry import select_analyzers


def signal_selection(
    skip: Iterable[str] = (), extra: Iterable[str] = ()
) -> tuple[frozenset[str], frozenset[str] | None]:
    """``(skip_signals, only_signals)`` for a :class:`~tutela.engine.local.PipelineSpec`.

    Raises ``ValueError`` naming any unknown signal.
    """
    skipped, wanted = set(skip), set(extra)
    defaults = {a.name for a in select_analyzers(skipped)}
    if not wanted:
        return frozenset(skipped), None
    select_analyzers(only=wanted)  # validates the names
    return frozenset(skipped), frozenset((defaults | wanted) - skipped)
