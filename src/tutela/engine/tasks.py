"""Turn the paths a user gives into units of work, skipping what a case already holds.

A task is a plain file (which may be an archive walked by the worker) or a slice
of a large top-level zip, so that one big archive still spreads over every core.
Folders are walked in sorted order without following symbolic links.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass

from tutela.media.archives import safe_member_name
from tutela.media.sniff import SNIFF_BYTES, sniff

ZIP_SLICE = 64
"""Members per task when a top-level zip is split across workers."""


@dataclass(frozen=True)
class FileTask:
    path: str
    display: str
    fingerprint: str
    container_only: bool = False
    units: int = 1


@dataclass(frozen=True)
class ZipSliceTask:
    path: str
    display: str
    names: tuple[str, ...]

    @property
    def units(self) -> int:
        return len(self.names)


Task = FileTask | ZipSliceTask


def walk(paths: list[str]) -> Iterator[tuple[str, os.stat_result | None]]:
    """Every entry under ``paths`` (sorted, symlinks reported but not followed)."""
    for top in paths:
        absolute = os.path.abspath(top)
        try:
            st = os.stat(absolute)
        except OSError:
            yield absolute, None
            continue
        if not stat.S_ISDIR(st.st_mode):
            yield absolute, st
            continue
        yield from _walk_dir(absolute)


def _walk_dir(folder: str) -> Iterator[tuple[str, os.stat_result | None]]:
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError:
        yield folder, None
        return
    for entry in entries:
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError:
            yield entry.path, None
            continue
        if stat.S_ISDIR(st.st_mode):
            yield from _walk_dir(entry.path)
        else:
            yield entry.path, st


def plan(paths: list[str], done: dict[str, str]) -> Iterator[Task]:
    """Tasks for everything under ``paths`` whose location is not already done.

    ``done`` maps location path → stored fingerprint for the case being scanned.
    """
    from tutela.engine.pipeline import file_fingerprint

    for path, st in walk(paths):
        if st is None:
            yield FileTask(path, path, "missing")
            continue
        fingerprint = file_fingerprint(st)
        if not stat.S_ISREG(st.st_mode):
            if done.get(path) != fingerprint:
                yield FileTask(path, path, fingerprint)
            continue
        members = _large_zip_members(path, st)
        if members is None:
            if done.get(path) != fingerprint:
                yield FileTask(path, path, fingerprint)
            continue
        if done.get(path) != fingerprint:
            yield FileTask(path, path, fingerprint, container_only=True)
        todo = [name for name, fp in members if done.get(f"{path}!/{name}") != fp]
        for start in range(0, len(todo), ZIP_SLICE):
            yield ZipSliceTask(path, path, tuple(todo[start : start + ZIP_SLICE]))


def _large_zip_members(path: str, st: os.stat_result) -> list[tuple[str, str]] | None:
    """(name, fingerprint) of a top-level zip's members, if it is worth splitting."""
    import zipfile

    try:
        with open(path, "rb") as fh:
            # Only real archives are split; a torch checkpoint is a zip too, but one model.
            if sniff(fh.read(SNIFF_BYTES)).format != "zip":
                return None
        with zipfile.ZipFile(path) as zf:
            infos = [i for i in zf.infolist() if not i.is_dir()]
    except (OSError, zipfile.BadZipFile, ValueError, EOFError):
        return None
    if len(infos) <= ZIP_SLICE:
        return None
    seen: set[str] = set()
    members = []
    for info in infos:
        name = safe_member_name(info.filename)[0]
        if name in seen:
            continue
        seen.add(name)
        members.append((name, f"zip:{info.CRC:08x}:{info.file_size}:{info.compress_size}"))
    return members
