"""Settings read from the environment, with the defaults a newcomer expects.

``TUTELA_DB``          database URL (default: SQLite file ``tutela.db`` in the working directory)
``TUTELA_SHARED_DATA`` folder holding the shared benign test corpus (``../shared/data``)
"""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_DB_FILE = "tutela.db"


def database_url(explicit: str | None = None) -> str:
    """Resolve the database URL: explicit flag, then ``TUTELA_DB``, then a local SQLite file.

    A bare file path is accepted and turned into a SQLite URL, because that is what
    people type.
    """
    url = explicit or os.environ.get("TUTELA_DB") or DEFAULT_DB_FILE
    if "://" not in url:
        url = f"sqlite:///{Path(url).expanduser()}"
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def shared_data_dir() -> Path | None:
    """The shared benign corpus, if this machine has it (CI passes ``TUTELA_SHARED_DATA``)."""
    value = os.environ.get("TUTELA_SHARED_DATA")
    if value:
        path = Path(value)
        return path if path.is_dir() else None
    return None
