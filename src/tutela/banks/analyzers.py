"""Scan-time signal for edited copies: the PDQ of a letterboxed image's inner picture.

Borders are looked for on a small decode (JPEGs decode at 1/8 scale almost for
free); only images that have them are decoded again at hashing size.
"""

from __future__ import annotations

from typing import Any

from tutela.banks.variants import unletterboxed
from tutela.engine.context import MediaContext
from tutela.signals.registry import Analyzer

PROBE_SIDE = 160


def _run(ctx: MediaContext) -> dict[str, Any]:
    probe = ctx.rgb(PROBE_SIDE)
    from tutela.banks.variants import border_box

    import numpy as np

    if border_box(np.asarray(probe)) is None:
        return {"letterboxed": False}
    found = unletterboxed(ctx.rgb(512), probe)
    if found is None:
        return {"letterboxed": False}
    return {"letterboxed": True, "pdq": found.hex, "quality": found.quality}


ANALYZERS = [
    Analyzer(
        name="pdq_unletterboxed",
        version="1",
        kinds=frozenset({"image"}),
        run=_run,
        description="PDQ of the picture inside flat borders (letterboxing, padding), if any",
    )
]
