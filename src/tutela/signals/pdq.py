"""PDQ perceptual hashes: Meta's reference C++ core (via ``pdqhash``) on pixels we prepare.

The hashing core is the reference implementation itself, so on the same luma
buffer tutela's PDQ equals the reference bit for bit. Speed comes from what is
fed to it (see :func:`tutela.media.image.pdq_pixels`), and from converting bits
with NumPy instead of Python strings.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pdqhash

PDQ_MATCH_THRESHOLD = 31
"""Hamming distance (of 256 bits) at or below which two PDQ hashes match."""

PDQ_QUALITY_THRESHOLD = 50
"""Hashes of lower quality are not matched (too little structure to be reliable)."""

DIHEDRAL_NAMES = (
    "original",
    "rotate90",
    "rotate180",
    "rotate270",
    "flip_x",
    "flip_y",
    "flip_plus1",
    "flip_minus1",
)


@dataclass(frozen=True)
class PdqHash:
    hex: str
    quality: int


def bits_to_hex(bits: np.ndarray) -> str:
    return np.packbits(np.asarray(bits, dtype=np.uint8)).tobytes().hex()


def hex_to_bytes(value: str) -> bytes:
    value = value.strip().lower()
    if len(value) != 64:
        raise ValueError(f"a PDQ hash has 64 hex digits, got {len(value)}")
    return bytes.fromhex(value)


def pdq_from_pixels(pixels: np.ndarray) -> PdqHash:
    """Hash an H×W×3 uint8 array (the reference computes float luma from it)."""
    if pixels.ndim != 3 or pixels.shape[2] < 3:
        raise ValueError("PDQ needs an H×W×3 array")
    bits, quality = pdqhash.compute(pixels)
    return PdqHash(bits_to_hex(bits), int(quality))


def pdq_dihedral_from_pixels(pixels: np.ndarray) -> tuple[dict[str, str], int]:
    """The eight rotation/flip hashes from one DCT (for dihedral matching)."""
    vectors, quality = pdqhash.compute_dihedral(pixels)
    return {name: bits_to_hex(v) for name, v in zip(DIHEDRAL_NAMES, vectors, strict=True)}, int(
        quality
    )


def hamming(a: str, b: str) -> int:
    """Bit distance between two PDQ hex strings."""
    return (int(a, 16) ^ int(b, 16)).bit_count()
