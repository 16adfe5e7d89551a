"""The per-file pipeline: hash, skip what is known, sniff, decode, analyse, recurse into archives.

Pure with respect to the database: it may *ask* whether an item is already known
(so unchanged content is never decoded twice) but it never writes. That keeps it
usable from ``tutela hash`` (no database), the local process pool and Ray workers.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from tutela.engine.context import MediaContext
from tutela.engine.records import ErrorRecord, FileResult, ItemRecord, SignalRecord
from tutela.errors import (
    ArchiveTooDeep,
    ExtensionMismatch,
    MediaError,
    NotARegularFile,
    UnreadableFile,
    UnsupportedFormat,
)
from tutela.media.archives import Budget, Member, iter_members, iter_zip
from tutela.media.blob import Blob
from tutela.media.image import pdq_pixels
from tutela.media.limits import DEFAULT_LIMITS, Limits
from tutela.media.sniff import SNIFF_BYTES, Sniffed, extension_mismatch, sniff
from tutela.signals.hashes import crypto_hashes
from tutela.signals.pdq import pdq_from_pixels
from tutela.signals.registry import Analyzer, StreamTap

PDQ_PIXELS = "pdq_pixels"
"""``MediaContext`` cache key of the H×W×3 pixels PDQ was computed from (≤ 512 px,
possibly grey broadcast to three channels); analysers reuse them instead of decoding."""

KnownLookup = Callable[[str], "set[tuple[str, str]] | None"]
"""sha256 → the (signal name, version) pairs already stored, or None if the item is new."""


@dataclass
class Pipeline:
    limits: Limits = DEFAULT_LIMITS
    analyzers: list[Analyzer] = field(default_factory=list)
    pdq_max_side: int | None = 512
    known: KnownLookup | None = None
    options: dict[str, str] = field(default_factory=dict)
    """Feature settings (``PipelineSpec.extra``), handed to analysers as ``ctx.options``."""

    # -- entry points -------------------------------------------------------------

    def process_file(
        self, path: str, display: str | None = None, container_only: bool = False
    ) -> list[FileResult]:
        """One filesystem path (file or archive). Never raises for bad input."""
        where = display or path
        try:
            st = os.lstat(path)
        except OSError as exc:
            return [
                _error_result(
                    where, "missing", UnreadableFile(f"cannot stat: {exc.strerror or exc}", where)
                )
            ]
        fingerprint = file_fingerprint(st)
        if not stat.S_ISREG(st.st_mode):
            what = (
                "symbolic link (not followed)" if stat.S_ISLNK(st.st_mode) else "not a regular file"
            )
            return [_error_result(where, fingerprint, NotARegularFile(what, where))]
        try:
            blob = Blob.from_path(path, st.st_size, load_limit=0)
            if sniff(blob.head(SNIFF_BYTES)).kind != "video":
                # Other content is read once; videos are streamed from the file by their decoder.
                blob = Blob.from_path(path, st.st_size, load_limit=self.limits.max_decode_bytes)
        except OSError as exc:
            return [
                _error_result(
                    where, fingerprint, UnreadableFile(f"cannot read: {exc.strerror or exc}", where)
                )
            ]
        except MediaError as exc:
            return [_error_result(where, fingerprint, exc)]
        budget = Budget(self.limits.max_archive_total_bytes)
        return self.process_blob(
            blob, where, fingerprint, depth=0, budget=budget, recurse=not container_only
        )

    def process_zip_members(self, path: str, display: str, names: set[str]) -> list[FileResult]:
        """A slice of a large top-level zip, so one archive can use every core."""
        results: list[FileResult] = []
        budget = Budget(self.limits.max_archive_total_bytes)
        try:
            blob = Blob.from_path(path, load_limit=0)
            for member in iter_zip(blob, display, self.limits, budget, only=names):
                results.extend(self._member_results(member, display, 1, budget))
        except MediaError as exc:
            for name in sorted(names):
                results.append(_error_result(f"{display}!/{name}", "unreadable", exc))
        return results

    # -- core ---------------------------------------------------------------------

    def process_blob(
        self,
        blob: Blob,
        where: str,
        fingerprint: str,
        depth: int,
        budget: Budget,
        recurse: bool = True,
    ) -> list[FileResult]:
        errors: list[ErrorRecord] = []
        try:
            head = blob.head(SNIFF_BYTES)
            sniffed = sniff(head)
            taps: dict[str, StreamTap] = {}
            for analyzer in self.analyzers:
                if analyzer.stream is not None and sniffed.kind in analyzer.kinds:
                    tap = analyzer.stream(head, blob.size)
                    if tap is not None:
                        taps[analyzer.name] = tap
            hashes = crypto_hashes(blob.chunks(), [tap.update for tap in taps.values()])
        except OSError as exc:
            return [
                _error_result(
                    where, fingerprint, UnreadableFile(f"read failed: {exc.strerror or exc}", where)
                )
            ]
        if hashes.size == 0:
            item = ItemRecord(
                hashes.sha256,
                hashes.sha1,
                hashes.md5,
                0,
                "other",
                "empty",
                error_kind="empty-file",
                error_message="the file is empty",
            )
            return [FileResult(where, fingerprint, hashes.sha256, item, errors)]

        mismatch = extension_mismatch(where.rsplit("!/", 1)[-1], sniffed)
        if mismatch:
            errors.append(_record(ExtensionMismatch(mismatch, where), fatal=False))

        stored = self.known(hashes.sha256) if self.known else None
        todo = [a for a in self.analyzers if sniffed.kind in a.kinds]
        if stored is not None:
            todo = [a for a in todo if (a.name, a.version) not in stored]

        item = ItemRecord(
            hashes.sha256,
            hashes.sha1,
            hashes.md5,
            hashes.size,
            sniffed.kind,
            sniffed.format,
            new=stored is None,
        )
        results = [FileResult(where, fingerprint, hashes.sha256, item, errors)]

        pdq_input = None
        if stored is None and sniffed.kind == "image":
            pdq_input = self._hash_image(blob, sniffed, where, item)
        elif stored is None and sniffed.kind == "other":
            item.error_kind = UnsupportedFormat.kind
            item.error_message = "not a media format tutela recognises"

        if todo and item.error_kind is None:
            self._run_analyzers(todo, blob, sniffed, where, item, errors, taps, pdq_input)
        if stored is not None and not item.signals:
            results[0].item = None  # nothing new to store: only the location is recorded

        if sniffed.kind == "archive" and recurse:
            results.extend(self._walk_archive(blob, sniffed, where, depth, budget, item, errors))
        return results

    def _hash_image(
        self, blob: Blob, sniffed: Sniffed, where: str, item: ItemRecord
    ) -> np.ndarray | None:
        """Hash PDQ into ``item``; returns the pixels hashed, for analysers to reuse."""
        try:
            pixels, info = pdq_pixels(blob, sniffed.format, where, self.limits, self.pdq_max_side)
            item.width, item.height = info.width, info.height
            pdq = pdq_from_pixels(pixels)
            item.pdq, item.pdq_quality = pdq.hex, pdq.quality
            return pixels
        except MediaError as exc:
            item.error_kind, item.error_message = exc.kind, exc.message
            return None

    def _run_analyzers(
        self,
        todo: list[Analyzer],
        blob: Blob,
        sniffed: Sniffed,
        where: str,
        item: ItemRecord,
        errors: list[ErrorRecord],
        taps: dict[str, StreamTap],
        pdq_input: np.ndarray | None = None,
    ) -> None:
        ctx = MediaContext(blob, where, sniffed, self.limits, item.sha256, options=self.options)
        for name, tap in taps.items():
            ctx.remember(("tap", name), tap)
        if pdq_input is not None:
            ctx.remember(PDQ_PIXELS, pdq_input)
        for analyzer in todo:
            try:
                data = analyzer.run(ctx)
            except MediaError as exc:
                errors.append(ErrorRecord(f"{analyzer.name}:{exc.kind}", exc.message, False))
                continue
            except Exception as exc:  # an analyser bug must not lose the item
                errors.append(
                    ErrorRecord(f"{analyzer.name}:failed", f"{type(exc).__name__}: {exc}", False)
                )
                continue
            if data is not None:
                item.signals.append(SignalRecord(analyzer.name, analyzer.version, data))
        errors.extend(_record(w, fatal=False) for w in ctx.warnings)
        for key in ("width", "height", "format", "error_kind", "error_message"):
            if key in ctx.item_updates and item.new:
                setattr(item, key, ctx.item_updates[key])

    def _walk_archive(
        self,
        blob: Blob,
        sniffed: Sniffed,
        where: str,
        depth: int,
        budget: Budget,
        item: ItemRecord,
        errors: list[ErrorRecord],
    ) -> list[FileResult]:
        if depth >= self.limits.max_archive_depth:
            errors.append(
                _record(
                    ArchiveTooDeep(
                        f"nested deeper than {self.limits.max_archive_depth} archives; not opened",
                        where,
                    )
                )
            )
            return []
        results: list[FileResult] = []
        try:
            for member in iter_members(blob, sniffed.format, where, self.limits, budget):
                results.extend(self._member_results(member, where, depth + 1, budget))
        except MediaError as exc:
            errors.append(_record(exc))
            if item.error_kind is None and item.new:
                item.error_kind, item.error_message = exc.kind, exc.message
        return results

    def _member_results(
        self, member: Member, parent: str, depth: int, budget: Budget
    ) -> list[FileResult]:
        where = f"{parent}!/{member.name}"
        if member.blob is None:
            error = member.error or UnreadableFile("member could not be read", where)
            result = _error_result(where, member.fingerprint, error)
            if member.warning:
                result.errors.append(_record(member.warning, fatal=False))
            return [result]
        results = self.process_blob(member.blob, where, member.fingerprint, depth, budget)
        if member.warning:
            results[0].errors.append(_record(member.warning, fatal=False))
        return results


def file_fingerprint(st: os.stat_result) -> str:
    return f"file:{st.st_size}:{st.st_mtime_ns}"


def _record(exc: MediaError, fatal: bool = True) -> ErrorRecord:
    return ErrorRecord(exc.kind, exc.message, fatal)


def _error_result(where: str, fingerprint: str, exc: MediaError) -> FileResult:
    return FileResult(where, fingerprint, None, None, [_record(exc)])
