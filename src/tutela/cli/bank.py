"""``tutela bank ...``: create, list, import, export, add images, enable/disable, fetch."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from tutela.cli.common import DbOption, JsonOption, console, emit_json, errors_exit, fail, out

bank_app = typer.Typer(
    help="Hash lists: create banks, import/export them, add images, curate entries, "
    "fetch exchanges.",
    no_args_is_help=True,
)

FormatOption = Annotated[str, typer.Option("--format", "-f", help="csv, hma or vics.")]


def register(app: typer.Typer) -> None:
    app.add_typer(bank_app, name="bank")


def _settings(pairs: list[str] | None) -> dict[str, Any]:
    settings: dict[str, Any] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise fail(f"--set takes KEY=VALUE, got {pair!r}")
        try:
            settings[key] = json.loads(value)
        except json.JSONDecodeError:
            settings[key] = value
    return settings


@bank_app.command("create")
def create_command(
    name: Annotated[str, typer.Argument(help="Bank name (letters, digits, _ . -).")],
    kind: Annotated[
        str, typer.Option(help="positive, or negative (its matches suppress positive ones).")
    ] = "positive",
    pdq_threshold: Annotated[
        int, typer.Option(help="Largest PDQ Hamming distance that matches (of 256 bits).")
    ] = 31,
    flood_limit: Annotated[
        int, typer.Option(help="Quarantine an entry that matches more items than this in a case.")
    ] = 100,
    description: Annotated[str, typer.Option(help="Free text.")] = "",
    exchange: Annotated[
        str | None,
        typer.Option(
            help="Feed the bank from this exchange: "
            "ncmec, stop_ncii, fb_threatexchange, local_file."
        ),
    ] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set", help="Exchange setting KEY=VALUE (e.g. environment=NGO_Generative_AI)."
        ),
    ] = None,
    db: DbOption = None,
    json_output: JsonOption = False,
) -> None:
    """Create a bank."""
    from tutela.banks import service
    from tutela.banks.exchanges import api_class, check_config
    from tutela.store import open_store

    with errors_exit():
        config = _settings(set_)
        if exchange:
            api_class(exchange)
            check_config(exchange, config)
        elif config:
            raise fail("--set only applies with --exchange")
        store = open_store(db)
        with store.transaction() as session:
            bank = service.create_bank(
                session, name, kind, pdq_threshold, flood_limit, description, exchange, config
            )
            info = {"name": bank.name, **service.bank_settings(bank)}
    if json_output:
        emit_json(info)
    else:
        console.print(f"created {kind} bank [bold]{name}[/] (PDQ threshold {pdq_threshold})")


@bank_app.command("update")
def update_command(
    name: str,
    kind: Annotated[str | None, typer.Option(help="positive or negative.")] = None,
    pdq_threshold: Annotated[int | None, typer.Option(help="New PDQ threshold.")] = None,
    flood_limit: Annotated[int | None, typer.Option(help="New flood limit.")] = None,
    description: Annotated[str | None, typer.Option(help="New description.")] = None,
    db: DbOption = None,
) -> None:
    """Change a bank's kind, threshold, flood limit or description."""
    from tutela.banks import service
    from tutela.store import open_store

    with errors_exit():
        store = open_store(db)
        with store.transaction() as session:
            bank = service.update_bank(session, name, kind, pdq_threshold, flood_limit, description)
            console.print(f"bank {bank.name}: {service.bank_settings(bank)}")


@bank_app.command("list")
def list_command(db: DbOption = None, json_output: JsonOption = False) -> None:
    """List banks with their settings and entry counts."""
    from tutela.banks.service import list_banks
    from tutela.store import open_store

    with errors_exit():
        store = open_store(db)
        with store.session() as session:
            banks = list_banks(session)
    if json_output:
        for bank in banks:
            emit_json(bank.to_json())
        return
    table = Table(
        "bank",
        "kind",
        "PDQ ≤",
        "flood limit",
        "enabled",
        "disabled",
        "quarantined",
        "signals",
        "exchange",
    )
    for b in banks:
        table.add_row(
            b.name,
            b.kind,
            str(b.pdq_threshold),
            str(b.flood_limit),
            f"{b.entries['enabled']:,}",
            f"{b.entries['disabled']:,}",
            f"{b.entries['quarantined']:,}",
            ", ".join(f"{k} {v:,}" for k, v in b.signal_types.items()),
            b.exchange_api or "",
        )
    out.print(table)


