"""Read a PNG's text chunks (tEXt, zTXt, iTXt) and eXIf without decoding pixels.

Written by hand because Pillow only sees text chunks that come *after* the image
data by decoding every pixel (``PngImageFile.text`` calls ``load()``), which costs
more than the whole metadata path; generators and editors do put chunks there.
Here the walker seeks over IDAT, caps every chunk and the total, and records each
problem instead of raising, so a hostile file costs bounded time and memory.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_TEXT_BYTES = 8 * 1024 * 1024
"""Largest text value kept (decompressed); big ComfyUI workflows are a few hundred KB."""
MAX_TOTAL_TEXT = 32 * 1024 * 1024
MAX_CHUNKS = 100_000


@dataclass
class PngChunks:
    text: dict[str, str] = field(default_factory=dict)
    """Keyword → text, first occurrence wins (later duplicates are listed in ``issues``)."""
    exif: bytes | None = None
    chunk_types: list[str] = field(default_factory=list)
    """Distinct non-critical chunk types in file order (``caBX`` is C2PA)."""
    issues: list[tuple[str, str]] = field(default_factory=list)
    """(kind, message) for each malformed or oversized chunk."""


def _decode_latin1_text(raw: bytes) -> str:
    # tEXt is Latin-1 by the spec, but Midjourney and others write UTF-8 bytes into it.
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _inflate(data: bytes, keyword: str, issues: list[tuple[str, str]]) -> bytes | None:
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(data, MAX_TEXT_BYTES)
    except zlib.error as exc:
        issues.append(("corrupt-text-chunk", f"compressed text {keyword!r} is damaged: {exc}"))
        return None
    if inflater.unconsumed_tail:
        issues.append(
            (
                "oversized-text-chunk",
                f"text {keyword!r} inflates beyond {MAX_TEXT_BYTES:,} bytes; ignored",
            )
        )
        return None
    return out


def parse_png_chunks(data: bytes) -> PngChunks:
    """Walk every chunk of a PNG held in memory; never raises."""
    found = PngChunks()
    if not data.startswith(PNG_SIGNATURE):
        found.issues.append(("not-png", "PNG signature missing"))
        return found
    pos, total, count = len(PNG_SIGNATURE), 0, 0
    seen_types: set[str] = set()
    while pos + 8 <= len(data):
        count += 1
        if count > MAX_CHUNKS:
            found.issues.append(("too-many-chunks", f"more than {MAX_CHUNKS:,} chunks; stopped"))
            break
        length, ctype_raw = struct.unpack(">I4s", data[pos : pos + 8])
        ctype = ctype_raw.decode("latin-1")
        start, end = pos + 8, pos + 8 + length
        if end + 4 > len(data):
            if ctype not in ("IEND",):
                found.issues.append(
                    (
                        "truncated-chunk",
                        f"{ctype} chunk declares {length:,} bytes past the file end",
                    )
                )
            break
        if ctype not in seen_types and not ctype[:1].isupper():
            found.chunk_types.append(ctype)
        seen_types.add(ctype)
        if ctype in ("tEXt", "zTXt", "iTXt"):
            if length > MAX_TEXT_BYTES:
                found.issues.append(
                    ("oversized-text-chunk", f"{ctype} chunk of {length:,} bytes; ignored")
                )
            elif total + length > MAX_TOTAL_TEXT:
                found.issues.append(
                    ("oversized-text-chunk", f"text chunks exceed {MAX_TOTAL_TEXT:,} bytes")
                )
            else:
                _read_text(ctype, data[start:end], found)
                total += length
        elif ctype == "eXIf" and found.exif is None:
            found.exif = data[start:end]
        elif ctype == "IEND":
            break
        pos = end + 4
    return found


def _read_text(ctype: str, body: bytes, found: PngChunks) -> None:
    keyword_raw, sep, rest = body.partition(b"\x00")
    if not sep or not keyword_raw or len(keyword_raw) > 79:
        found.issues.append(("corrupt-text-chunk", f"{ctype} chunk without a valid keyword"))
        return
    keyword = keyword_raw.decode("latin-1")
    value: str | None
    if ctype == "tEXt":
        value = _decode_latin1_text(rest)
    elif ctype == "zTXt":
        raw = _inflate(rest[1:], keyword, found.issues) if rest[:1] == b"\x00" else None
        value = None if raw is None else _decode_latin1_text(raw)
    else:
        if len(rest) < 2:
            found.issues.append(("corrupt-text-chunk", f"iTXt {keyword!r} is truncated"))
            return
        compressed, method = rest[0], rest[1]
        parts = rest[2:].split(b"\x00", 2)
        if len(parts) != 3:
            found.issues.append(("corrupt-text-chunk", f"iTXt {keyword!r} is truncated"))
            return
        payload = parts[2]
        if compressed:
            if method != 0:
                found.issues.append(("corrupt-text-chunk", f"iTXt {keyword!r}: unknown method"))
                return
            raw = _inflate(payload, keyword, found.issues)
            if raw is None:
                return
            payload = raw
        value = payload.decode("utf-8", errors="replace")
    if value is None:
        return
    if keyword in found.text:
        found.issues.append(("duplicate-text-chunk", f"text {keyword!r} appears more than once"))
        return
    found.text[keyword] = value
