"""Read a file's metadata containers once, without decoding pixels.

Every evidence reader (generators, XMP/IPTC, camera, C2PA) works from the one
:class:`FileMetadata` built here, so a file is opened and parsed once however many
readers look at it. Each damaged container becomes a :class:`ProvenanceIssue`.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass, field
from typing import Any

from PIL import Image, IptcImagePlugin

from tutela.provenance.model import ProvenanceIssue
from tutela.provenance.pngchunks import parse_png_chunks

EXIF_IFD = 0x8769

IFD0_TAGS = {
    0x010D: "DocumentName",
    0x010E: "ImageDescription",
    0x010F: "Make",
    0x0110: "Model",
    0x0131: "Software",
    0x013B: "Artist",
    0x8298: "Copyright",
}
EXIF_TAGS = {
    0x9003: "DateTimeOriginal",
    0x829A: "ExposureTime",
    0x829D: "FNumber",
    0x8827: "ISOSpeedRatings",
    0x920A: "FocalLength",
    0xA431: "BodySerialNumber",
    0xA433: "LensMake",
    0xA434: "LensModel",
}
USER_COMMENT = 0x9286
MAKER_NOTE = 0x927C
MAX_XMP_BYTES = 4 * 1024 * 1024


@dataclass
class FileMetadata:
    format: str
    width: int | None = None
    height: int | None = None
    mode: str | None = None
    text: dict[str, str] = field(default_factory=dict)
    """PNG text chunks by keyword; a JPEG comment (COM) appears as ``comment``."""
    exif: dict[str, str] = field(default_factory=dict)
    """Selected EXIF tags by name (IFD0 and the Exif IFD), as text."""
    user_comment: str | None = None
    maker_note_bytes: int = 0
    xmp: str | None = None
    iptc: dict[str, list[str]] = field(default_factory=dict)
    quantization: dict[int, list[int]] | None = None
    chunk_types: list[str] = field(default_factory=list)
    c2pa_marker: bool = False
    """The bytes contain a JUMBF/C2PA box label: worth asking the C2PA SDK."""
    issues: list[ProvenanceIssue] = field(default_factory=list)

    @property
    def has_alpha(self) -> bool:
        return self.mode in ("RGBA", "LA", "RGBa", "La", "PA")

    def issue(self, source: str, kind: str, message: str) -> None:
        self.issues.append(ProvenanceIssue(source, kind, message))


def decode_user_comment(raw: Any) -> str | None:
    """EXIF UserComment: an 8-byte charset prefix, then text (A1111 writes UTF-16)."""
    if isinstance(raw, str):
        return raw.strip("\x00 ") or None
    if not isinstance(raw, bytes | bytearray) or not raw:
        return None
    prefix, body = bytes(raw[:8]), bytes(raw[8:])
    if prefix == b"UNICODE\x00":
        # Endianness is not recorded; ASCII-heavy text has its zero bytes on one side.
        even_zero = body[0::2].count(0)
        odd_zero = body[1::2].count(0)
        codec = "utf-16-be" if even_zero > odd_zero else "utf-16-le"
        if body[:2] in (b"\xff\xfe", b"\xfe\xff"):
            codec = "utf-16"
        text = body.decode(codec, errors="replace")
    elif prefix == b"ASCII\x00\x00\x00" or prefix == b"\x00" * 8:
        text = body.decode("utf-8", errors="replace")
    elif prefix.startswith(b"JIS"):
        text = body.decode("shift_jis", errors="replace")
    else:
        text = bytes(raw).decode("utf-8", errors="replace")
    text = text.strip("\x00 \n")
    return text or None


def _text(value: Any) -> str:
    """A tag value as text, cut at the first NUL (some firmware pads tags with other tags)."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    return str(value).split("\x00", 1)[0].strip()


def _read_exif(exif: Image.Exif, meta: FileMetadata) -> None:
    for tag, name in IFD0_TAGS.items():
        if tag in exif and exif[tag] not in (None, b"", ""):
            meta.exif[name] = _text(exif[tag])
    try:
        sub = exif.get_ifd(EXIF_IFD)
    except Exception as exc:  # Pillow raises many types on broken offsets
        meta.issue("exif", "corrupt-exif", f"Exif IFD unreadable: {type(exc).__name__}: {exc}")
        return
    for tag, name in EXIF_TAGS.items():
        if tag in sub and sub[tag] not in (None, b"", ""):
            meta.exif[name] = _text(sub[tag])
    if USER_COMMENT in sub:
        meta.user_comment = decode_user_comment(sub[USER_COMMENT])
    note = sub.get(MAKER_NOTE)
    if isinstance(note, bytes | bytearray | str):
        meta.maker_note_bytes = len(note)


