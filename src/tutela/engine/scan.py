"""``tutela scan`` as a library call: plan, run, persist in batches, summarise.

Results are committed in small batches as they arrive; a run killed at any point
loses at most the uncommitted batch, and the next run skips every location whose
fingerprint is already stored.
"""

from __future__ import annotations

import importlib
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import func, select

from tutela.engine.local import PipelineSpec, default_workers, run_local
from tutela.engine.records import FileResult
from tutela.engine.tasks import Task, plan
from tutela.store.db import Store
from tutela.store.models import Item, Location, ScanError
from tutela.store.results import done_locations, get_or_create_case, write_results

BATCH_RESULTS = 256
BATCH_SECONDS = 2.0


STAGE_MODULES: tuple[str, ...] = (
    "tutela.provenance.stage",
    "tutela.banks.stage",
    "tutela.video.stage",
    "tutela.models.stage",
    "tutela.cluster.stage",
    "tutela.assess.stage",
)
"""Case-level stages run after files are stored (matching, clustering, assessment).

Each module exposes ``STAGES: list[Stage]``; a stage reads what earlier stages stored,
writes its own results idempotently, and returns a small JSON-able summary.
"""


class Progress(Protocol):
    def start(self, total: int) -> None: ...
    def advance(self, units: int) -> None: ...


@dataclass(frozen=True)
class Stage:
    name: str
    run: Callable[[Store, int], dict[str, Any]]
    """``run(store, case_id)`` → summary; must be safe to re-run after an interruption."""


def stages() -> list[Stage]:
    found: list[Stage] = []
    for module_name in STAGE_MODULES:
        found.extend(importlib.import_module(module_name).STAGES)
    return found


@dataclass
class ScanSummary:
    """What a scan did (this run) and what the case now holds (all runs)."""

    case: str
    seconds: float
    processed: int
    skipped: int
    new_items: int
    items: int
    locations: int
    duplicates: int
    errors: dict[str, int] = field(default_factory=dict)
    warnings: dict[str, int] = field(default_factory=dict)
    stages: dict[str, dict[str, Any]] = field(default_factory=dict)

    def to_json(self) -> dict[str, object]:
        return dict(self.__dict__)


class _Batcher:
    def __init__(self, store: Store, case_id: int, progress: Progress | None) -> None:
        self.store, self.case_id, self.progress = store, case_id, progress
        self.buffer: list[FileResult] = []
        self.last_flush = time.monotonic()
        self.processed = 0
        self.new_items: set[str] = set()

    def add(self, task: Task, results: list[FileResult]) -> None:
        self.buffer.extend(results)
        self.processed += len(results)
        for r in results:
            if r.item is not None and r.item.new:
                self.new_items.add(r.item.sha256)
        if self.progress:
            self.progress.advance(task.units)
        if len(self.buffer) >= BATCH_RESULTS or time.monotonic() - self.last_flush > BATCH_SECONDS:
            self.flush()

    def flush(self) -> None:
        if self.buffer:
            with self.store.transaction() as session:
                write_results(session, self.case_id, self.buffer)
            self.buffer = []
        self.last_flush = time.monotonic()


def scan(
    store: Store,
    paths: list[str],
    case: str,
    spec: PipelineSpec | None = None,
    workers: int | None = None,
    progress: Progress | None = None,
) -> ScanSummary:
    """Scan ``paths`` into ``case``; resumable and idempotent."""
    started = time.monotonic()
    spec = spec or PipelineSpec()
    if spec.db_url is None:
        spec = PipelineSpec(
            spec.limits,
            spec.skip_signals,
            spec.only_signals,
            spec.pdq_max_side,
            store.url,
            spec.extra,
        )
    with store.transaction() as session:
        case_id = get_or_create_case(session, case).id
        done = done_locations(session, case_id)
    tasks = list(plan(paths, done))
    if progress:
        progress.start(sum(t.units for t in tasks))
    batcher = _Batcher(store, case_id, progress)
    try:
        run_local(tasks, spec, workers or default_workers(), batcher.add)
    finally:
        batcher.flush()
    stage_summaries = {stage.name: stage.run(store, case_id) for stage in stages()}
    summary = summarize(
        store,
        case_id,
        case,
        time.monotonic() - started,
        processed=batcher.processed,
        skipped=len(done),
        new_items=len(batcher.new_items),
    )
    summary.stages = stage_summaries
    return summary


def summarize(
    store: Store,
    case_id: int,
    case: str,
    seconds: float,
    processed: int = 0,
    skipped: int = 0,
    new_items: int = 0,
) -> ScanSummary:
    with store.session() as session:
        locations = (
            session.scalar(
                select(func.count()).select_from(Location).where(Location.case_id == case_id)
            )
            or 0
        )
        in_case = select(Location.item_sha256).where(
            Location.case_id == case_id, Location.item_sha256.is_not(None)
        )
        with_item = session.scalar(select(func.count()).select_from(in_case.subquery())) or 0
        items = (
            session.scalar(
                select(func.count(func.distinct(Location.item_sha256))).where(
                    Location.case_id == case_id
                )
            )
            or 0
        )
        errors: Counter[str] = Counter()
        warnings: Counter[str] = Counter()
        for kind, fatal, count in session.execute(
            select(ScanError.kind, ScanError.fatal, func.count())
            .where(ScanError.case_id == case_id)
            .group_by(ScanError.kind, ScanError.fatal)
        ):
            (errors if fatal else warnings)[kind] += count
        for item_error, count in session.execute(
            select(Item.error_kind, func.count())
            .join(Location, Location.item_sha256 == Item.sha256)
            .where(Location.case_id == case_id, Item.error_kind.is_not(None))
            .group_by(Item.error_kind)
        ):
            errors[str(item_error)] += count
    return ScanSummary(
        case=case,
        seconds=round(seconds, 3),
        processed=processed,
        skipped=skipped,
        new_items=new_items,
        items=items,
        locations=locations,
        duplicates=with_item - items,
        errors=dict(sorted(errors.items())),
        warnings=dict(sorted(warnings.items())),
    )
