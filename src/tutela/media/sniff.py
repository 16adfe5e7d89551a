"""Recognise a file by its leading bytes, never by its name.

Names lie (a PNG called ``.jpg``, an archive called ``.dat``); the content decides
how a file is processed, and a name that disagrees is reported as a warning.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import PurePosixPath

SNIFF_BYTES = 512


@dataclass(frozen=True)
class Sniffed:
    kind: str  # image | video | archive | model | other
    format: str  # jpeg, png, zip, mp4, ... or "unknown"


_HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1", b"mif2"}
_AVIF_BRANDS = {b"avif", b"avis"}
_QT_BRANDS = {b"qt  "}


def sniff(head: bytes) -> Sniffed:
    """Classify content from its first bytes (``SNIFF_BYTES`` is plenty)."""
    if head.startswith(b"\xff\xd8\xff"):
        return Sniffed("image", "jpeg")
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return Sniffed("image", "png")
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return Sniffed("image", "gif")
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return Sniffed("image", "webp")
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return Sniffed("video", "avi")
    if head[:2] == b"BM" and len(head) >= 26:
        return Sniffed("image", "bmp")
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return Sniffed("image", "tiff")
    if len(head) >= 12 and head[4:8] == b"ftyp":
        major = head[8:12]
        size = struct.unpack(">I", head[:4])[0]
        brands = {major} | {head[i : i + 4] for i in range(16, min(size, len(head)) - 3, 4)}
        if major in _AVIF_BRANDS:
            return Sniffed("image", "avif")
        if major in _HEIF_BRANDS:
            return Sniffed("image", "heif")
        if brands & _AVIF_BRANDS and not brands & {b"isom", b"mp41", b"mp42"}:
            return Sniffed("image", "avif")
        if brands & _HEIF_BRANDS and not brands & {b"isom", b"mp41", b"mp42"}:
            return Sniffed("image", "heif")
        if major in _QT_BRANDS:
            return Sniffed("video", "mov")
        return Sniffed("video", "mp4")
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return Sniffed("video", "webm" if b"webm" in head[:64] else "mkv")
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return Sniffed("archive", "zip")
    if head[:2] == b"\x1f\x8b":
        return Sniffed("archive", "gzip")
    if len(head) >= 262 and head[257:262] == b"ustar":
        return Sniffed("archive", "tar")
    return Sniffed("other", "unknown")


# What a file's extension promises; used only to warn when content disagrees.
_EXTENSION_FORMATS: dict[str, set[str]] = {
    ".jpg": {"jpeg"},
    ".jpeg": {"jpeg"},
    ".jpe": {"jpeg"},
    ".png": {"png"},
    ".gif": {"gif"},
    ".webp": {"webp"},
    ".bmp": {"bmp"},
    ".tif": {"tiff"},
    ".tiff": {"tiff"},
    ".heic": {"heif", "avif"},
    ".heif": {"heif", "avif"},
    ".avif": {"avif", "heif"},
    ".zip": {"zip"},
    ".tar": {"tar"},
    ".gz": {"gzip"},
    ".tgz": {"gzip"},
    ".mp4": {"mp4", "mov"},
    ".m4v": {"mp4", "mov"},
    ".mov": {"mov", "mp4"},
    ".webm": {"webm", "mkv"},
    ".mkv": {"mkv", "webm"},
    ".avi": {"avi"},
}


def extension_mismatch(name: str, sniffed: Sniffed) -> str | None:
    """Return a warning when a known extension promises another format than the content."""
    suffix = PurePosixPath(name).suffix.lower()
    expected = _EXTENSION_FORMATS.get(suffix)
    if expected is None or sniffed.format in expected:
        return None
    actual = sniffed.format if sniffed.format != "unknown" else "unrecognised content"
    return f"named {suffix} but the content is {actual}"
