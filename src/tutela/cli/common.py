"""Shared CLI pieces: options, console, JSON output, progress bars, error exits."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from tutela.errors import TutelaError

console = Console(stderr=True)
out = Console(highlight=False)

DbOption = Annotated[
    str | None,
    typer.Option("--db", help="Database URL or SQLite file (default: $TUTELA_DB or ./tutela.db)."),
]
CaseOption = Annotated[str | None, typer.Option("--case", help="Case name.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON (one object per line).")]


def emit_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, sort_keys=False) + "\n")


def fail(message: str, code: int = 2) -> typer.Exit:
    console.print(f"[bold red]error:[/] {message}")
    return typer.Exit(code)


@contextmanager
def errors_exit() -> Iterator[None]:
    """Turn tutela's own errors into a one-line message and exit code 2."""
    try:
        yield
    except TutelaError as exc:
        raise fail(str(exc)) from exc


class RateColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.1f} files/s" if speed else "… files/s", style="cyan")


class RichProgress:
    """Adapts the engine's progress protocol to a Rich bar on stderr."""

    def __init__(self, label: str, enabled: bool = True) -> None:
        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            RateColumn(),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=console,
            disable=not enabled,
            transient=False,
        )
        self.label = label
        self.task_id: Any = None

    def __enter__(self) -> RichProgress:
        self.progress.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.__exit__(None, None, None)

    def start(self, total: int) -> None:
        self.task_id = self.progress.add_task(self.label, total=total)

    def advance(self, units: int) -> None:
        self.progress.advance(self.task_id, units)
