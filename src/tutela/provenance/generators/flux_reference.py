"""FLUX open-weights reference code (black-forest-labs/flux): EXIF ``Software`` =
``AI generated;txt2img;flux``, ``Make`` = ``Black Forest Labs``, ``Model`` and the prompt in
``ImageDescription``. Also the generic ``AI generated`` Software marker other tools copy."""

from __future__ import annotations

from tutela.provenance.generators.common import Finding, Sources, finding, model_ref
from tutela.provenance.model import GeneratorInfo


def read(src: Sources) -> list[Finding]:
    software = src.exif.get("Software", "")
    make = src.exif.get("Make", "")
    if not software.lower().startswith("ai generated") and make != "Black Forest Labs":
        return []
    parts = [p.strip() for p in software.split(";")]
    model = src.exif.get("Model")
    info = GeneratorInfo(
        tool="FLUX reference"
        if make == "Black Forest Labs" or "flux" in parts
        else "unknown generator (EXIF Software)",
        where="exif:Software" if software else "exif:Make",
        model=model,
        prompt=src.exif.get("ImageDescription"),
        models=[r for r in [model_ref(model, None, where="exif:Model")] if r],
        parameters={"mode": parts[1] if len(parts) > 1 else None, "software": software or None},
    )
    return [finding(info, "EXIF says the image is AI generated (FLUX reference sampling code)")]
