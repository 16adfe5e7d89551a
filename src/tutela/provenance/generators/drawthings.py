"""Draw Things (iOS/macOS): a JSON string in XMP ``exif:UserComment`` (``c`` = prompt,
``uc`` = negative, ``model``, ``seed``, ``steps``, ``scale``, ``sampler``...)."""

from __future__ import annotations

from tutela.provenance.generators.common import (
    Finding,
    Sources,
    as_float,
    as_int,
    as_text,
    finding,
    flat_parameters,
    load_json,
    model_ref,
    seed_of,
)
from tutela.provenance.model import GeneratorInfo

CORE = {"c", "uc", "model", "seed", "steps", "scale", "sampler", "size", "lora", "v2"}


def read(src: Sources) -> list[Finding]:
    creator = " ".join(src.xmp.get("xmp:CreatorTool", []))
    for text in src.xmp.get("exif:UserComment", []):
        if not text.lstrip().startswith("{"):
            continue
        data = load_json(text, "Draw Things metadata")
        if not isinstance(data, dict) or not ("c" in data or "Draw Things" in creator):
            continue
        where = "xmp:exif:UserComment"
        refs = [r for r in [model_ref(data.get("model"), None, where=where)] if r]
        for lora in data.get("lora") or []:
            if isinstance(lora, dict):
                ref = model_ref(
                    lora.get("file"), None, "lora", where=where, weight=lora.get("weight")
                )
                if ref:
                    refs.append(ref)
        width = height = None
        size = str(data.get("size", ""))
        if "x" in size:
            w, _, h = size.partition("x")
            width, height = as_int(w), as_int(h)
        info = GeneratorInfo(
            tool="Draw Things",
            where=where,
            model=as_text(data.get("model"), 500),
            seed=seed_of(data.get("seed")),
            steps=as_int(data.get("steps")),
            sampler=as_text(data.get("sampler"), 100),
            cfg_scale=as_float(data.get("scale")),
            width=width,
            height=height,
            prompt=as_text(data.get("c")),
            negative_prompt=as_text(data.get("uc")),
            models=refs,
            parameters=flat_parameters(data, CORE),
        )
        return [finding(info, "Draw Things generation parameters")]
    return []
