"""Easy Diffusion: flat keys (``prompt``, ``negative_prompt``, ``use_stable_diffusion_model``...)
as PNG text chunks, or the same as JSON in EXIF UserComment ("Metadata format = embed")."""

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
from tutela.provenance.model import GeneratorInfo

MARKERS = ("use_stable_diffusion_model", "Stable Diffusion model")


def _get(data: dict[str, Any], *keys: str) -> Any:
    for key in keys:
        if key in data:
            return data[key]
    return None


def parse(data: dict[str, Any], where: str) -> GeneratorInfo:
    model = _get(data, "use_stable_diffusion_model", "Stable Diffusion model")
    refs = [r for r in [model_ref(model, None, where=where)] if r]
    vae = _get(data, "use_vae_model", "VAE model")
    lora = _get(data, "use_lora_model", "LoRA model")
    for value, role in ((vae, "vae"), (lora, "lora")):
        ref = model_ref(value, None, role, where=where) if value else None
        if ref:
            refs.append(ref)
    return GeneratorInfo(
        tool="Easy Diffusion",
        where=where,
        model=as_text(model, 500),
        seed=seed_of(_get(data, "seed", "Seed")),
        steps=as_int(_get(data, "num_inference_steps", "Steps")),
        sampler=as_text(_get(data, "sampler_name", "Sampler"), 100),
        cfg_scale=as_float(_get(data, "guidance_scale", "Guidance Scale")),
        width=as_int(_get(data, "width", "Width")),
        height=as_int(_get(data, "height", "Height")),
        prompt=as_text(_get(data, "prompt", "Prompt")),
        negative_prompt=as_text(_get(data, "negative_prompt", "Negative Prompt")),
        models=refs,
        parameters=flat_parameters(
            data, {"prompt", "Prompt", "negative_prompt", "Negative Prompt"}
        ),
    )


def read(src: Sources) -> list[Finding]:
    if any(marker in src.text for marker in MARKERS):
        return [finding(parse(dict(src.text), f"{src.origin}:use_stable_diffusion_model"))]
    comment = src.user_comment
    if comment and comment.lstrip().startswith("{") and any(m in comment[:20000] for m in MARKERS):
        data = load_json(comment, "Easy Diffusion metadata")
        if isinstance(data, dict):
            return [finding(parse(data, "exif:UserComment"))]
    return []
