"""``tutela inspect`` (provenance evidence per file) and ``tutela trust`` (C2PA trust lists)."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from tutela.cli.common import (
    CaseOption,
    JsonOption,
    RichProgress,
    console,
    emit_json,
    errors_exit,
    fail,
    out,
)

if TYPE_CHECKING:
    from tutela.provenance.model import ProvenanceResult

STATUS_STYLE = {
    "declared-ai": "bold magenta",
    "likely-ai": "magenta",
    "camera-evidence": "cyan",
    "no-evidence": "white",
}
trust_app = typer.Typer(help="C2PA trust lists: show what is in force, refresh from a file.")


def register(app: typer.Typer) -> None:
    app.command("inspect")(inspect_command)
    app.add_typer(trust_app, name="trust")


def _files(paths: list[Path]) -> Iterator[Path]:
    for path in paths:
        if path.is_dir():
            for root, dirs, names in os.walk(path):
                dirs.sort()
                for name in sorted(names):
                    yield Path(root) / name
        else:
            yield path


def inspect_command(
    files: Annotated[list[Path], typer.Argument(help="Files (or folders) to inspect.")],
    json_output: JsonOption = False,
    watermark: Annotated[
        bool, typer.Option(help="Decode open-generator invisible watermarks (slower).")
    ] = True,
    c2pa: Annotated[bool, typer.Option(help="Read and validate C2PA Content Credentials.")] = True,
    detector: Annotated[
        list[Path] | None,
        typer.Option("--detector", help="Model card (JSON) of an operator-supplied detector."),
    ] = None,
    trust_anchor: Annotated[
        list[Path] | None,
        typer.Option("--trust-anchor", help="Extra PEM trust anchors for C2PA, this run only."),
    ] = None,
    db: Annotated[
        str | None,
        typer.Option("--db", help="Also show the model links a scan stored for each file."),
    ] = None,
    case: CaseOption = None,
) -> None:
    """Show the evidence each file carries about AI generation, with a synthetic status.

    Statuses: declared-ai, likely-ai, camera-evidence, no-evidence. None of them means
    "real": metadata is easily stripped or forged. Machine signals prioritise human
    review; they are never verdicts.
    """
    from tutela.errors import MediaError
    from tutela.provenance.detectors import configured_cards, load_detector
    from tutela.provenance.inspect import InspectOptions, inspect_path
    from tutela.provenance.trust import c2pa_trust_settings

    missing = [str(p) for p in files if not p.exists()]
    if missing:
        raise fail(f"no such file or folder: {', '.join(missing)}")
    with errors_exit():
        detectors = tuple(load_detector(c) for c in [*configured_cards(), *(detector or [])])
        trust = c2pa_trust_settings()
        if trust_anchor:
            extra = "\n".join(p.read_text() for p in trust_anchor)
            trust["trust_anchors"] = trust.get("trust_anchors", "") + "\n" + extra
    options = InspectOptions(c2pa=c2pa, watermark=watermark, detectors=detectors, trust=trust)
    links = _links_lookup(db, case) if db or case else None
    targets = list(_files(files))
    with RichProgress("inspecting", enabled=len(targets) > 20) as bar:
        bar.start(len(targets))
        for path in targets:
            try:
                result = inspect_path(path, options)
            except MediaError as exc:
                _emit_error(path, exc.kind, exc.message, json_output)
            else:
                _emit(path, result, json_output, links(path) if links else None)
            bar.advance(1)


def _emit_error(path: Path, kind: str, message: str, json_output: bool) -> None:
    if json_output:
        emit_json({"path": str(path), "error": {"kind": kind, "message": message}})
    else:
        out.print(f"[bold]{escape(str(path))}[/]: [red]{kind}[/] {escape(message)}")


def _links_lookup(db: str | None, case: str | None) -> Any:
    """The model links stored for a file's content (``tutela models`` explains them)."""
    from tutela.media.blob import Blob
    from tutela.models.queries import links_for_item
    from tutela.store import open_store
    from tutela.store.queries import case_id

    with errors_exit():
        store = open_store(db)
        if case:
            with store.session() as session:
                case_id(session, case)  # an unknown case is an error, not an empty list

    def lookup(path: Path) -> list[dict[str, Any]]:
        digest = hashlib.sha256()
        for chunk in Blob.from_path(str(path)).chunks():
            digest.update(chunk)
        with store.session() as session:
            return links_for_item(session, digest.hexdigest(), case)

    return lookup


