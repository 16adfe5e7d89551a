"""Inventory model files straight from disk, without a database (``tutela models inventory``).

The quick look an investigator takes at a drive before a full scan: every model
file and config under the given paths, recognised by content, with the header
facts and (unless ``full`` is off) the SHA-256 and tensor-data hash in one read.
Archives are not opened here; ``tutela scan`` does that.
"""

from __future__ import annotations

import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from tutela.engine.tasks import walk
from tutela.errors import MediaError
from tutela.media.blob import Blob
from tutela.media.sniff import SNIFF_BYTES, Sniffed, sniff


@dataclass(frozen=True)
class Artefact:
    path: str
    size: int
    sniffed: Sniffed


def walk_artefacts(paths: list[str]) -> Iterator[Artefact]:
    """Regular files under ``paths`` whose content is a model or a model config."""
    for path, st in walk(paths):
        if st is None or not stat.S_ISREG(st.st_mode) or st.st_size == 0:
            continue
        try:
            with open(path, "rb") as fh:
                sniffed = sniff(fh.read(SNIFF_BYTES))
        except OSError:
            continue
        if sniffed.kind in ("model", "model-config"):
            yield Artefact(path, st.st_size, sniffed)


def inventory(files: Iterable[Artefact], full: bool = True) -> Iterator[dict[str, Any]]:
    """One JSON-ready record per artefact; a bad file yields a record with ``error``."""
    from tutela.models.configs import read_config
    from tutela.models.inspect import inspect_model

    for artefact in files:
        record: dict[str, Any] = {"path": artefact.path, "size": artefact.size}
        blob = Blob.from_path(artefact.path, artefact.size, load_limit=0)
        try:
            if artefact.sniffed.kind == "model":
                record.update(
                    inspect_model(blob, artefact.sniffed.format, artefact.path, full=full).data
                )
            else:
                record.update(read_config(blob, artefact.sniffed.format, artefact.path).data)
        except (MediaError, OSError) as exc:
            record.update(
                format=artefact.sniffed.format,
                error={"kind": getattr(exc, "kind", "unreadable"), "message": str(exc)},
            )
        yield record
