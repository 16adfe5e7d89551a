"""Cryptographic hashes computed in one pass over the content."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class CryptoHashes:
    sha256: str
    sha1: str
    md5: str
    size: int


def crypto_hashes(
    chunks: Iterable[bytes], also: Sequence[Callable[[bytes], None]] = ()
) -> CryptoHashes:
    """MD5, SHA-1 and SHA-256 from a single read of the content; ``also`` sees every chunk."""
    sha256, sha1, md5 = hashlib.sha256(), hashlib.sha1(), hashlib.md5()
    size = 0
    for chunk in chunks:
        sha256.update(chunk)
        sha1.update(chunk)
        md5.update(chunk)
        for update in also:
            update(chunk)
        size += len(chunk)
    return CryptoHashes(sha256.hexdigest(), sha1.hexdigest(), md5.hexdigest(), size)
