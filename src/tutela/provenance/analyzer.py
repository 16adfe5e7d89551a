"""The ``provenance`` signal computed for every image during ``tutela scan``.

Stores the full :class:`ProvenanceResult` JSON per item; the post-scan stage copies
status and confidence into the indexed ``provenance_status`` table. The signal
version records whether watermark decoding and detectors ran, so turning them on
later recomputes items that were inspected without them.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from tutela.provenance.model import VERSION
from tutela.signals.registry import Analyzer

if TYPE_CHECKING:
    from tutela.engine.context import MediaContext
    from tutela.provenance.inspect import InspectOptions


@cache
def _options() -> InspectOptions:
    from tutela.provenance.detectors import configured_cards, load_detector
    from tutela.provenance.inspect import InspectOptions

    return InspectOptions(detectors=tuple(load_detector(card) for card in configured_cards()))


def signal_version() -> str:
    from tutela.provenance.detectors import configured_cards
    from tutela.provenance.inspect import watermark_default

    version = VERSION if watermark_default() else f"{VERSION}-nowm"
    return version + ("+det" if configured_cards() else "")


def run(ctx: MediaContext) -> dict[str, Any]:
    from tutela.provenance.inspect import inspect_blob

    return inspect_blob(ctx.blob, ctx.sniffed.format, ctx.where, _options()).to_json()


ANALYZERS = [
    Analyzer(
        name="provenance",
        version=signal_version(),
        kinds=frozenset({"image"}),
        run=run,
        description="synthetic status with its evidence: C2PA, IPTC/XMP, generator metadata, "
        "alpha-channel metadata, NovelAI signatures, watermarks, camera EXIF",
    )
]
