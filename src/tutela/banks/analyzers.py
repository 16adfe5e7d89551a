"""Scan-time signal for edited copies: PDQ hashes of parts of an image.

``pdq_variants`` holds the PDQ of the picture inside flat borders (when the image
is letterboxed or padded) and of its top and bottom 80 % (so a caption over one
edge still leaves a matching region). Matching queries them beside the plain PDQ;
banks built from images store the same variants (:mod:`tutela.banks.variants`).
Skip it with ``--skip-signal pdq_variants`` to trade that robustness for speed.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tutela.banks.variants import border_box, region_hashes, unletterboxed
from tutela.engine.context import MediaContext
from tutela.signals.pdq import PDQ_QUALITY_THRESHOLD
from tutela.signals.registry import Analyzer

PROBE_SIDE = 160


def _run(ctx: MediaContext) -> dict[str, Any]:
    image = ctx.rgb(512)
    found = region_hashes(image)
    probe = ctx.rgb(PROBE_SIDE)
    if border_box(np.asarray(probe)) is not None:
        inner = unletterboxed(image, probe)
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
