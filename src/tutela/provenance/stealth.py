"""Stealth PNG info: text hidden in the least significant bits of the alpha channel.

Used by the A1111/Forge "stealth_pnginfo" extension and by NovelAI, so the metadata
survives tools that strip text chunks. Bits are read column by column (x outer, y
inner), most significant bit first: a 15-byte magic, a 32-bit big-endian payload
length *in bits*, then the payload (gzip for ``stealth_pngcomp``, UTF-8 for
``stealth_pnginfo``). Vectorised with numpy instead of the reference bit loop.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np

MAGICS = {b"stealth_pngcomp": True, b"stealth_pnginfo": False}
MAGIC_BITS = 15 * 8
MAX_PAYLOAD_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class StealthPayload:
    magic: str
    text: str


class StealthError(ValueError):
    pass


def _lsb_stream(alpha: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(alpha.T).reshape(-1) & 1


def extract(rgba: np.ndarray) -> StealthPayload | None:
    """The hidden payload of an H×W×4 uint8 array, None when there is no magic.

    Raises :class:`StealthError` when the magic is present but the payload is broken.
    """
    if rgba.ndim != 3 or rgba.shape[2] != 4:
        return None
    bits = _lsb_stream(rgba[:, :, 3])
    if bits.size < MAGIC_BITS + 32:
        return None
    magic = np.packbits(bits[:MAGIC_BITS]).tobytes()
    if magic not in MAGICS:
        return None
    length = int.from_bytes(np.packbits(bits[MAGIC_BITS : MAGIC_BITS + 32]).tobytes(), "big")
    start = MAGIC_BITS + 32
    if length <= 0 or length % 8 or length // 8 > MAX_PAYLOAD_BYTES:
        raise StealthError(f"declared payload of {length} bits is not a usable length")
    if start + length > bits.size:
        raise StealthError(
            f"declared payload of {length // 8:,} bytes is longer than the image can hold"
        )
    payload = np.packbits(bits[start : start + length]).tobytes()
    if MAGICS[magic]:
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            payload = inflater.decompress(payload, MAX_PAYLOAD_BYTES)
        except zlib.error as exc:
            raise StealthError(f"gzip payload is damaged: {exc}") from exc
        if inflater.unconsumed_tail:
            raise StealthError(f"payload inflates beyond {MAX_PAYLOAD_BYTES:,} bytes")
    return StealthPayload(magic.decode(), payload.decode("utf-8", errors="replace"))


def embed(rgba: np.ndarray, text: str, compress: bool = True) -> np.ndarray:
    """Write ``text`` into the alpha LSBs (what the A1111 extension does); for test fixtures."""
    import gzip

    body = gzip.compress(text.encode()) if compress else text.encode()
    magic = b"stealth_pngcomp" if compress else b"stealth_pnginfo"
    message = magic + (len(body) * 8).to_bytes(4, "big") + body
    bits = np.unpackbits(np.frombuffer(message, dtype=np.uint8))
    out = rgba.copy()
    column_major = np.ascontiguousarray(out[:, :, 3].T).reshape(-1)
    if bits.size > column_major.size:
        raise ValueError("image too small for the payload")
    column_major[: bits.size] = (column_major[: bits.size] & 0xFE) | bits
    out[:, :, 3] = column_major.reshape(out.shape[1], out.shape[0]).T
    return out
