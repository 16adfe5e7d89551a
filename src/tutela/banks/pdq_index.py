"""Keeping the matcher's PDQ index on disk between runs.

The index itself is :class:`tutela.index.PdqIndex` (exact, incremental, saved
without pickle). A marker written last beside it records which database and
which entry ids it holds, so a restart loads it and only adds newer entries.
"""

from __future__ import annotations

import json
from pathlib import Path

from tutela.index import PdqIndex

MARKER = "tutela-banks.json"


def load_persisted(directory: Path, database: str) -> tuple[PdqIndex, int] | None:
    """A saved index and the highest entry id it holds, if it was built from ``database``."""
    marker = directory / MARKER
    if not marker.is_file():
        return None
    try:
        info = json.loads(marker.read_text())
        if info.get("database") != database:
            return None
        return PdqIndex.load(directory), int(info["loaded_id"])
    except (OSError, ValueError, KeyError):
        return None  # unreadable or from another version: rebuilt from the store


def persist(index: PdqIndex, directory: Path, database: str, loaded_id: int) -> None:
    """Save the index; the marker is written last, so a crash leaves no half-valid pair."""
    directory.mkdir(parents=True, exist_ok=True)
    index.save(directory)
    staging = directory / (MARKER + ".partial")
    staging.write_text(json.dumps({"database": database, "loaded_id": loaded_id}))
    staging.replace(directory / MARKER)
