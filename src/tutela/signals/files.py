"""Signals for loose files, without a database (``tutela signals FILE...``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from tutela.engine.local import PipelineSpec, default_workers, run_local
from tutela.engine.records import FileResult
from tutela.engine.scan import Progress
from tutela.engine.tasks import Task, plan
from tutela.signals.selection import signal_selection


def compute_signals(
    paths: list[str],
    on_result: Callable[[FileResult], None],
    skip: Iterable[str] = (),
    extra: Iterable[str] = (),
    workers: int | None = None,
    progress: Progress | None = None,
) -> None:
    """Hash and analyse every file under ``paths``; ``on_result`` gets each location."""
    skipped, only = signal_selection(skip, extra)
    spec = PipelineSpec(skip_signals=skipped, only_signals=only)
    tasks = list(plan(paths, {}))
    if progress:
        progress.start(sum(t.units for t in tasks))

    def done(task: Task, results: list[FileResult]) -> None:
        for result in results:
            on_result(result)
        if progress:
            progress.advance(task.units)

    run_local(tasks, spec, workers or default_workers(), done)


def signals_json(result: FileResult) -> dict[str, Any]:
    """One ``tutela signals --json`` line: where, what, ``signals: [{name, version, value}]``."""
    item = result.item
    out: dict[str, Any] = {"path": result.path, "sha256": result.sha256}
    if item is not None:
        out.update(
            kind=item.kind,
            format=item.format,
            width=item.width,
            height=item.height,
            pdq=item.pdq,
            pdq_quality=item.pdq_quality,
        )
        out["signals"] = [
            {"name": s.name, "version": s.version, "value": s.data} for s in item.signals
        ]
    base = result.to_json()
    for key in ("error", "warnings"):
        if key in base:
            out[key] = base[key]
    return out
