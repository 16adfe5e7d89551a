"""``tutela items`` and ``tutela cases``."""

from __future__ import annotations

import typer
from rich.table import Table

from tutela.cli.common import CaseOption, DbOption, JsonOption, emit_json, errors_exit, out


def register(app: typer.Typer) -> None:
    app.command("items")(items_command)
    app.command("cases")(cases_command)


def items_command(
    db: DbOption = None, case: CaseOption = None, json_output: JsonOption = False
) -> None:
    """List stored items (all, or one case's) with hashes and every path they were seen at."""
    from tutela.store import open_store
    from tutela.store.queries import item_json, iter_items

    with errors_exit():
        store = open_store(db)
        with store.session() as session:
            if json_output:
                for item, paths in iter_items(session, case):
                    emit_json(item_json(item, paths))
                return
            table = Table("sha256", "kind", "format", "size", "pdq q", "paths", "error")
            for item, paths in iter_items(session, case):
                table.add_row(
                    item.sha256[:16] + "…",
                    item.kind,
                    item.format,
                    f"{item.size:,}",
                    str(item.pdq_quality if item.pdq_quality is not None else ""),
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
