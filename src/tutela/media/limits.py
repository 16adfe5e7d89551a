"""Resource limits that keep hostile input from exhausting memory, disk or time."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """Every limit that protects a batch from one bad file.

    The defaults suit a workstation scanning a seized drive: generous for real
    photographs (a 200-megapixel panorama decodes), strict for bombs.
    """

    max_pixels: int = 200_000_000
    """Images with more pixels are recorded as decompression bombs and not decoded."""

    max_decode_bytes: int = 256 * 1024 * 1024
    """Files larger than this are hashed (streamed) but not decoded as images."""

    max_archive_depth: int = 3
    """Archives nested deeper than this are recorded as ``archive-too-deep``."""

    max_archive_member_bytes: int = 2 * 1024**3
    """Largest uncompressed size accepted for one archive member."""

    max_archive_total_bytes: int = 32 * 1024**3
    """Largest uncompressed total read from one archive (including nested ones)."""

    max_archive_ratio: float = 200.0
    """Compression ratio above which a member is treated as an archive bomb ..."""

    archive_ratio_min_bytes: int = 16 * 1024 * 1024
    """... but only once the member would inflate beyond this size (small text compresses well)."""

    max_archive_members: int = 1_000_000
    """Archives listing more members than this are refused."""


DEFAULT_LIMITS = Limits()
