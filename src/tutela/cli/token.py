"""``tutela token ...``: API tokens for ``tutela serve``."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from tutela.cli.common import DbOption, JsonOption, console, emit_json, errors_exit, out

token_app = typer.Typer(help="API tokens (roles: match, curate, admin).", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(token_app, name="token")


@token_app.command("create")
def create_command(
    role: Annotated[
        str,
        typer.Option(
            help="match (hash and match; 'hash' is the same), curate (banks), admin (all)."
        ),
    ],
    name: Annotated[str, typer.Option(help="A label for the token.")] = "",
    db: DbOption = None,
    json_output: JsonOption = False,
) -> None:
    """Create a token; its secret is printed once and only its hash is stored."""
    from tutela.auth.tokens import create_token
    from tutela.store import open_store

    with errors_exit():
        store = open_store(db)
        with store.transaction() as session:
            new = create_token(session, role, name)
    if json_output:
        emit_json({"id": new.id, "name": new.name, "role": new.role, "token": new.token})
        return
    console.print(
        f"token {new.id} ({new.name}, role {new.role}); store it now, it is not shown again:"
    )
    out.print(new.token)


@token_app.command("list")
def list_command(db: DbOption = None, json_output: JsonOption = False) -> None:
    """List tokens (never their secrets)."""
    from tutela.auth.tokens import list_tokens
    from tutela.store import open_store

    with errors_exit():
        store = open_store(db)
        with store.session() as session:
            rows = list_tokens(session)
    if json_output:
        for row in rows:
            emit_json(row)
        return
    table = Table("id", "name", "role", "prefix", "created", "last used", "revoked")
    for r in rows:
        table.add_row(
            *(
                str(r[k] or "")[:19]
                for k in (
                    "id",
                    "name",
                    "role",
                    "prefix",
                    "created_at",
                    "last_used_at",
                    "revoked_at",
                )
            )
        )
    out.print(table)


@token_app.command("revoke")
def revoke_command(token_id: int, db: DbOption = None) -> None:
    """Revoke a token (it stops working at once)."""
    from tutela.auth.tokens import revoke_token
    from tutela.store import open_store

    with errors_exit():
        store = open_store(db)
        with store.transaction() as session:
            revoke_token(session, token_id)
    console.print(f"token {token_id} revoked")
