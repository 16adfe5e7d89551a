"""The ``tutela`` command: a thin layer that parses, calls the library and prints.

Each command family lives in its own module with a ``register(app)`` function,
listed in :data:`COMMAND_MODULES`; heavy imports happen inside the commands so
``tutela --help`` stays fast.
"""

from __future__ import annotations

import importlib

import typer

COMMAND_MODULES: tuple[str, ...] = (
    "tutela.cli.scan",
    "tutela.cli.items",
    "tutela.cli.serve",
    "tutela.cli.prompt",
    "tutela.cli.bank",
    "tutela.cli.match",
    "tutela.cli.token",
    "tutela.cli.inspect",
    "tutela.cli.video",
    "tutela.cli.models",
    "tutela.cli.signals",
    "tutela.cli.triage",
)

app = typer.Typer(
    name="tutela",
    help=(
        "Detect, triage and prevent AI-generated child sexual abuse material.\n\n"
        "Machine signals prioritise human review; they are never verdicts."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

for _module in COMMAND_MODULES:
    importlib.import_module(_module).register(app)


def main() -> None:
    app()
