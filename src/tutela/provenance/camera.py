"""Camera evidence: EXIF make/model/lens, maker notes, JPEG quantisation tables.

All of it is weak: EXIF is copied by editors, written by anyone with exiftool, and
stripped by every platform. It can only say "the file looks like it came from a
camera", never that the scene is real. Quantisation tables add a consistency hint:
the standard libjpeg (IJG) tables scaled to some quality are what servers, Pillow
and most software write (including generator back ends), while cameras mostly use
their own tables.
"""

from __future__ import annotations

from functools import cache

from tutela.provenance.container import FileMetadata
from tutela.provenance.model import Evidence

IJG_LUMA = [
    16,
    11,
    10,
    16,
    24,
    40,
    51,
    61,
    12,
    12,
    14,
    19,
    26,
    58,
    60,
    55,
    14,
    13,
    16,
    24,
    40,
    57,
    69,
    56,
    14,
    17,
    22,
    29,
    51,
    87,
    80,
    62,
    18,
    22,
    37,
    56,
    68,
    109,
    103,
    77,
    24,
    35,
    55,
    64,
    81,
    104,
    113,
    92,
    49,
    64,
    78,
    87,
    103,
    121,
    120,
    101,
    72,
    92,
    95,
    98,
    112,
    100,
    103,
    99,
]
IJG_CHROMA = [
    17,
    18,
    24,
    47,
    99,
    99,
    99,
    99,
    18,
    21,
    26,
    66,
    99,
    99,
    99,
    99,
    24,
    26,
    56,
    99,
    99,
    99,
    99,
    99,
    47,
    66,
    99,
    99,
    99,
    99,
    99,
    99,
    *([99] * 32),
]
SOFTWARE_MAKES = {"black forest labs"}
"""``Make`` values written by generators, never by cameras."""


def _plausible(value: str) -> bool:
    return len(value) <= 64 and not any(c in value for c in "{}[]:\n")


def ijg_table(base: list[int], quality: int) -> list[int]:
    scale = 5000 // quality if quality < 50 else 200 - quality * 2
    return [min(255, max(1, (b * scale + 50) // 100)) for b in base]


@cache
def _qualities() -> dict[tuple[int, ...], int]:
    """Standard luminance table → the highest IJG quality that produces it."""
    return {tuple(ijg_table(IJG_LUMA, q)): q for q in range(1, 101)}


def ijg_quality(tables: dict[int, list[int]]) -> int | None:
    """The IJG quality whose standard tables these are exactly, or None."""
    luma = tables.get(0)
    if luma is None or len(luma) != 64:
        return None
    quality = _qualities().get(tuple(luma))
    chroma = tables.get(1)
    if quality is None or (chroma is not None and ijg_table(IJG_CHROMA, quality) != list(chroma)):
        return None
    return quality


def camera_evidence(meta: FileMetadata) -> list[Evidence]:
    found: list[Evidence] = []
    make, model = meta.exif.get("Make", ""), meta.exif.get("Model", "")
    if not (_plausible(make) and _plausible(model)):
        make = model = ""  # ComfyUI stores its graphs in these tags
    if (make or model) and make.lower() not in SOFTWARE_MAKES:
        facts = {k: v for k, v in meta.exif.items() if k in CAMERA_FIELDS}
        lens = meta.exif.get("LensModel")
        found.append(
            Evidence(
                "exif",
                "camera-metadata",
                f"EXIF names a camera: {make} {model}".strip()
                + (f", lens {lens}" if lens else "")
                + "; easily copied or forged",
                "weak",
                "exif:Make/Model",
                "camera",
                facts,
            )
        )
    if meta.maker_note_bytes and found:
        found.append(
            Evidence(
                "exif",
                "camera-metadata",
                f"EXIF maker note of {meta.maker_note_bytes:,} bytes (camera firmware writes "
                "these; editors may keep them)",
                "weak",
                "exif:MakerNote",
                "camera",
                {"bytes": meta.maker_note_bytes},
            )
        )
    if meta.quantization:
        quality = ijg_quality(meta.quantization)
        if quality is None:
            found.append(
                Evidence(
                    "jpeg-quantisation",
                    "encoder-hint",
                    "JPEG quantisation tables are not the standard libjpeg ones (typical of "
                    "camera firmware and some editors)",
                    "weak",
                    "jpeg:DQT",
                    "camera",
                    {"ijg_quality": None},
                )
            )
        else:
            found.append(
                Evidence(
                    "jpeg-quantisation",
                    "encoder-hint",
                    f"standard libjpeg quantisation tables at quality {quality} (what servers, "
                    "generator back ends and most software write)",
                    "info",
                    "jpeg:DQT",
                    "neither",
                    {"ijg_quality": quality},
                )
            )
    return found


CAMERA_FIELDS = {
    "Make",
    "Model",
    "LensMake",
    "LensModel",
    "BodySerialNumber",
    "DateTimeOriginal",
    "ExposureTime",
    "FNumber",
    "ISOSpeedRatings",
    "FocalLength",
}
