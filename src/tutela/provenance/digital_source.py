"""The IPTC Digital Source Type vocabulary, shared by C2PA actions and XMP.

Only *trained* algorithmic media is generative AI. ``algorithmicMedia`` is media made
by a plain algorithm (a fractal, a chart) and must not be flagged; capture terms
count as (weak, forgeable) camera evidence, never as proof that a scene is real.
"""

from __future__ import annotations

from typing import Literal

Meaning = Literal["ai", "ai-composite", "synthetic-composite", "capture", "other"]

IPTC_PREFIXES = (
    "http://cv.iptc.org/newscodes/digitalsourcetype/",
    "https://cv.iptc.org/newscodes/digitalsourcetype/",
)

TERMS: dict[str, Meaning] = {
    "trainedAlgorithmicMedia": "ai",
    "compositeWithTrainedAlgorithmicMedia": "ai-composite",
    "compositeSynthetic": "synthetic-composite",
    "algorithmicallyEnhanced": "other",
    "algorithmicMedia": "other",
    "dataDrivenMedia": "other",
    "digitalCreation": "other",
    "digitalArt": "other",
    "composite": "other",
    "compositeCapture": "capture",
    "digitalCapture": "capture",
    "computationalCapture": "capture",
    "negativeFilm": "capture",
    "positiveFilm": "capture",
    "print": "other",
    "humanEdits": "other",
    "minorHumanEdits": "other",
    "screenCapture": "other",
    "virtualRecording": "other",
}


def term_of(value: str) -> str:
    """The bare term of a DigitalSourceType URI (or the value itself)."""
    value = value.strip()
    for prefix in IPTC_PREFIXES:
        if value.startswith(prefix):
            return value[len(prefix) :].strip("/")
    return value.rsplit("/", 1)[-1]


def meaning(value: str) -> Meaning:
    return TERMS.get(term_of(value), "other")