def _emit(
    path: Path,
    result: ProvenanceResult,
    json_output: bool,
    links: list[dict[str, Any]] | None = None,
) -> None:
    if json_output:
        extra = {"model_links": links} if links is not None else {}
        emit_json({"path": str(path), **result.to_json(), **extra})
        return
    out.print(render(path, result))
    if links:
        from tutela.cli.models import links_table

        out.print(links_table(links))
    elif links is not None:
        out.print("[dim]no model links stored for this file[/]")


def render(path: Path, result: ProvenanceResult) -> Panel:
    """A readable panel: status, evidence, generation parameters, prompts (as plain text)."""
    from rich.console import Group

    parts: list[Any] = []
    head = Text()
    head.append(result.status, style=STATUS_STYLE[result.status])
    head.append(f"  confidence {result.confidence:.2f}\n")
    head.append(result.summary)
    parts.append(head)
    shown = [e for e in result.evidence if e.strength != "info" or e.kind != "encoder-hint"]
    if shown:
        table = Table("strength", "source", "evidence", "where", show_lines=False, expand=True)
        for e in shown:
            table.add_row(e.strength, e.source, Text(e.detail), Text(e.where, style="dim"))
        parts.append(table)
    for gen in result.generators:
        facts = [
            ("tool", gen.tool),
            ("model", gen.model),
            ("model hash", gen.model_hash),
            ("seed", gen.seed),
            ("steps", gen.steps),
            ("sampler", gen.sampler),
            ("cfg", gen.cfg_scale),
        ]
        line = Text("generator: ", style="bold")
        line.append(", ".join(f"{k} {v}" for k, v in facts if v not in (None, "")))
        for model in gen.models:
            line.append(f"\n  {model.role}: {model.name or '?'}")
            if model.hash:
                line.append(f" ({model.hash_kind} {model.hash})")
        parts.append(line)
    for prompt in result.prompts:
        label = "negative prompt" if prompt.negative else "prompt"
        text = Text(f"{label} ({prompt.tool}): ", style="bold")
        text.append(prompt.text[:2000] + ("…" if len(prompt.text) > 2000 else ""))
        parts.append(text)
    for issue in result.errors:
        parts.append(Text(f"error {issue.source} {issue.kind}: {issue.message}", style="red"))
    parts.append(Text("Machine signal to prioritise review, never a verdict.", style="dim"))
    return Panel(Group(*parts), title=Text(str(path)), title_align="left")


@trust_app.command("show")
def trust_show(json_output: JsonOption = False) -> None:
    """List the trust lists in force: where each comes from, its size and its age."""
    from tutela.provenance.trust import as_json, load_lists

    with errors_exit():
        lists = load_lists()
    if json_output:
        for item in lists:
            emit_json(as_json(item))
        return
    table = Table("list", "role", "entries", "fetched", "age (days)", "origin")
    for item in lists:
        age = item.age_days()
        style = "yellow" if age is not None and age > 180 else ""
        table.add_row(
            item.name,
            item.role,
            str(item.entries),
            item.fetched,
            Text(str(age), style=style),
            Text(item.origin),
        )
    out.print(table)
    for item in lists:
        out.print(Text(f"{item.name}: {item.source}", style="dim"))


@trust_app.command("refresh")
def trust_refresh(
    name: Annotated[str, typer.Argument(help="List to replace: see `tutela trust show`.")],
    file: Annotated[Path, typer.Argument(help="The newly downloaded list (PEM or text).")],
    fetched: Annotated[
        str | None, typer.Option(help="Date it was fetched (YYYY-MM-DD; default: file date).")
    ] = None,
) -> None:
    """Replace one trust list with a file you downloaded (validated before use; offline)."""
    from tutela.provenance.trust import refresh

    with errors_exit():
        item = refresh(name, file, fetched)
    console.print(
        f"[green]refreshed[/] {item.name}: {item.entries} entries, fetched {item.fetched}, "
        f"stored in {escape(item.origin)}"
    )
