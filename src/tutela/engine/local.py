"""The default engine: a local process pool, one worker per core.

Workers build their own :class:`Pipeline` (and, for resuming, their own read-only
database connection) once, then take tasks. The parent keeps a bounded number of
tasks in flight, so memory stays flat however large the input.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field

from tutela.engine.pipeline import Pipeline
from tutela.engine.records import FileResult
from tutela.engine.tasks import FileTask, Task, ZipSliceTask
from tutela.media.limits import DEFAULT_LIMITS, Limits
from tutela.signals.registry import select_analyzers


@dataclass(frozen=True)
class PipelineSpec:
    """Everything needed to rebuild the same pipeline in another process or machine."""

    limits: Limits = DEFAULT_LIMITS
    skip_signals: frozenset[str] = frozenset()
    only_signals: frozenset[str] | None = None
    pdq_max_side: int | None = 512
    db_url: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    def build(self) -> Pipeline:
        only = set(self.only_signals) if self.only_signals is not None else None
        analyzers = select_analyzers(set(self.skip_signals), only)
        known = None
        if self.db_url:
            from tutela.store.db import open_store
            from tutela.store.results import stored_signals

            store = open_store(self.db_url, migrate=False)

            def known(sha256: str) -> set[tuple[str, str]] | None:
                with store.session() as session:
                    return stored_signals(session, sha256)

        return Pipeline(
            limits=self.limits, analyzers=analyzers, pdq_max_side=self.pdq_max_side, known=known
        )


def run_task(pipeline: Pipeline, task: Task) -> list[FileResult]:
    if isinstance(task, ZipSliceTask):
        return pipeline.process_zip_members(task.path, task.display, set(task.names))
    return pipeline.process_file(task.path, task.display, container_only=task.container_only)


_WORKER: Pipeline | None = None


def _init_worker(spec: PipelineSpec) -> None:
    global _WORKER
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    _WORKER = spec.build()


def _work(task: Task) -> tuple[Task, list[FileResult]]:
    assert _WORKER is not None
    return task, run_task(_WORKER, task)


def default_workers() -> int:
    return max(1, os.cpu_count() or 1)


def run_local(
    tasks: Iterable[Task],
    spec: PipelineSpec,
    workers: int,
    on_done: Callable[[Task, list[FileResult]], None],
) -> None:
    """Run every task; ``on_done`` is called in this process as each finishes."""
    if workers <= 1:
        pipeline = spec.build()
        for task in tasks:
            on_done(task, run_task(pipeline, task))
        return
    ctx = multiprocessing.get_context("forkserver")
    window = workers * 4
    with ProcessPoolExecutor(
        workers, mp_context=ctx, initializer=_init_worker, initargs=(spec,)
    ) as pool:
        pending: set[Future[tuple[Task, list[FileResult]]]] = set()
        source: Iterator[Task] = iter(tasks)
        try:
            for task in source:
                pending.add(pool.submit(_work, task))
                if len(pending) >= window:
                    pending = _drain(pending, on_done, FIRST_COMPLETED)
            while pending:
                pending = _drain(pending, on_done, FIRST_COMPLETED)
        except BaseException:
            for future in pending:
                future.cancel()
            pool.shutdown(wait=False, cancel_futures=True)
            raise


def _drain(
    pending: set[Future[tuple[Task, list[FileResult]]]],
    on_done: Callable[[Task, list[FileResult]], None],
    how: str,
) -> set[Future[tuple[Task, list[FileResult]]]]:
    done, rest = wait(pending, return_when=how)
    for future in done:
        task, results = future.result()
        on_done(task, results)
    return rest


__all__ = ["FileTask", "PipelineSpec", "ZipSliceTask", "default_workers", "run_local", "run_task"]
