"""The application factory. Each feature contributes a router module listed in
:data:`ROUTER_MODULES` (a module exposing ``router: fastapi.APIRouter``)."""

from __future__ import annotations

import importlib

from fastapi import FastAPI

from tutela import __version__
from tutela.store import Store, open_store

ROUTER_MODULES: tuple[str, ...] = (
    "tutela.api.health",
    "tutela.api.matching",
    "tutela.api.banks",
    "tutela.prompts.http",
)

DESCRIPTION = """
tutela's HTTP API: hash uploads, match hashes against banks, curate banks, screen prompts.

**Machine signals prioritise human review; they are never verdicts.** A match says a
hash is within a bank's threshold of a listed hash, nothing more.
"""


def create_app(db_url: str | None = None, store: Store | None = None) -> FastAPI:
    app = FastAPI(title="tutela", version=__version__, description=DESCRIPTION)
    app.state.store = store or open_store(db_url)
    for name in ROUTER_MODULES:
        module = importlib.import_module(name)
        app.include_router(module.router)
        setup = getattr(module, "setup", None)
        if setup is not None:
            setup(app)
    return app
