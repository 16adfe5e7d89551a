"""``tutela match``: match files or hash values against every bank."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from tutela.cli.common import DbOption, JsonOption, console, emit_json, errors_exit, fail, out


def register(app: typer.Typer) -> None:
    app.command("match")(match_command)


def match_command(
    files: Annotated[
        list[Path] | None, typer.Argument(help="Files (or folders/archives) to match.")
    ] = None,
    pdq: Annotated[
        list[str] | None, typer.Option("--pdq", help="A PDQ hash (64 hex digits).")
    ] = None,
    md5: Annotated[list[str] | None, typer.Option("--md5", help="An MD5 (32 hex digits).")] = None,
    sha1: Annotated[list[str] | None, typer.Option("--sha1", help="A SHA-1.")] = None,
    sha256: Annotated[list[str] | None, typer.Option("--sha256", help="A SHA-256.")] = None,
    dihedral: Annotated[
        bool, typer.Option(help="Also match rotated/flipped copies (files only).")
    ] = False,
    db: DbOption = None,
    json_output: JsonOption = False,
) -> None:
    """Match against every bank: per bank, every entry within its threshold.

    Matches are signals for human review, never verdicts.
    """
    from tutela.banks.matcher import Matcher, Query, index_dir_from_env
    from tutela.banks.queries import queries_from_files, query_from_values
    from tutela.banks.signal_types import InvalidSignal
    from tutela.store import open_store

    values = [("pdq", v) for v in pdq or []] + [("md5", v) for v in md5 or []]
    values += [("sha1", v) for v in sha1 or []] + [("sha256", v) for v in sha256 or []]
    if not files and not values:
        raise fail("give files to match, or --pdq/--md5/--sha1/--sha256 values")
    missing = [str(f) for f in files or [] if not f.exists()]
    if missing:
        raise fail(f"no such file or folder: {', '.join(missing)}")
    with errors_exit():
        queries: list[Query | dict[str, Any]] = []
        try:
            queries += [query_from_values([v]) for v in values]
        except InvalidSignal as exc:
            raise fail(exc.message) from exc
        if files:
            queries += list(queries_from_files([str(f) for f in files], dihedral))
        store = open_store(db)
        matcher = Matcher(store, index_dir=index_dir_from_env())
        matcher.refresh()
        good = [q for q in queries if isinstance(q, Query)]
        results = iter(matcher.match(good))
        thresholds = matcher.thresholds()
        rows = [q if isinstance(q, dict) else next(results).to_json(thresholds) for q in queries]
    if json_output:
        for row in rows:
            emit_json(row)
        return
    _print(rows)


def _print(rows: list[dict[str, Any]]) -> None:
    table = Table("input", "bank", "entry", "signal", "distance", "via", "status", "notes")
    for row in rows:
        if "error" in row:
            table.add_row(
                row["input"],
                "",
                "",
                "",
                "",
                "",
                f"[red]{row['error']['kind']}[/]",
                row["error"]["message"],
            )
            continue
        notes = "; ".join(row["notes"])
        if not row["banks"]:
            table.add_row(row["input"], "", "", "", "", "", "no match", notes)
        for bank in row["banks"]:
            for m in bank["matches"]:
                table.add_row(
                    row["input"],
                    f"{bank['bank']} ({bank['kind']})",
                    str(m["entry_id"]),
                    m["signal_type"],
                    str(m["distance"]),
                    m["via"],
                    m["status"],
                    notes,
                )
    out.print(table)
    console.print("Matches prioritise human review; they are never verdicts.")