def _parse_iim(raw: bytes, meta: FileMetadata) -> None:
    """IPTC-IIM records (``0x1C``, record, dataset, 2-byte length, value)."""
    pos = 0
    while pos + 5 <= len(raw):
        if raw[pos] != 0x1C:
            pos += 1
            continue
        record, dataset = raw[pos + 1], raw[pos + 2]
        length = int.from_bytes(raw[pos + 3 : pos + 5], "big")
        if length & 0x8000:  # extended length: not used by text datasets
            meta.issue("iptc", "corrupt-iptc", "extended-length IPTC dataset skipped")
            return
        value = raw[pos + 5 : pos + 5 + length]
        meta.iptc.setdefault(f"{record}:{dataset}", []).append(
            value.decode("utf-8", errors="replace")
        )
        pos += 5 + length


def _read_iptc(im: Image.Image, meta: FileMetadata) -> None:
    value = im.info.get("IPTC") or im.info.get("iptc")
    raw: bytes | None = None
    if isinstance(value, str):
        try:
            raw = bytes.fromhex("".join(value.split()))
        except ValueError:
            meta.issue("iptc", "corrupt-iptc", "IPTC profile is not hex text")
    elif isinstance(value, bytes):
        raw = value
    if raw is None and meta.format == "jpeg":
        try:
            info = IptcImagePlugin.getiptcinfo(im)  # type: ignore[arg-type]
        except Exception as exc:
            meta.issue("iptc", "corrupt-iptc", f"IPTC block unreadable: {exc}")
            return
        if info:
            for (record, dataset), val in info.items():
                values = val if isinstance(val, list) else [val]
                meta.iptc[f"{record}:{dataset}"] = [
                    v.decode("utf-8", errors="replace") if isinstance(v, bytes) else str(v)
                    for v in values
                ]
        return
    if raw:
        _parse_iim(raw, meta)


def _xmp_text(value: Any) -> str | None:
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, str):
        return value
    return None


def jpeg_has_app11(data: bytes) -> bool:
    """Whether a JPEG carries an APP11 (JUMBF, where C2PA lives) segment before its image data."""
    pos = 2
    while pos + 4 <= len(data) and data[pos] == 0xFF:
        marker = data[pos + 1]
        if marker == 0xFF:
            pos += 1
            continue
        if marker == 0xDA:  # start of scan: no metadata segments follow
            return False
        if marker == 0xEB:
            return True
        pos += 2 + int.from_bytes(data[pos + 2 : pos + 4], "big")
    return False


def read_container(data: bytes, fmt: str) -> FileMetadata:
    """Everything the metadata readers need from ``data`` (sniffed as ``fmt``)."""
    meta = FileMetadata(format=fmt)
    if fmt == "jpeg":
        meta.c2pa_marker = jpeg_has_app11(data)
    elif fmt != "png":
        meta.c2pa_marker = b"jumb" in data or b"c2pa" in data
    if fmt == "png":
        chunks = parse_png_chunks(data)
        meta.text = chunks.text
        meta.chunk_types = chunks.chunk_types
        for kind, message in chunks.issues:
            meta.issue("png-text", kind, message)
        meta.xmp = meta.text.pop("XML:com.adobe.xmp", None)
        meta.c2pa_marker = "caBX" in chunks.chunk_types
    if fmt in ("heif", "avif"):
        from tutela.media.image import _register_heif

        _register_heif()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            im = Image.open(io.BytesIO(data))
            meta.width, meta.height = im.size
            meta.mode = im.mode
            if meta.xmp is None:
                meta.xmp = _xmp_text(im.info.get("xmp"))
            if fmt == "jpeg":
                comment = im.info.get("comment")
                if comment:
                    meta.text["comment"] = _text(comment)
                quant = getattr(im, "quantization", None)
                if quant:
                    meta.quantization = {int(k): list(v) for k, v in quant.items()}
            try:
                if fmt == "png":
                    # PngImageFile.getexif() decodes every pixel; the walker already has eXIf.
                    exif = Image.Exif()
                    if chunks.exif:
                        exif.load(chunks.exif)
                else:
                    exif = im.getexif()
                _read_exif(exif, meta)
            except Exception as exc:
                meta.issue("exif", "corrupt-exif", f"EXIF unreadable: {type(exc).__name__}: {exc}")
            _read_iptc(im, meta)
    except Exception as exc:
        meta.issue("container", "unreadable", f"{type(exc).__name__}: {exc}")
    if meta.xmp is not None and len(meta.xmp) > MAX_XMP_BYTES:
        meta.issue("xmp", "oversized-xmp", f"XMP packet of {len(meta.xmp):,} characters ignored")
        meta.xmp = None
    return meta
