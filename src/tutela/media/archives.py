"""Read archives in place: members are streamed from the archive, never written to disk.

Hostile archives are the norm in seized material, so every member is checked
before it is read: unsafe names (absolute, ``..``) are reported, links are not
followed, declared and actual sizes are bounded, and compression ratios beyond
a limit are treated as bombs. Python's ``zipfile``/``tarfile`` do the parsing;
only the guard rails are ours.
"""

from __future__ import annotations

import gzip
import io
import posixpath
import tarfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from tutela.errors import (
    ArchiveBomb,
    ArchiveError,
    FileTooLarge,
    MediaError,
    UnsafeArchivePath,
)
from tutela.media.blob import CHUNK, Blob
from tutela.media.limits import Limits


@dataclass
class Member:
    """One archive member: its safe name, its content, and a fingerprint for resuming."""

    name: str
    blob: Blob | None
    fingerprint: str
    error: MediaError | None = None
    warning: MediaError | None = None


class Budget:
    """Uncompressed bytes still allowed from one top-level archive (shared by nested ones)."""

    def __init__(self, limit: int) -> None:
        self.remaining = limit

    def spend(self, n: int, where: str) -> None:
        self.remaining -= n
        if self.remaining < 0:
            raise ArchiveBomb("archive inflates beyond the total size limit", where)


def safe_member_name(raw: str) -> tuple[str, str | None]:
    """Normalise a member name; return it with a warning when it tried to escape."""
    name = raw.replace("\\", "/")
    warning = None
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        warning = f"absolute member path {raw!r}"
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if ".." in parts:
        warning = f"member path {raw!r} climbs out of the archive"
    parts = [p for p in parts if p != ".."]
    clean = posixpath.join(*parts) if parts else "_"
    if len(clean) > 1 and clean[1] == ":":
        clean = clean[2:].lstrip("/") or "_"
    return clean, warning


class _Readable(Protocol):
    def read(self, n: int = -1, /) -> bytes: ...


def _read_bounded(stream: _Readable, limit: int, where: str) -> bytes:
    buf = io.BytesIO()
    while chunk := stream.read(CHUNK):
        buf.write(chunk)
        if buf.tell() > limit:
            raise ArchiveBomb(f"member inflates beyond {limit} bytes", where)
    return buf.getvalue()


def _member_blob(data: bytes) -> Blob:
    return Blob.from_bytes(data)


def iter_zip(
    blob: Blob, where: str, limits: Limits, budget: Budget, only: set[str] | None = None
) -> Iterator[Member]:
    """Yield the members of a zip archive (all, or only the names in ``only``)."""
    try:
        zf = zipfile.ZipFile(blob.open())
        infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
        raise ArchiveError(f"unreadable zip archive: {exc}", where) from exc
    if len(infos) > limits.max_archive_members:
        raise ArchiveBomb(f"zip lists {len(infos)} members", where)
    with zf:
        for info in infos:
            if info.is_dir():
                continue
            name, warn = safe_member_name(info.filename)
            if only is not None and name not in only:
                continue
            member_where = f"{where}!/{name}"
            fingerprint = f"zip:{info.CRC:08x}:{info.file_size}:{info.compress_size}"
            warning = UnsafeArchivePath(warn, member_where) if warn else None
            error = _zip_member_error(info, member_where, limits)
            if error is not None:
                yield Member(name, None, fingerprint, error=error, warning=warning)
                continue
            try:
                budget.spend(info.file_size, member_where)
                with zf.open(info) as stream:
                    data = _read_bounded(stream, max(info.file_size, 0), member_where)
                yield Member(name, _member_blob(data), fingerprint, warning=warning)
            except MediaError as exc:
                yield Member(name, None, fingerprint, error=exc, warning=warning)
            except (
                zipfile.BadZipFile,
                OSError,
                EOFError,
                zlib.error,
                ValueError,
                NotImplementedError,
                RuntimeError,
            ) as exc:
                error = ArchiveError(f"member cannot be read: {exc}", member_where)
                yield Member(name, None, fingerprint, error=error, warning=warning)


def _zip_member_error(info: zipfile.ZipInfo, where: str, limits: Limits) -> MediaError | None:
    if info.flag_bits & 0x1:
        return ArchiveError("member is encrypted", where)
    if info.file_size > limits.max_archive_member_bytes:
        return FileTooLarge(f"member declares {info.file_size} bytes", where)
    ratio = info.file_size / max(info.compress_size, 1)
    if info.file_size > limits.archive_ratio_min_bytes and ratio > limits.max_archive_ratio:
        return ArchiveBomb(f"member compression ratio {ratio:.0f}:1 exceeds the limit", where)
    return None


