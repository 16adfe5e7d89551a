"""MFLUX (FLUX and other models on Apple MLX): JSON EXIF UserComment, ``mflux:`` XMP properties
and an IPTC copy; the UserComment is the richest, the XMP the fallback."""

from __future__ import annotations

from typing import Any

from tutela.provenance.generators.common import (
    Finding,
    Sources,
    as_float,
    as_int,
    as_text,
    finding,
    first,
    flat_parameters,
    load_json,
    model_ref,
    seed_of,
)
from tutela.provenance.model import GeneratorInfo, ModelRef

CORE = {
    "mflux_version",
    "model",
    "seed",
    "steps",
    "guidance",
    "height",
    "width",
    "prompt",
    "negative_prompt",
    "lora_paths",
    "lora_scales",
}


def _models(data: dict[str, Any], where: str) -> list[ModelRef]:
    refs = [r for r in [model_ref(data.get("model"), None, where=where)] if r]
    paths = data.get("lora_paths") or []
    scales = data.get("lora_scales") or []
    for i, path in enumerate(paths if isinstance(paths, list) else []):
        weight = scales[i] if isinstance(scales, list) and i < len(scales) else None
        ref = model_ref(path, None, "lora", where=where, weight=weight)
        if ref:
            refs.append(ref)
    return refs


def read(src: Sources) -> list[Finding]:
    comment = src.user_comment
    if comment and '"mflux_version"' in comment[:500]:
        data = load_json(comment, "MFLUX metadata")
        if isinstance(data, dict):
            where = "exif:UserComment"
            info = GeneratorInfo(
                tool="MFLUX",
                where=where,
                version=as_text(data.get("mflux_version"), 50),
                model=as_text(data.get("model"), 500),
                seed=seed_of(data.get("seed")),
                steps=as_int(data.get("steps")),
                cfg_scale=as_float(data.get("guidance")),
                width=as_int(data.get("width")),
                height=as_int(data.get("height")),
                prompt=as_text(data.get("prompt")),
                negative_prompt=as_text(data.get("negative_prompt")),
                models=_models(data, where),
                parameters=flat_parameters(data, CORE),
            )
            return [finding(info, "MFLUX generation parameters")]
    creator = " ".join(src.xmp.get("xmp:CreatorTool", []))
    if creator.startswith("MFLUX") or "mflux:model" in src.xmp:
        where = "xmp:mflux"
        model = first(src.xmp, "mflux:model")
        description = first(src.xmp, "dc:description")
        info = GeneratorInfo(
            tool="MFLUX",
            where=where,
            version=creator.removeprefix("MFLUX").strip() or None,
            model=model,
            seed=seed_of(first(src.xmp, "mflux:seed")),
            steps=as_int(first(src.xmp, "mflux:steps")),
            prompt=description,
            models=[r for r in [model_ref(model, None, where=where)] if r],
        )
        return [finding(info, "MFLUX generation metadata in XMP")]
    return []
