"""PDQ hashes as packed machine words, converted in bulk.

The index stores a 256-bit PDQ hash as four ``uint64`` words (the 32 bytes of
the hex string, in order, viewed little-endian). Hamming distance does not
depend on bit order, so any fixed view works; this one lets hex, raw bytes and
words convert with one NumPy call for a whole batch instead of a Python loop.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from tutela.signals.pdq import hex_to_bytes

PDQ_BYTES = 32
PDQ_WORDS = 4

Words = NDArray[np.uint64]
"""An ``(n, 4)`` C-contiguous ``uint64`` array: one PDQ hash per row."""

HashInput = Sequence[str] | NDArray[np.uint8] | NDArray[np.uint64]


def hex_to_words(hashes: Sequence[str]) -> Words:
    """Many 64-digit hex strings → ``(n, 4)`` words (raises ``ValueError`` naming a bad row)."""
    n = len(hashes)
    if n == 0:
        return np.zeros((0, PDQ_WORDS), dtype=np.uint64)
    joined = "".join(hashes)
    try:
        raw = bytes.fromhex(joined) if len(joined) == 64 * n else b""
    except ValueError:
        raw = b""
    if len(raw) != PDQ_BYTES * n:
        # Slow path only to name the first bad value for the error message.
        for row, value in enumerate(hashes):
            try:
                hex_to_bytes(value)
            except (ValueError, TypeError, AttributeError) as exc:
                raise ValueError(f"PDQ hash #{row} ({value!r:.80}): {exc}") from None
            if len(value) != 64:
                raise ValueError(f"PDQ hash #{row} ({value!r:.80}) has surrounding whitespace")
        raise ValueError("invalid PDQ hex hashes")  # pragma: no cover - the loop finds it
    return np.frombuffer(raw, dtype="<u8").reshape(n, PDQ_WORDS).astype(np.uint64)


def bytes_to_words(hashes: NDArray[np.uint8]) -> Words:
    """An ``(n, 32)`` ``uint8`` array (e.g. ``np.packbits`` of PDQ bits) → ``(n, 4)`` words."""
    if hashes.ndim != 2 or hashes.shape[1] != PDQ_BYTES:
        raise ValueError(f"packed PDQ hashes must have shape (n, 32), got {hashes.shape}")
    packed = np.ascontiguousarray(hashes, dtype=np.uint8)
    return packed.view("<u8").reshape(len(packed), PDQ_WORDS).astype(np.uint64)


def to_words(hashes: HashInput) -> Words:
    """Accept hex strings (a sequence or a NumPy string array), ``(n, 32)`` uint8 bytes
    or ``(n, 4)`` uint64 words."""
    if isinstance(hashes, np.ndarray):
        if hashes.dtype == np.uint8:
            return bytes_to_words(hashes.astype(np.uint8, copy=False))
        if hashes.dtype.kind == "U" and hashes.ndim == 1:
            return hex_to_words(hashes.tolist())
        if hashes.dtype == np.uint64 and hashes.ndim == 2 and hashes.shape[1] == PDQ_WORDS:
            return np.ascontiguousarray(hashes)
        raise ValueError(
            f"PDQ hash arrays are (n, 32) uint8 or (n, 4) uint64, got {hashes.shape} {hashes.dtype}"
        )
    if isinstance(hashes, str):
        raise TypeError("pass a sequence of hex strings, not a single string")
    return hex_to_words(hashes)


def words_to_bytes(words: Words) -> NDArray[np.uint8]:
    """``(n, 4)`` words → ``(n, 32)`` packed bytes."""
    return np.ascontiguousarray(words, dtype="<u8").view(np.uint8).reshape(len(words), PDQ_BYTES)


def words_to_hex(words: Words) -> list[str]:
    """``(n, 4)`` words → 64-digit lowercase hex strings."""
    flat = words_to_bytes(words).tobytes().hex()
    return [flat[i : i + 64] for i in range(0, len(flat), 64)]


def as_ids(ids: ArrayLike) -> NDArray[np.int64]:
    """Entry ids as a 1-D ``int64`` array (database primary keys are signed 64-bit)."""
    arr = np.asarray(ids)
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1:
        raise ValueError(f"ids must be one-dimensional, got shape {arr.shape}")
    if arr.size == 0:
        return np.zeros(0, dtype=np.int64)
    if arr.dtype.kind not in "iu":
        raise ValueError(f"ids must be integers, got {arr.dtype}")
    if arr.dtype == np.uint64 and int(arr.max()) > np.iinfo(np.int64).max:
        raise ValueError("ids must fit in a signed 64-bit integer")
    return arr.astype(np.int64, copy=False)
