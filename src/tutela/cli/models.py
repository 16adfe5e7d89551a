"""``tutela models``: model files, LoRAs, embeddings and training sets found in a case.

``tutela models`` lists what a scan found (from the database); ``tutela models
inventory PATH...`` reads model files directly, without a database, for quick
triage of a drive (``--header-only`` reads a few kilobytes per file however big).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from tutela.cli.common import (
    CaseOption,
    DbOption,
    JsonOption,
    RichProgress,
    emit_json,
    errors_exit,
    fail,
    out,
)

NOTE = (
    "Links are leads for review, not verdicts: a file name or short hash can be shared by "
    "unrelated files; check the method and evidence of each link."
)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")

models_app = typer.Typer(
    name="models",
    help="Model files, LoRAs, embeddings and training sets: hashes, architecture, links.",
    invoke_without_command=True,
    no_args_is_help=False,
)


def register(app: typer.Typer) -> None:
    app.add_typer(models_app)


def shown(value: Any, limit: int = 80) -> str:
    """Untrusted text (file metadata) made safe for a terminal: no markup, no control codes."""
    text = _CONTROL.sub("\ufffd", str(value))
    return escape(text if len(text) <= limit else text[: limit - 1] + "…")


@models_app.callback()
def models_command(
    ctx: typer.Context,
    db: DbOption = None,
    case: CaseOption = None,
    json_output: JsonOption = False,
    training_sets: Annotated[
        bool, typer.Option("--training-sets", help="List training-set folders instead.")
    ] = False,
    missing: Annotated[
        bool,
        typer.Option("--missing", help="List models that are named but not found anywhere."),
    ] = False,
) -> None:
    """List models with kind, architecture, hashes, linked images and linked training sets."""
    if ctx.invoked_subcommand is not None:
        return
    from tutela.models import queries
    from tutela.store import open_store

    with errors_exit():
        store = open_store(db)
        with store.session() as session:
            if training_sets:
                records = list(queries.list_training_sets(session, case))
                printer = _print_training_sets
            elif missing:
                records = list(queries.list_missing(session, case))
                printer = _print_missing
            else:
                records = list(queries.list_models(session, case))
                printer = _print_models
    if json_output:
        for record in records:
            emit_json(record)
        return
    printer(records)
    out.print(f"[dim]{NOTE}[/]")


def _print_models(records: list[dict[str, Any]]) -> None:
    table = Table("path", "kind", "arch", "format", "hashes", "images", "training sets", "notes")
    for r in records:
        if r["record"] == "folder":
            table.add_row(
                shown(r["path"], 60),
                "diffusers " + r["kind"],
                r["architecture"],
                r["format"],
                "",
                "",
                "",
                f"{len(r['components'])} components",
            )
            continue
        hashes = r.get("hashes") or {}
        lines = [f"{k} {hashes[k][:12]}" for k in ("autov2", "autov1", "autov3") if hashes.get(k)]
        notes = []
        if r.get("pickle"):
            notes.append(f"pickle {r['pickle']['verdict']}")
        training = r.get("training") or {}
        if training.get("output_name"):
            notes.append(f"output {shown(training['output_name'], 30)}")
        if r.get("base_models"):
            notes.append(f"{len(r['base_models'])} base model link(s)")
        notes.extend(shown(p["kind"]) for p in r.get("problems") or [])
        kind = r.get("kind") or ""
        if r.get("adapter") and r["adapter"].get("rank"):
            kind += f" r{r['adapter']['rank']}"
        table.add_row(
            "\n".join(shown(p, 60) for p in r["paths"][:3]),
            kind,
            (r.get("architecture") or "") + (f" {r['variant']}" if r.get("variant") else ""),
            r.get("format") or "",
            "\n".join(lines),
            str(len(r["linked_images"])),
            str(len(r["linked_training_sets"])),
            "\n".join(notes),
        )
    out.print(table)


def _print_training_sets(records: list[dict[str, Any]]) -> None:
    table = Table("folder", "images", "captions", "top tags", "linked models")
    for r in records:
        tags = ", ".join(shown(t["tag"], 24) for t in r["tags"][:6])
        models = "\n".join(
            f"{shown((m['paths'] or [m['sha256']])[0], 50)} ({m['method']})"
            for m in r["linked_models"]
        )
        table.add_row(shown(r["path"], 60), str(r["images"]), str(r["captions"]), tags, models)
    out.print(table)


def _print_missing(records: list[dict[str, Any]]) -> None:
    table = Table("role", "name", "hash", "listed in", "named by")
    for r in records:
        by = "\n".join(shown((n["paths"] or [n["sha256"]])[0], 50) for n in r["named_by"][:5])
        more = len(r["named_by"]) - 5
        table.add_row(
            r["role"],
            shown(r["name"] or ""),
            r["hash"] or "",
            "\n".join(f"[bold]{shown(b['bank'])}[/]" for b in r["banks"]),
            by + (f"\n… and {more} more" if more > 0 else ""),
        )
    out.print(table)


@models_app.command("inventory")
def inventory_command(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders to read.")],
    header_only: Annotated[
        bool,
        typer.Option(
            "--header-only",
            help="Skip full SHA-256/AutoV3: read headers only (seconds for terabytes).",
        ),
    ] = False,
    json_output: JsonOption = False,
    progress: Annotated[bool, typer.Option(help="Show a progress bar.")] = True,
) -> None:
    """Read model files and configs directly (no database, archives not opened)."""
    from tutela.models.inventory import inventory, walk_artefacts

    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise fail(f"no such file or folder: {', '.join(missing)}")
    files = list(walk_artefacts([str(p) for p in paths]))
    rows = []
    with RichProgress("reading models", enabled=progress and not json_output) as bar:
        bar.start(len(files))
        for record in inventory(files, full=not header_only):
            bar.advance(1)
            if json_output:
                emit_json(record)
            else:
                rows.append(record)
    if json_output:
        return
    table = Table("path", "kind", "arch", "format", "size", "hashes", "notes")
    for r in rows:
        hashes = r.get("hashes") or {}
        lines = [f"{k} {hashes[k][:12]}" for k in ("autov2", "autov1", "autov3") if hashes.get(k)]
        notes = [shown(p["kind"]) for p in r.get("problems") or []]
        if r.get("pickle"):
            notes.insert(0, f"pickle {r['pickle']['verdict']}")
        table.add_row(
            shown(r["path"], 60),
            r.get("kind") or r.get("format", ""),
            r.get("architecture") or "",
            r.get("format") or "",
            f"{r['size']:,}",
            "\n".join(lines),
            "\n".join(notes),
        )
    out.print(table)


def links_table(links: list[dict[str, Any]]) -> Table:
    """An item's model links (for ``tutela inspect``): relation, the other side, evidence."""
    table = Table("relation", "role", "linked to", "named as", "method", title="model links")
    for link in links:
        other = link.get("paths") or []
        if link.get("training_set"):
            target = link["training_set"]["path"]
        elif other:
            target = other[0]
        elif link.get("bank"):
            target = f"bank {link['bank']} entry {link['bank_entry_id']}"
        else:
            target = "(not found)"
        reference = link.get("reference") or {}
        named = " ".join(str(reference.get(k)) for k in ("name", "hash") if reference.get(k))
        table.add_row(
            link["relation"],
            link["role"],
            shown(target, 60),
            shown(named, 40),
            link.get("method") or "",
        )
    return table
