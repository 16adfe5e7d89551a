"""``tutela items`` and ``tutela cases``."""

from __future__ import annotations

import itertools
from typing import Annotated

import typer
from rich.table import Table

from tutela.cli.common import CaseOption, DbOption, JsonOption, emit_json, errors_exit, fail, out


def register(app: typer.Typer) -> None:
    app.command("items")(items_command)
    app.command("cases")(cases_command)


def items_command(
    db: DbOption = None,
    case: CaseOption = None,
    json_output: JsonOption = False,
    synthetic_status: Annotated[
        list[str] | None,
        typer.Option(
            "--synthetic-status",
            help="Only items with this synthetic status (repeatable): declared-ai, likely-ai, "
            "camera-evidence, no-evidence.",
        ),
    ] = None,
    sort: Annotated[
        str,
        typer.Option(
            help="Order: sha256, synthetic-status (strongest AI evidence first), confidence."
        ),
    ] = "sha256",
) -> None:
    """List stored items (all, or one case's) with hashes and every path they were seen at."""
    from tutela.provenance.queries import iter_items_with_status, sync_status
    from tutela.store import open_store
    from tutela.store.queries import item_json

    with errors_exit():
        store = open_store(db)
        with store.transaction() as session:
            sync_status(session)
        with store.session() as session:
            try:
                rows = iter_items_with_status(session, case, synthetic_status, sort)
                first = next(rows, None)
            except ValueError as exc:
                raise fail(str(exc)) from exc
            every = [] if first is None else itertools.chain([first], rows)
            if json_output:
                for item, paths, status in every:
                    row = item_json(item, paths)
                    row["synthetic_status"] = (
                        {"status": status[0], "confidence": status[1]} if status else None
                    )
                    emit_json(row)
                return
            table = Table(
                "sha256", "kind", "format", "size", "pdq q", "synthetic", "paths", "error"
            )
            for item, paths, status in every:
                table.add_row(
                    item.sha256[:16] + "…",
                    item.kind,
                    item.format,
                    f"{item.size:,}",
                    str(item.pdq_quality if item.pdq_quality is not None else ""),
                    f"{status[0]} {status[1]:.2f}" if status else "",
                    "\n".join(paths),
                    item.error_kind or "",
                )
            out.print(table)


def cases_command(db: DbOption = None, json_output: JsonOption = False) -> None:
    """List cases with their counts of locations, items and errors."""
    from tutela.store import open_store
    from tutela.store.queries import case_counts

    with errors_exit():
        store = open_store(db)
        with store.session() as session:
            counts = case_counts(session)
    if json_output:
        for c in counts:
            emit_json(c.__dict__)
        return
    table = Table("case", "created", "locations", "items", "with errors")
    for c in counts:
        table.add_row(
            c.name, c.created_at[:19], f"{c.locations:,}", f"{c.items:,}", f"{c.errors:,}"
        )
    out.print(table)
