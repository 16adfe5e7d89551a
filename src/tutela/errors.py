"""Error types that batch code records per file and then carries on.

Each error has a stable ``kind`` (used in summaries, JSON output and the store)
and a message a user can act on. Batch code never lets one of these stop a run.
"""

from __future__ import annotations


class TutelaError(Exception):
    """Base class: ``kind`` is a short stable identifier, ``path`` where it happened."""

    kind = "error"

    def __init__(self, message: str, path: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = path

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class MediaError(TutelaError):
    """A single file could not be processed as media."""

    kind = "media-error"


class EmptyFile(MediaError):
    kind = "empty-file"


class UnreadableFile(MediaError):
    kind = "unreadable"


class NotARegularFile(MediaError):
    kind = "not-a-regular-file"


class FileTooLarge(MediaError):
    kind = "file-too-large"


class UnsupportedFormat(MediaError):
    kind = "unsupported-format"


class CorruptMedia(MediaError):
    kind = "corrupt"


class TruncatedMedia(MediaError):
    kind = "truncated"


class DecompressionBomb(MediaError):
    kind = "decompression-bomb"


class ArchiveError(MediaError):
    kind = "archive-corrupt"


class ArchiveBomb(ArchiveError):
    kind = "archive-bomb"


class ArchiveTooDeep(ArchiveError):
    kind = "archive-too-deep"


class UnsafeArchivePath(ArchiveError):
    kind = "unsafe-archive-path"


class ExtensionMismatch(MediaError):
    """Not fatal: the content was processed by what it is, not what it is called."""

    kind = "extension-mismatch"


class ConfigError(TutelaError):
    kind = "config"


class StoreError(TutelaError):
    kind = "store"
