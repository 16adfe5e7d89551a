"""Scan-time signal for edited copies: PDQ hashes of parts of an image.

``pdq_variants`` holds the PDQ of the picture inside flat borders (when the image
is letterboxed or padded) and of its top and bottom 80 % (so a caption over one
edge still leaves a matching region). Matching queries them beside the plain PDQ;
banks built from images store the same variants (:mod:`tutela.banks.variants`).
It reuses the pixels the pipeline hashed for PDQ (no second decode); skip it with
``--skip-signal pdq_variants`` to trade that robustness for speed.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PIL import Image

from tutela.banks.variants import border_box, region_hashes, unletterboxed
from tutela.engine.context import MediaContext
from tutela.engine.pipeline import PDQ_PIXELS
from tutela.signals.pdq import PDQ_QUALITY_THRESHOLD
from tutela.signals.registry import Analyzer


def _pixels(ctx: MediaContext) -> Image.Image:
    cached = ctx.cached(PDQ_PIXELS)
    if cached is None:
        return ctx.rgb(512)
    return Image.fromarray(np.ascontiguousarray(cached), "RGB")


def _run(ctx: MediaContext) -> dict[str, Any]:
    image = _pixels(ctx)
    found = region_hashes(image)
    if border_box(np.asarray(image)) is not None:
        inner = unletterboxed(image)
        if inner is not None:
            found.append(("unletterboxed", inner))
    return {
        "hashes": [
            {"via": name, "pdq": h.hex, "quality": h.quality}
            for name, h in found
            if h.quality >= PDQ_QUALITY_THRESHOLD
        ]
    }


def extra_pdq(data: dict[str, Any]) -> dict[str, list[str]]:
    """The stored signal as ``{via: [pdq hex]}`` for matching."""
    out: dict[str, list[str]] = {}
    for entry in data.get("hashes", []):
        out.setdefault(str(entry["via"]), []).append(str(entry["pdq"]))
    return out


ANALYZERS = [
    Analyzer(
        name="pdq_variants",
        version="1",
        kinds=frozenset({"image"}),
        run=_run,
        description="PDQ of an image's regions and of its picture inside flat borders",
    )
]
