"""``tutela triage``: the review queue of a case, as an analyst would see it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from tutela.cli.common import CaseOption, DbOption, JsonOption, emit_json, errors_exit, fail, out


def register(app: typer.Typer) -> None:
    app.command("triage")(triage_command)


def triage_command(
    db: DbOption = None,
    case: CaseOption = None,
    json_output: JsonOption = False,
    rules: Annotated[
        Path | None,
        typer.Option("--rules", help="Rules file overriding the shipped rules.toml (TOML)."),
    ] = None,
    top: Annotated[int, typer.Option("--top", min=0, help="Queue entries to show.")] = 20,
    show_resolved: Annotated[
        bool, typer.Option("--show-resolved", help="Also list items auto-resolved by banks.")
    ] = False,
) -> None:
    """Print the review queue: items, auto-resolved, clusters to judge, top priorities and why.

    Updates the case's clusters and assessments first. Machine signals prioritise
    human review; they are never verdicts, and nothing is deleted or hidden for good.
    """
    from tutela.assess.review_queue import triage
    from tutela.store import open_store
    from tutela.store.queries import case_counts

    with errors_exit():
        store = open_store(db)
        if case is None:
            with store.session() as session:
                names = [c.name for c in case_counts(session)]
            if len(names) != 1:
                raise fail(
                    "choose a case with --case NAME; known cases: " + (", ".join(names) or "none")
                )
            case = names[0]
        result = triage(store, case, rules, limit=top, include_resolved=show_resolved)
    if json_output:
        emit_json(result.to_json())
        return
    out.print(f"[bold]case {result.case}[/] — {result.note}")
    summary = Table(show_header=False, box=None)
    summary.add_row("items (unique content)", f"{result.items:,}")
    summary.add_row("files (locations)", f"{result.locations:,}")
    summary.add_row("auto-resolved by bank match", f"{result.auto_resolved:,}")
    summary.add_row(
        "clusters to judge",
        f"{result.clusters_to_judge:,} (holding {result.items_in_clusters_to_judge:,} items)",
    )
    summary.add_row("single items to judge", f"{result.single_items_to_judge:,}")
    summary.add_row(
        "[bold]decisions for an analyst[/]",
        f"[bold]{result.decisions:,}[/] ({result.reduction:g} items per decision)",
    )
    summary.add_row(
        "priority bands", ", ".join(f"{band} {n:,}" for band, n in result.bands.items())
    )
    out.print(summary)
    if result.entries:
        table = Table(
            "#", "priority", "unit", "items", "reasons", "where", title="top of the queue"
        )
        for e in result.entries:
            colour = {"high": "red", "medium": "yellow"}.get(e.band, "")
            reasons = "\n".join(f"{r['effect']:>7}  {r['text']}" for r in e.reasons[:4])
            unit = f"cluster of {e.size}" if e.unit == "cluster" else "item"
            table.add_row(
                str(e.rank),
                f"[{colour}]{e.priority:g} {e.band}[/]" if colour else f"{e.priority:g} {e.band}",
                unit,
                f"{e.open_items} open, {e.copies} file(s)",
                reasons or "no signal raised it",
                "\n".join(e.paths[:2]),
            )
        out.print(table)
    if result.resolved is not None:
        table = Table(
            "sha256", "bank", "category", "where", title="auto-resolved (kept, not deleted)"
        )
        for r in result.resolved:
            table.add_row(
                r.sha256[:16] + "…",
                str(r.resolution.get("bank", "")),
                str(r.resolution.get("category") or ""),
                "\n".join(r.paths[:2]),
            )
        out.print(table)