def zip_member_names(blob: Blob, where: str) -> list[str]:
    """List safe member names of a zip (for splitting big archives across workers)."""
    try:
        with zipfile.ZipFile(blob.open()) as zf:
            return [safe_member_name(i.filename)[0] for i in zf.infolist() if not i.is_dir()]
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise ArchiveError(f"unreadable zip archive: {exc}", where) from exc


def iter_tar(blob: Blob, where: str, limits: Limits, budget: Budget) -> Iterator[Member]:
    """Yield regular-file members of a (possibly compressed) tar, streaming in order."""
    compressed_size = blob.size
    inflated = 0
    try:
        tf = tarfile.open(fileobj=blob.open(), mode="r|*")  # noqa: SIM115 (closed below)
    except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
        raise ArchiveError(f"unreadable tar archive: {exc}", where) from exc
    count = 0
    with tf:
        try:
            for info in tf:
                count += 1
                if count > limits.max_archive_members:
                    raise ArchiveBomb(
                        f"tar holds more than {limits.max_archive_members} members", where
                    )
                name, warn = safe_member_name(info.name)
                member_where = f"{where}!/{name}"
                fingerprint = f"tar:{info.size}:{info.mtime}:{info.chksum}"
                if info.issym() or info.islnk():
                    link = UnsafeArchivePath(
                        f"link to {info.linkname!r} not followed", member_where
                    )
                    yield Member(name, None, fingerprint, error=link)
                    continue
                if not info.isreg():
                    continue
                warning = UnsafeArchivePath(warn, member_where) if warn else None
                if info.size > limits.max_archive_member_bytes:
                    error = FileTooLarge(f"member declares {info.size} bytes", member_where)
                    yield Member(name, None, fingerprint, error=error, warning=warning)
                    continue
                inflated += info.size
                ratio = inflated / max(compressed_size, 1)
                if inflated > limits.archive_ratio_min_bytes and ratio > limits.max_archive_ratio:
                    raise ArchiveBomb(
                        f"archive compression ratio {ratio:.0f}:1 exceeds the limit", where
                    )
                budget.spend(info.size, member_where)
                stream = tf.extractfile(info)
                if stream is None:
                    continue
                data = _read_bounded(stream, info.size, member_where)
                yield Member(name, _member_blob(data), fingerprint, warning=warning)
        except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
            raise ArchiveError(
                f"tar archive is damaged after {count} members: {exc}", where
            ) from exc


def iter_gzip(blob: Blob, where: str, limits: Limits, budget: Budget) -> Iterator[Member]:
    """A gzip that is not a tar: its one decompressed member."""
    name = posixpath.basename(where.rsplit("!/", 1)[-1])
    name = name[:-3] if name.lower().endswith(".gz") else name + ".out"
    cap = min(
        limits.max_archive_member_bytes,
        max(limits.archive_ratio_min_bytes, int(blob.size * limits.max_archive_ratio)),
    )
    member_where = f"{where}!/{name}"
    try:
        with gzip.GzipFile(fileobj=blob.open()) as gz:
            data = _read_bounded(gz, cap, member_where)
    except (OSError, EOFError, zlib.error) as exc:
        raise ArchiveError(f"unreadable gzip stream: {exc}", where) from exc
    budget.spend(len(data), member_where)
    yield Member(name, _member_blob(data), f"gz:{len(data)}")


def is_tar(blob: Blob) -> bool:
    """True when a gzip (or plain) blob holds a tar stream."""
    try:
        with tarfile.open(fileobj=blob.open(), mode="r|*") as tf:
            return tf.next() is not None
    except (tarfile.TarError, OSError, EOFError, zlib.error):
        return False


def iter_members(
    blob: Blob, fmt: str, where: str, limits: Limits, budget: Budget
) -> Iterator[Member]:
    if fmt == "zip":
        return iter_zip(blob, where, limits, budget)
    if fmt == "tar" or (fmt == "gzip" and is_tar(blob)):
        return iter_tar(blob, where, limits, budget)
    if fmt == "gzip":
        return iter_gzip(blob, where, limits, budget)
    raise ArchiveError(f"not an archive format: {fmt}", where)
