"""``tutela video``: where videos matched, and per-bank vPDQ rules."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from tutela.cli.common import CaseOption, DbOption, JsonOption, console, emit_json, errors_exit, out

video_app = typer.Typer(
    help="Video: where matches occur, per-bank vPDQ rules.", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    app.add_typer(video_app, name="video")


@video_app.command("matches")
def matches_command(
    db: DbOption = None, case: CaseOption = None, json_output: JsonOption = False
) -> None:
    """Video matches with the times in each video where they occur.

    Matches prioritise human review; they are never verdicts.
    """
    from tutela.store import open_store
    from tutela.video.queries import video_matches

    with errors_exit():
        store = open_store(db)
        with store.session() as session:
            rows = video_matches(session, case)
    if json_output:
        for row in rows:
            emit_json(row)
        return
    table = Table("video", "bank", "entry", "kind", "share", "best distance", "where (s)", "status")
    for row in rows:
        where = ", ".join(
            f"{s['start']:g}" if s["start"] == s["end"] else f"{s['start']:g}–{s['end']:g}"
            for s in row["segments"]
        )
        share = f"{row['query_share']:.0%}"
        if row["target_share"] is not None:
            share += f" / {row['target_share']:.0%}"
        table.add_row(
            "\n".join(row["paths"][:3]) or row["item_sha256"][:16],
            f"{row['bank']} ({row['bank_kind']})",
            str(row["entry_id"]),
            row["kind"],
            share,
            str(row["distance"]),
            where,
            row["status"],
        )
    out.print(table)
    console.print("Matches prioritise human review; they are never verdicts.")


@video_app.command("rule")
def rule_command(
    bank: str,
    query_share: Annotated[
        float, typer.Option(help="Share of the query video's distinct good frames that must match.")
    ] = 0.8,
    target_share: Annotated[
        float,
        typer.Option(help="Share of the listed video's distinct good frames that must match."),
    ] = 0.0,
    db: DbOption = None,
    json_output: JsonOption = False,
) -> None:
    """Set a bank's vPDQ rule (the field's default: 80 % of the query's frames, 0 % of the listed
    video's). Changing it re-matches cases' videos on their next scan."""
    from tutela.store import open_store
    from tutela.video.banking import set_rule

    with errors_exit():
        store = open_store(db)
        with store.transaction() as session:
            data = set_rule(session, bank, query_share, target_share)
    if json_output:
        emit_json(data)
        return
    console.print(
        f"{data['bank']}: a video matches when {data['query_share']:.0%} of its frames and "
        f"{data['target_share']:.0%} of the listed video's frames match"
    )
