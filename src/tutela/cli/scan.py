"""``tutela scan`` and ``tutela hash``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from tutela.cli.common import (
    CaseOption,
    DbOption,
    JsonOption,
    RichProgress,
    console,
    emit_json,
    errors_exit,
    fail,
    out,
)

SkipOption = Annotated[
    list[str] | None,
    typer.Option("--skip-signal", help="Do not compute this signal (repeatable)."),
]
SignalOption = Annotated[
    list[str] | None,
    typer.Option("--signal", help="Also compute this optional signal, e.g. nudenet (repeatable)."),
]
WorkersOption = Annotated[
    int | None, typer.Option("--workers", min=1, help="Worker processes (default: all cores).")
]
ExactOption = Annotated[
    bool,
    typer.Option(
        "--pdq-full-resolution",
        help="Hash PDQ at full resolution like the threatexchange reference (slower).",
    ),
]


def register(app: typer.Typer) -> None:
    app.command("scan")(scan_command)
    app.command("hash")(hash_command)


def _check_paths(paths: list[Path]) -> list[str]:
    missing = [str(p) for p in paths if not os.path.lexists(p)]
    if missing:
        raise fail(f"no such file or folder: {', '.join(missing)}")
    return [str(p) for p in paths]


def scan_command(
    paths: Annotated[list[Path], typer.Argument(help="Files, folders or archives to scan.")],
    db: DbOption = None,
    case: CaseOption = None,
    workers: WorkersOption = None,
    skip_signal: SkipOption = None,
    signal: SignalOption = None,
    pdq_full_resolution: ExactOption = False,
    json_output: JsonOption = False,
    progress: Annotated[bool, typer.Option(help="Show a progress bar.")] = True,
) -> None:
    """Scan folders and archives into a case: hashes, PDQ and signals for every file.

    Re-running the same command resumes: finished files are skipped, unchanged
    content is never decoded twice. Bad files get a recorded error; the scan goes on.
    """
    from tutela.engine.local import PipelineSpec
    from tutela.engine.scan import scan
    from tutela.store import open_store

    targets = _check_paths(paths)
    case_name = case or Path(targets[0]).resolve().name or "default"
    with errors_exit():
        store = open_store(db)
        try:
            from tutela.signals.selection import signal_selection

            skipped, only = signal_selection(skip_signal or (), signal or ())
        except ValueError as exc:
            raise fail(str(exc)) from exc
        if "nudenet" in (signal or ()):
            from tutela.signals.content.nudenet_plugin import require

            console.print(f"[yellow]note:[/] {require()}")
        spec = PipelineSpec(
            skip_signals=skipped,
            only_signals=only,
            pdq_max_side=None if pdq_full_resolution else 512,
        )
        try:
            with RichProgress(f"scanning {case_name}", enabled=progress) as bar:
                summary = scan(store, targets, case_name, spec, workers, bar)
        except KeyboardInterrupt:
            console.print(
                "[yellow]interrupted[/]: committed results are kept; "
                "run the same command again to resume."
            )
            raise typer.Exit(130) from None
    if json_output:
        emit_json(summary.to_json())
        return
    _print_summary(summary)


def _print_summary(summary: object) -> None:
    from tutela.engine.scan import ScanSummary

    assert isinstance(summary, ScanSummary)
    table = Table(title=f"case {summary.case}", show_header=False, box=None)
    table.add_row("files processed this run", f"{summary.processed:,}")
    table.add_row("locations already in case", f"{summary.skipped:,}")
    table.add_row("new items", f"{summary.new_items:,}")
    table.add_row("items in case", f"{summary.items:,}")
    table.add_row("locations in case", f"{summary.locations:,}")
    table.add_row("duplicates", f"{summary.duplicates:,}")
    for kind, count in summary.errors.items():
        table.add_row(f"[red]error[/] {kind}", f"{count:,}")
    for kind, count in summary.warnings.items():
        table.add_row(f"[yellow]warning[/] {kind}", f"{count:,}")
    for stage, data in summary.stages.items():
        for key, value in data.items():
            table.add_row(
                f"{stage}: {key.replace('_', ' ')}",
                f"{value:,}" if isinstance(value, int) else str(value),
            )
    table.add_row("time", f"{summary.seconds:.1f} s")
    out.print(table)


def hash_command(
    files: Annotated[list[Path], typer.Argument(help="Files (or folders) to hash.")],
    json_output: JsonOption = False,
    pdq_full_resolution: ExactOption = False,
) -> None:
    """Hash files (MD5, SHA-1, SHA-256, PDQ + quality) without touching any database."""
    from tutela.engine.local import PipelineSpec, run_task
    from tutela.engine.tasks import plan

    targets = _check_paths(files)
    pipeline = PipelineSpec(
        pdq_max_side=None if pdq_full_resolution else 512, only_signals=frozenset()
    ).build()
    rows = []
    for task in plan(targets, {}):
        for result in run_task(pipeline, task):
            if json_output:
                emit_json(result.to_json())
            else:
                rows.append(result.to_json())
    if json_output:
        return
    table = Table("path", "sha256", "pdq", "quality", "note")
    for row in rows:
        error = row.get("error")
        table.add_row(
            row["path"],
            (row.get("sha256") or "")[:16] + "…",
            (row.get("pdq") or "")[:16] + ("…" if row.get("pdq") else ""),
            str(row.get("pdq_quality") if row.get("pdq_quality") is not None else ""),
            f"[red]{error['kind']}[/]: {error['message']}" if error else "",
        )
    out.print(table)
