"""Folder context for a case: locations grouped by folder, and small files read back.

Per-file analysers never see a file's neighbours, but a training set is a folder
(images beside same-named caption files) and a diffusers model is a folder tree.
The ``models`` stage therefore reads the case's locations after the scan, groups
them by folder, and reads back the few small files it needs (captions) — from
disk, or from inside archives in one pass per archive.
"""

from __future__ import annotations

import posixpath
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from tutela.errors import MediaError
from tutela.media.archives import Budget, iter_members, iter_zip
from tutela.media.blob import Blob
from tutela.media.limits import DEFAULT_LIMITS, Limits
from tutela.media.sniff import SNIFF_BYTES, sniff

SEPARATOR = "!/"


@dataclass(frozen=True)
class Entry:
    """One location: its path, the item it holds, and that item's kind and format."""

    path: str
    sha256: str | None
    kind: str | None
    format: str | None

    @property
    def name(self) -> str:
        return split(self.path)[1]

    @property
    def stem(self) -> str:
        return posixpath.splitext(self.name)[0]

    @property
    def suffix(self) -> str:
        return posixpath.splitext(self.name)[1].lower()


@dataclass
class Folder:
    path: str
    entries: list[Entry] = field(default_factory=list)

    @property
    def name(self) -> str:
        return split(self.path)[1]


def split(path: str) -> tuple[str, str]:
    """(folder, name) of a location path; archive members keep their archive as folder."""
    outer, sep, inner = path.rpartition(SEPARATOR)
    head, _, tail = inner.rpartition("/")
    if sep:
        return (f"{outer}{SEPARATOR}{head}" if head else outer), tail
    return head or "/", tail


def group(entries: Iterable[Entry]) -> dict[str, Folder]:
    folders: dict[str, Folder] = {}
    for entry in entries:
        folder = split(entry.path)[0]
        folders.setdefault(folder, Folder(folder)).entries.append(entry)
    return folders


def read_small_files(
    paths: Iterable[str], max_bytes: int, limits: Limits = DEFAULT_LIMITS
) -> dict[str, bytes]:
    """The first ``max_bytes`` of each path; unreadable ones are left out.

    Paths inside archives are read in one pass over each top-level archive.
    """
    out: dict[str, bytes] = {}
    nested: dict[str, set[str]] = defaultdict(set)
    for path in paths:
        outer, sep, _ = path.partition(SEPARATOR)
        if sep:
            nested[outer].add(path)
            continue
        try:
            with open(path, "rb") as fh:
                out[path] = fh.read(max_bytes)
        except OSError:
            continue
    for outer, wanted in nested.items():
        try:
            blob = Blob.from_path(outer, load_limit=0)
            _collect(blob, outer, wanted, max_bytes, limits, out, depth=0)
        except (MediaError, OSError):
            continue
    return out


def _collect(
    blob: Blob,
    where: str,
    wanted: set[str],
    max_bytes: int,
    limits: Limits,
    out: dict[str, bytes],
    depth: int,
) -> None:
    if depth >= limits.max_archive_depth:
        return
    prefix = where + SEPARATOR
    names = {w[len(prefix) :].split(SEPARATOR, 1)[0] for w in wanted if w.startswith(prefix)}
    fmt = sniff(blob.head(SNIFF_BYTES)).format
    budget = Budget(limits.max_archive_total_bytes)
    members = (
        iter_zip(blob, where, limits, budget, only=names)
        if fmt == "zip"
        else iter_members(blob, fmt, where, limits, budget)
    )
    for member in members:
        if member.name not in names or member.blob is None:
            continue
        path = prefix + member.name
        if path in wanted and member.blob.data is not None:
            out[path] = member.blob.data[:max_bytes]
        inner = {w for w in wanted if w.startswith(path + SEPARATOR)}
        if inner:
            _collect(member.blob, path, inner, max_bytes, limits, out, depth + 1)