@bank_app.command("entries")
def entries_command(
    name: str,
    status: Annotated[str | None, typer.Option(help="Only entries with this status.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many.")] = 100,
    db: DbOption = None,
    json_output: JsonOption = False,
) -> None:
    """Show a bank's entries (ids are what enable/disable take)."""
    from sqlalchemy import select

    from tutela.banks.models import Entry
    from tutela.banks.service import entry_json, get_bank
    from tutela.store import open_store

    with errors_exit():
        store = open_store(db)
        with store.session() as session:
            bank = get_bank(session, name)
            query = select(Entry).where(Entry.bank_id == bank.id, Entry.variant == "")
            if status:
                query = query.where(Entry.status == status)
            rows = [
                entry_json(e, bank.name)
                for e in session.scalars(query.order_by(Entry.id).limit(limit))
            ]
    if json_output:
        for row in rows:
            emit_json(row)
        return
    table = Table("id", "signal", "value", "status", "reason")
    for row in rows:
        table.add_row(
            str(row["id"]), row["signal_type"], row["value"], row["status"], row["status_reason"]
        )
    out.print(table)


class _Counter:
    def __init__(self, label: str) -> None:
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.description}"),
            TextColumn("{task.completed:,}"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        self.label = label

    def __enter__(self) -> _Counter:
        self.progress.__enter__()
        self.task = self.progress.add_task(self.label)
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.__exit__(None, None, None)

    def __call__(self, n: int) -> None:
        self.progress.advance(self.task, n)


def _print_import(summary: Any, json_output: bool) -> None:
    data = summary.to_json()
    if json_output:
        emit_json(data)
        return
    console.print(
        f"{data['bank']}: {data['added']:,} added, {data['updated']:,} already present, "
        f"{data['rejected']:,} rejected"
    )
    for error in data["errors"]:
        console.print(f"  [yellow]rejected[/] {error['where']}: {error['message']}")
    if data["rejected"] > len(data["errors"]):
        console.print(f"  … and {data['rejected'] - len(data['errors']):,} more")


@bank_app.command("import")
def import_command(
    name: str,
    file: Annotated[Path, typer.Argument(help="File to read ('-' for standard input).")],
    format: FormatOption = "csv",
    signal_type: Annotated[
        str | None, typer.Option(help="Type of values on lines that give no type (hma, csv).")
    ] = None,
    db: DbOption = None,
    json_output: JsonOption = False,
) -> None:
    """Import a hash list into a bank, streaming (bad rows are reported, not fatal)."""
    from tutela.banks.formats import get_format
    from tutela.banks.service import import_records
    from tutela.store import open_store

    with errors_exit():
        fmt = get_format(format)
        store = open_store(db)
        if str(file) != "-" and not file.is_file():
            raise fail(f"no such file: {file}")
        stream = sys.stdin.buffer if str(file) == "-" else file.open("rb")
        try:
            with _Counter(f"importing into {name}") as counter:
                summary = import_records(
                    store,
                    name,
                    fmt.read(stream, signal_type),
                    {"format": format, "file": str(file)},
                    counter,
                )
        finally:
            if stream is not sys.stdin.buffer:
                stream.close()
    _print_import(summary, json_output)


@bank_app.command("export")
def export_command(
    name: str,
    format: FormatOption = "csv",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File (default: stdout).")
    ] = None,
    db: DbOption = None,
) -> None:
    """Export a bank's listed entries (derived variants are left out)."""
    from tutela.banks.formats import get_format
    from tutela.banks.service import get_bank, iter_records
    from tutela.store import open_store

    with errors_exit():
        fmt = get_format(format)
        store = open_store(db)
        with store.session() as session:
            get_bank(session, name)
            handle = output.open("w", encoding="utf-8", newline="") if output else sys.stdout
            try:
                summary = fmt.write(lambda: iter_records(session, name), handle)
            finally:
                if output:
                    handle.close()
    for note in summary.notes:
        console.print(f"[yellow]note[/]: {note}")
    console.print(f"exported {summary.written:,} entries from {name} as {format}")


