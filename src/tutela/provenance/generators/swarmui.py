"""SwarmUI (StableSwarmUI): ``sui_image_params`` JSON in PNG ``parameters`` or EXIF UserComment
(legacy builds: the EXIF Model tag)."""

from __future__ import annotations

from typing import Any

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
from tutela.provenance.model import GeneratorInfo, ModelRef

CORE = {
    "prompt",
    "negativeprompt",
    "seed",
    "steps",
    "sampler",
    "scheduler",
    "cfgscale",
    "model",
    "width",
    "height",
    "swarm_version",
    "loras",
    "loraweights",
}


def _models(params: dict[str, Any], listed: Any, where: str) -> list[ModelRef]:
    refs: list[ModelRef] = []
    if isinstance(listed, list):
        for entry in listed:
            if isinstance(entry, dict):
                role = {"model": "checkpoint", "loras": "lora", "vae": "vae"}.get(
                    str(entry.get("param", "model")).lower(), "other"
                )
                ref = model_ref(entry.get("name"), entry.get("hash"), role, where=where)
                if ref:
                    refs.append(ref)
    if not any(r.role == "checkpoint" for r in refs):
        main = model_ref(params.get("model"), None, where=where)
        if main:
            refs.insert(0, main)
    names = {r.name for r in refs}
    loras = params.get("loras") or []
    weights = params.get("loraweights") or []
    for i, lora in enumerate(loras if isinstance(loras, list) else []):
        if lora not in names:
            weight = weights[i] if isinstance(weights, list) and i < len(weights) else None
            ref = model_ref(lora, None, "lora", where=where, weight=weight)
            if ref:
                refs.append(ref)
    return refs


def read(src: Sources) -> list[Finding]:
    candidates = [
        (src.text.get("parameters"), f"{src.origin}:parameters"),
        (src.user_comment, "exif:UserComment"),
        (src.exif.get("Model"), "exif:Model"),
    ]
    for text, where in candidates:
        if not text or "sui_image_params" not in text[:2000]:
            continue
        data = load_json(text, "SwarmUI parameters")
        params = data.get("sui_image_params") if isinstance(data, dict) else None
        if not isinstance(params, dict):
            continue
        models = _models(params, data.get("sui_models"), where)
        info = GeneratorInfo(
            tool="SwarmUI",
            where=where,
            version=as_text(params.get("swarm_version"), 50),
            model=as_text(params.get("model"), 500),
            model_hash=next((m.hash for m in models if m.role == "checkpoint"), None),
            seed=seed_of(params.get("seed")),
            steps=as_int(params.get("steps")),
            sampler=as_text(params.get("sampler"), 100),
            scheduler=as_text(params.get("scheduler"), 100),
            cfg_scale=as_float(params.get("cfgscale")),
            width=as_int(params.get("width")),
            height=as_int(params.get("height")),
            prompt=as_text(params.get("prompt")),
            negative_prompt=as_text(params.get("negativeprompt")),
            models=models,
            parameters=flat_parameters(params, CORE),
        )
        return [finding(info, "SwarmUI generation parameters")]
    return []
