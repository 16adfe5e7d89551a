"""``tutela prompt check``: screen prompts before generation (one, or a JSONL batch)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from tutela.cli.common import (
    DbOption,
    JsonOption,
    RichProgress,
    console,
    emit_json,
    errors_exit,
    fail,
    out,
)

PolicyOption = Annotated[
    str,
    typer.Option("--policy", help="Preset (default, strict, rewrite) or a policy TOML file."),
]
RevealOption = Annotated[
    bool,
    typer.Option(
        "--reveal-terms",
        help="Include the matched words (for moderators; never show them to the prompt's author).",
    ),
]


def register(app: typer.Typer) -> None:
    prompt_app = typer.Typer(
        help="Screen text-to-image prompts (machine signals for review, never verdicts).",
        no_args_is_help=True,
    )
    prompt_app.command("check")(check_command)
    prompt_app.command("cooldowns")(cooldowns_command)
    app.add_typer(prompt_app, name="prompt")


def check_command(
    text: Annotated[str | None, typer.Argument(help="The prompt to screen.")] = None,
    negative: Annotated[
        str | None, typer.Option("--negative", "-n", help="Negative prompt, screened separately.")
    ] = None,
    file: Annotated[
        Path | None,
        typer.Option(
            "--file",
            "-f",
            help='JSONL batch: one {"prompt", "negative_prompt"?, "user"?, "id"?} per line '
            '("-" for stdin); JSONL decisions on stdout.',
        ),
    ] = None,
    policy: PolicyOption = "default",
    reveal_terms: RevealOption = False,
    record: Annotated[
        bool,
        typer.Option(
            "--record", help="Count blocks per user in the store and apply cool-downs (uses --db)."
        ),
    ] = False,
    db: DbOption = None,
    json_output: JsonOption = False,
    progress: Annotated[bool, typer.Option(help="Show a progress bar (batch).")] = True,
) -> None:
    """Screen one prompt, or a JSONL file of prompts with --file.

    Exit code: 0 allow, 1 review, 3 block (single prompt); 0 for a finished batch.
    """
    from tutela.prompts import resolve_policy

    if (text is None) == (file is None):
        raise fail("give either a prompt or --file PROMPTS.jsonl")
    with errors_exit():
        pol = resolve_policy(policy)
        store = None
        if record:
            from tutela.store import open_store

            store = open_store(db)
        if file is not None:
            _batch(file, pol, reveal_terms, store, progress)
            return
        from tutela.prompts import screen

        assert text is not None
        result = screen(text, negative, pol, reveal_terms=reveal_terms, store=store, user=None)
    if json_output:
        emit_json(result.to_json())
    else:
        _print(result.to_json())
    raise typer.Exit({"allow": 0, "review": 1, "block": 3}[result.decision])


def _print(data: dict[str, Any]) -> None:
    colour = {"allow": "green", "review": "yellow", "block": "red"}[data["decision"]]
    table = Table(show_header=False, box=None)
    table.add_row("decision", f"[bold {colour}]{data['decision']}[/]")
    table.add_row("action", data["action"])
    table.add_row("score", f"{data['score']:.2f}")
    table.add_row("axes", ", ".join(f"{a['axis']} {a['score']:.2f}" for a in data["axes"]))
    for concept in data["concepts"]:
        label = f"{concept['concept']} ({', '.join(concept['languages'])})"
        if concept["obfuscated"]:
            label += " [obfuscated]"
        if "terms" in concept:
            label += f" terms: {', '.join(concept['terms'])}"
        table.add_row(concept["axis"], escape(label))
    for reason in data["reasons"]:
        table.add_row("reason", escape(reason))
    if data["rewrite"]:
        table.add_row("rewrite", escape(data["rewrite"]["prompt"]))
        table.add_row("negative", escape(data["rewrite"]["negative_prompt"]))
    out.print(table)
    out.print(f"[dim]{data['notice']}[/]")


def _batch(path: Path, policy: Any, reveal_terms: bool, store: Any, progress: bool) -> None:
    from tutela.prompts import PromptError, screen

    if str(path) == "-":
        lines = sys.stdin.read().splitlines()
    else:
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise fail(f"cannot read {path}: {exc}") from exc
    counts = {"allow": 0, "review": 0, "block": 0, "error": 0}
    with RichProgress("screening prompts", enabled=progress) as bar:
        bar.start(len(lines))
        for number, line in enumerate(lines, 1):
            bar.advance(1)
            if not line.strip():
                continue
            record: dict[str, Any] = {"line": number}
            try:
                item = json.loads(line)
                if not isinstance(item, dict) or not isinstance(item.get("prompt"), str):
                    raise PromptError('expected an object with a "prompt" string')
                for key in ("id", "user"):
                    if key in item:
                        record[key] = item[key]
                user = item.get("user")
                result = screen(
                    item["prompt"],
                    item.get("negative_prompt"),
                    policy,
                    reveal_terms=reveal_terms,
                    store=store,
                    user=str(user) if user is not None and store is not None else None,
                )
                record.update(result.to_json())
                counts[result.decision] += 1
            except json.JSONDecodeError as exc:
                record["error"] = {"kind": "invalid-json", "message": str(exc)}
                counts["error"] += 1
            except PromptError as exc:
                record["error"] = {"kind": exc.kind, "message": str(exc)}
                counts["error"] += 1
            emit_json(record)
    console.print(
        "screened: "
        + ", ".join(f"{k} {v:,}" for k, v in counts.items())
        + " — machine signals for review, not verdicts"
    )


def cooldowns_command(
    db: DbOption = None,
    clear: Annotated[
        str | None, typer.Option("--clear", help="Lift this user's cool-down and strikes.")
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """List users in a prompt cool-down, or lift one with --clear USER."""
    from tutela.prompts.cooldowns import clear_cooldown, list_cooldowns
    from tutela.store import open_store

    with errors_exit():
        store = open_store(db)
        if clear is not None:
            removed = clear_cooldown(store, clear)
            console.print(f"cool-down for {clear!r} " + ("lifted" if removed else "not found"))
            return
        rows = list_cooldowns(store)
    if json_output:
        for row in rows:
            emit_json({"user": row.user, **row.to_json()})
        return
    table = Table("user", "until (UTC)", "blocks in window")
    for row in rows:
        table.add_row(row.user, row.until, str(row.blocks))
    out.print(table)