@bank_app.command("add")
def add_command(
    name: str,
    files: Annotated[
        list[Path] | None, typer.Argument(help="Images (or folders/archives of them).")
    ] = None,
    case: Annotated[
        str | None, typer.Option("--case", help="Bank every image item of this case instead.")
    ] = None,
    variants: Annotated[
        bool, typer.Option(help="Also store crop/un-letterboxed PDQ variants for edited copies.")
    ] = True,
    meta: Annotated[
        list[str] | None, typer.Option("--meta", help="Metadata KEY=VALUE for every entry.")
    ] = None,
    db: DbOption = None,
    json_output: JsonOption = False,
) -> None:
    """Hash images (or a case's image items) into a bank: MD5, SHA-1, SHA-256, PDQ and
    edited-copy variants."""
    from tutela.banks.images import add_case_items, add_images
    from tutela.store import open_store

    if bool(files) == bool(case):
        raise fail("give image files, or --case NAME (not both)")
    missing = [str(f) for f in files or [] if not f.exists()]
    if missing:
        raise fail(f"no such file or folder: {', '.join(missing)}")
    with errors_exit():
        store = open_store(db)
        with _Counter(f"hashing into {name}") as counter:
            if case:
                summary = add_case_items(store, name, case, _settings(meta), variants, counter)
            else:
                summary = add_images(
                    store, name, [str(f) for f in files or []], _settings(meta), variants, counter
                )
    _print_import(summary, json_output)


def _set_status(
    entry: str, status: str, reason: str, bank: str | None, db: str | None, json_output: bool
) -> None:
    from tutela.banks.models import Bank
    from tutela.banks.service import entry_json, get_bank, set_status
    from tutela.store import open_store

    with errors_exit():
        store = open_store(db)
        with store.transaction() as session:
            if bank:
                get_bank(session, bank)
            changed = set_status(session, entry, status, reason, bank)
            rows = [entry_json(e, session.get_one(Bank, e.bank_id).name) for e in changed]
    for row in rows:
        if json_output:
            emit_json(row)
        else:
            console.print(
                f"entry {row['id']} ({row['bank']}, {row['signal_type']}) is now {row['status']}"
            )


EntryArg = Annotated[str, typer.Argument(help="Entry id, or SIGNAL_TYPE:VALUE (e.g. pdq:<hex>).")]
BankOption = Annotated[str | None, typer.Option("--bank", help="Only entries of this bank.")]


@bank_app.command("disable")
def disable_command(
    entry: EntryArg,
    reason: Annotated[str, typer.Option(help="Why (kept with the entry).")] = "",
    bank: BankOption = None,
    db: DbOption = None,
    json_output: JsonOption = False,
) -> None:
    """Stop an entry from matching (it stays listed, and can be re-enabled)."""
    _set_status(entry, "disabled", reason, bank, db, json_output)


@bank_app.command("enable")
def enable_command(
    entry: EntryArg,
    reason: Annotated[str, typer.Option(help="Why (kept with the entry).")] = "",
    bank: BankOption = None,
    db: DbOption = None,
    json_output: JsonOption = False,
) -> None:
    """Let an entry match again; a quarantined entry is then exempt from the flood guard."""
    _set_status(entry, "enabled", reason, bank, db, json_output)


@bank_app.command("fetch")
def fetch_command(
    names: Annotated[
        list[str] | None, typer.Argument(help="Banks to fetch (default: every exchange bank).")
    ] = None,
    max_seconds: Annotated[
        float | None, typer.Option(help="Stop after this long; the next fetch resumes.")
    ] = None,
    db: DbOption = None,
    json_output: JsonOption = False,
) -> None:
    """Fetch updates from exchanges into their banks, resuming from the stored checkpoint."""
    from sqlalchemy import select

    from tutela.banks.exchanges import fetch
    from tutela.banks.models import Bank
    from tutela.store import open_store

    with errors_exit():
        store = open_store(db)
        if not names:
            with store.session() as session:
                names = list(
                    session.scalars(
                        select(Bank.name).where(Bank.exchange_api.is_not(None)).order_by(Bank.name)
                    )
                )
            if not names:
                raise fail("no bank is fed by an exchange (bank create NAME --exchange API)")
        for name in names:
            with _Counter(f"fetching {name}") as counter:
                summary = fetch(store, name, max_seconds, on_delta=lambda s: counter(1))
            if json_output:
                emit_json(summary.to_json())
            else:
                state = "up to date" if summary.complete else "stopped early; run again to resume"
                console.print(
                    f"{name}: {summary.records:,} records, "
                    f"{summary.entries_written:,} entries written, "
                    f"{summary.deleted:,} withdrawn ({state})"
                )
