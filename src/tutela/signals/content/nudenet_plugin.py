"""Optional NudeNet region detector — **AGPL-3.0**, off unless switched on.

NudeNet's wheel says "MIT" in its metadata, but the licence files inside it are
AGPL-3.0 and its maintainer says AGPL applies (the model is a YOLOv8). tutela
(Apache-2.0) therefore never depends on it: an operator who accepts the AGPL
installs ``tutela[nudenet]`` and asks for the signal (``tutela scan --signal
nudenet``, ``tutela signals --signal nudenet``).

Its package floor of 0.2 fires on plain geometric shapes, so regions count only
from :data:`MIN_SCORE`, well above it.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np

from tutela.signals.content import CONTENT_MAX_SIDE
from tutela.signals.content.packaged import onnx_session, package_file, package_version
from tutela.signals.registry import Analyzer

if TYPE_CHECKING:
    from PIL import Image

    from tutela.engine.context import MediaContext

LICENCE_WARNING = (
    "NudeNet is AGPL-3.0 licensed (an optional plugin, not part of tutela's Apache-2.0 code)"
)

MIN_SCORE = 0.6
"""Regions below this are dropped (NudeNet's own floor, 0.2, fires on synthetic shapes)."""

EXPOSED = frozenset(
    {
        "FEMALE_GENITALIA_EXPOSED",
        "MALE_GENITALIA_EXPOSED",
        "FEMALE_BREAST_EXPOSED",
        "BUTTOCKS_EXPOSED",
        "ANUS_EXPOSED",
    }
)
"""The labels the ``score`` summarises (faces, feet, belly and armpits are not)."""

VERSION = f"nudenet-{package_version('nudenet')}/1"


def require() -> str:
    """Check the plugin is installed (``ModelUnavailable`` if not); returns the licence notice."""
    package_file("nudenet", "320n.onnx", extra="nudenet")
    return LICENCE_WARNING


@lru_cache(maxsize=1)
def detector() -> Any:
    from nudenet import NudeDetector

    model = package_file("nudenet", "320n.onnx", extra="nudenet")
    found = NudeDetector(str(model))
    # NudeDetector builds its session with every core; swap in our one-thread one.
    found.onnx_session = onnx_session(model)
    return found


def detect(image: Image.Image) -> dict[str, Any]:
    rgb = image.convert("RGB")
    width, height = rgb.size
    bgr = np.ascontiguousarray(np.asarray(rgb)[:, :, ::-1])
    regions = []
    for found in detector().detect(bgr):
        if found["score"] < MIN_SCORE:
            continue
        x, y, w, h = found["box"]
        regions.append(
            {
                "label": found["class"],
                "score": round(float(found["score"]), 4),
                "box": [
                    round(x / width, 4),
                    round(y / height, 4),
                    round((x + w) / width, 4),
                    round((y + h) / height, 4),
                ],
            }
        )
    regions.sort(key=lambda r: -r["score"])
    return {
        "score": max((r["score"] for r in regions if r["label"] in EXPOSED), default=0.0),
        "regions": regions,
        "min_score": MIN_SCORE,
        "licence": "AGPL-3.0",
    }


def analyse(ctx: MediaContext) -> dict[str, Any]:
    return detect(ctx.rgb(CONTENT_MAX_SIDE))


ANALYZERS = [
    Analyzer(
        name="nudenet",
        version=VERSION,
        kinds=frozenset({"image"}),
        run=analyse,
        description=f"nudity regions (optional plugin; {LICENCE_WARNING})",
        default_enabled=False,
    )
]
