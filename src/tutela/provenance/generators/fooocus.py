"""Fooocus: ``parameters`` JSON with ``fooocus_scheme`` (PNG), JSON UserComment (JPEG/WebP),
and Fooocus-MRE's ``Comment`` JSON."""

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
    "negative_prompt",
    "full_prompt",
    "full_negative_prompt",
    "seed",
    "steps",
    "sampler",
    "scheduler",
    "guidance_scale",
    "cfg",
    "base_model",
    "base_model_hash",
    "refiner_model",
    "loras",
    "version",
    "resolution",
    "width",
    "height",
}


def _looks_like_fooocus(data: dict[str, Any], scheme: str | None) -> bool:
    version = str(data.get("version", data.get("software", "")))
    return scheme == "fooocus" or version.lower().startswith("fooocus")


def _models(data: dict[str, Any], where: str) -> list[ModelRef]:
    refs = []
    main = model_ref(data.get("base_model"), data.get("base_model_hash"), where=where)
    if main:
        refs.append(main)
    refiner = data.get("refiner_model")
    if refiner and str(refiner) != "None":
        ref = model_ref(refiner, data.get("refiner_model_hash"), where=f"{where} (refiner)")
        if ref:
            refs.append(ref)
    for lora in data.get("loras") or []:
        if isinstance(lora, list | tuple) and lora:
            name = lora[0]
            weight = lora[1] if len(lora) > 1 else None
            digest = lora[2] if len(lora) > 2 else None
            ref = model_ref(name, digest, "lora", where=where, weight=weight)
            if ref:
                refs.append(ref)
    return refs


def parse(data: dict[str, Any], where: str) -> GeneratorInfo:
    width = as_int(data.get("width"))
    height = as_int(data.get("height"))
    resolution = str(data.get("resolution", ""))
    if width is None and resolution.startswith("("):
        w, _, h = resolution.strip("()").partition(",")
        width, height = as_int(w), as_int(h)
    models = _models(data, where)
    return GeneratorInfo(
        tool="Fooocus",
        where=where,
        version=as_text(data.get("version"), 50),
        model=models[0].name if models else None,
        model_hash=models[0].hash if models else None,
        seed=seed_of(data.get("seed")),
        steps=as_int(data.get("steps")),
        sampler=as_text(data.get("sampler"), 100),
        scheduler=as_text(data.get("scheduler"), 100),
        cfg_scale=as_float(data.get("guidance_scale", data.get("cfg"))),
        width=width,
        height=height,
        prompt=as_text(data.get("prompt")),
        negative_prompt=as_text(data.get("negative_prompt")),
        models=models,
        parameters=flat_parameters(data, CORE),
    )


def read(src: Sources) -> list[Finding]:
    scheme = src.text.get("fooocus_scheme")
    candidates = [
        (src.text.get("parameters"), f"{src.origin}:parameters"),
        (src.text.get("Comment"), f"{src.origin}:Comment"),
        (src.user_comment, "exif:UserComment"),
    ]
    for text, where in candidates:
        if not text or not text.lstrip().startswith("{"):
            continue
        if scheme is None and "fooocus" not in text[:20000].lower():
            continue
        data = load_json(text, "Fooocus parameters")
        if isinstance(data, dict) and _looks_like_fooocus(data, scheme):
            info = parse(data, where)
            extra = [as_text(p) or "" for p in data.get("full_prompt") or [] if isinstance(p, str)]
            return [finding(info, "Fooocus generation parameters", extra)]
    return []
