"""``tutela signals``: content (and other) signals for files, without a database."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from tutela.cli.common import (
    JsonOption,
    RichProgress,
    console,
    emit_json,
    errors_exit,
    fail,
    out,
)

SignalOption = Annotated[
    list[str] | None,
    typer.Option("--signal", help="Also compute this optional signal, e.g. nudenet (repeatable)."),
]
SkipOption = Annotated[
    list[str] | None,
    typer.Option("--skip-signal", help="Do not compute this signal (repeatable)."),
]


def register(app: typer.Typer) -> None:
    app.command("signals")(signals_command)


def signals_command(
    files: Annotated[list[Path], typer.Argument(help="Files or folders.")],
    json_output: JsonOption = False,
    signal: SignalOption = None,
    skip_signal: SkipOption = None,
    workers: Annotated[
        int | None, typer.Option("--workers", min=1, help="Worker processes (default: all cores).")
    ] = None,
) -> None:
    """Compute signals (nudity, faces and apparent age, ...) for files and print them.

    Machine signals prioritise human review; they are never verdicts. The age
    model is unvalidated on minors and on drawings; no usable face means "unknown".
    """
    from tutela.engine.records import FileResult
    from tutela.signals.content.describe import describe
    from tutela.signals.files import compute_signals, signals_json

    missing = [str(p) for p in files if not p.exists()]
    if missing:
        raise fail(f"no such file or folder: {', '.join(missing)}")
    if "nudenet" in (signal or ()):
        from tutela.signals.content.nudenet_plugin import require

        with errors_exit():
            console.print(f"[yellow]note:[/] {require()}")
    rows: list[dict[str, object]] = []

    def show(result: FileResult) -> None:
        line = signals_json(result)
        if json_output:
            emit_json(line)
        else:
            rows.append(line)

    with errors_exit(), RichProgress("computing signals") as bar:
        try:
            compute_signals(
                [str(p) for p in files], show, skip_signal or (), signal or (), workers, bar
            )
        except ValueError as exc:
            raise fail(str(exc)) from exc
    if json_output:
        return
    table = Table(
        "path",
        "signals",
        caption="Machine signals prioritise human review; they are never verdicts.",
    )
    for row in sorted(rows, key=lambda r: str(r["path"])):
        error = row.get("error")
        if isinstance(error, dict):
            table.add_row(str(row["path"]), f"[red]{error['kind']}[/]: {error['message']}")
            continue
        parts = []
        for s in row.get("signals") or []:  # type: ignore[attr-defined]
            parts.append(describe(s["name"], s["value"]) or f"{s['name']} {json.dumps(s['value'])}")
        table.add_row(str(row["path"]), "\n".join(parts) or "no signals (not an image)")
    out.print(table)
