"""``tutela serve``: the HTTP API (and, where installed, the review workspace)."""

from __future__ import annotations

from typing import Annotated

import typer

from tutela.cli.common import DbOption, console, errors_exit


def register(app: typer.Typer) -> None:
    app.command("serve")(serve_command)


def serve_command(
    db: DbOption = None,
    host: Annotated[
        str, typer.Option(help="Interface to bind (loopback unless told).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
) -> None:
    """Serve the HTTP API on loopback (use --host 0.0.0.0 deliberately, behind TLS)."""
    import uvicorn

    from tutela.api.app import create_app

    with errors_exit():
        app = create_app(db)
    if host not in ("127.0.0.1", "localhost", "::1"):
        console.print(f"[yellow]warning[/]: binding to {host}; put TLS in front of tutela.")
    uvicorn.run(app, host=host, port=port, log_level="info")
