"""Every module that defines tables, so ``Base.metadata`` (and Alembic) sees the whole schema.

An area that adds tables puts its models in its own package and lists the module here.
"""

from __future__ import annotations

import importlib

from tutela.store.models import Base

MODEL_MODULES: tuple[str, ...] = (
    "tutela.store.models",
    "tutela.prompts.models",
    "tutela.banks.models",
    "tutela.auth.models",
    "tutela.provenance.tables",
    "tutela.video.models",
    "tutela.models.tables",
    "tutela.cluster.models",
    "tutela.assess.models",
)


def load_all() -> type[Base]:
    for name in MODEL_MODULES:
        importlib.import_module(name)
    return Base
