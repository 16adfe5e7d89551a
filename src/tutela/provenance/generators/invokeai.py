"""InvokeAI, every version: ``invokeai_metadata`` JSON (v3+), ``sd-metadata`` JSON (v2),
``Dream`` command line (v1), and graph/workflow-only files.

Read directly rather than through sd-parsers, whose v3 reader expects
``model.model_name`` and so loses the model (name, hash, base) that v4+ write.
"""

from __future__ import annotations

import re
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

DREAM = re.compile(r'^"(?P<prompt>(?:\\.|[^"\\])*)"(?P<args>.*)$', re.DOTALL)
DREAM_ARG = re.compile(r"\s-(\w+)\s+(\S+)")
NEGATIVE = re.compile(r"\[([^\]]*)\]")
META_CORE = {
    "positive_prompt",
    "negative_prompt",
    "seed",
    "steps",
    "cfg_scale",
    "scheduler",
    "width",
    "height",
    "model",
    "loras",
    "vae",
    "app_version",
}


def _model(value: Any, role: str, where: str, weight: Any = None) -> ModelRef | None:
    if isinstance(value, dict):
        nested = value.get("model")
        inner: dict[str, Any] = nested if isinstance(nested, dict) else value
        name = inner.get("name") or inner.get("model_name")
        return model_ref(name, inner.get("hash"), role, where=where, weight=weight)
    return model_ref(value, None, role, where=where, weight=weight)


def _from_metadata(text: str, where: str) -> GeneratorInfo:
    data = load_json(text, "InvokeAI metadata")
    if not isinstance(data, dict):
        data = {}
    models: list[ModelRef] = []
    main = _model(data.get("model"), "checkpoint", where)
    if main:
        models.append(main)
    for lora in data.get("loras") or []:
        if isinstance(lora, dict):
            ref = _model(
                lora.get("lora") or lora.get("model") or lora, "lora", where, lora.get("weight")
            )
            if ref:
                models.append(ref)
    vae = _model(data.get("vae"), "vae", where) if data.get("vae") else None
    if vae:
        models.append(vae)
    return GeneratorInfo(
        tool="InvokeAI",
        where=where,
        version=as_text(data.get("app_version"), 50),
        model=main.name if main else None,
        model_hash=main.hash if main else None,
        seed=seed_of(data.get("seed")),
        steps=as_int(data.get("steps")),
        scheduler=as_text(data.get("scheduler"), 100),
        cfg_scale=as_float(data.get("cfg_scale")),
        width=as_int(data.get("width")),
        height=as_int(data.get("height")),
        prompt=as_text(data.get("positive_prompt")),
        negative_prompt=as_text(data.get("negative_prompt")),
        models=models,
        parameters=flat_parameters(data, META_CORE),
    )


def _from_sd_metadata(text: str, where: str) -> GeneratorInfo:
    data = load_json(text, "InvokeAI sd-metadata")
    data = data if isinstance(data, dict) else {}
    nested = data.get("image")
    image: dict[str, Any] = nested if isinstance(nested, dict) else {}
    prompt = image.get("prompt")
    if isinstance(prompt, list):
        prompt = " ".join(str(p.get("prompt", "")) for p in prompt if isinstance(p, dict))
    positive, negative = _split_negative(str(prompt or ""))
    main = model_ref(data.get("model_weights"), data.get("model_hash"), "checkpoint", where=where)
    return GeneratorInfo(
        tool="InvokeAI",
        where=where,
        version=as_text(data.get("app_version"), 50),
        model=main.name if main else None,
        model_hash=main.hash if main else None,
        seed=seed_of(image.get("seed")),
        steps=as_int(image.get("steps")),
        sampler=as_text(image.get("sampler"), 100),
        cfg_scale=as_float(image.get("cfg_scale")),
        width=as_int(image.get("width")),
        height=as_int(image.get("height")),
        prompt=positive,
        negative_prompt=negative,
        models=[main] if main else [],
        parameters=flat_parameters(image, {"prompt", "seed", "steps", "sampler", "cfg_scale"}),
    )


def _split_negative(prompt: str) -> tuple[str | None, str | None]:
    negatives = NEGATIVE.findall(prompt)
    positive = NEGATIVE.sub("", prompt).strip()
    negative = ", ".join(n.strip() for n in negatives if n.strip())
    return positive or None, negative or None


def _from_dream(text: str, where: str) -> GeneratorInfo | None:
    match = DREAM.match(text.strip())
    if match is None:
        return None
    args = dict(DREAM_ARG.findall(match.group("args")))
    positive, negative = _split_negative(match.group("prompt"))
    return GeneratorInfo(
        tool="InvokeAI",
        where=where,
        version="1.x",
        seed=seed_of(args.get("S")),
        steps=as_int(args.get("s")),
        sampler=args.get("A"),
        cfg_scale=as_float(args.get("C")),
        width=as_int(args.get("W")),
        height=as_int(args.get("H")),
        prompt=positive,
        negative_prompt=negative,
        parameters={k: v for k, v in args.items() if k not in {"S", "s", "A", "C", "W", "H"}},
    )


def read(src: Sources) -> list[Finding]:
    text = src.text
    info: GeneratorInfo | None = None
    if "invokeai_metadata" in text:
        info = _from_metadata(text["invokeai_metadata"], f"{src.origin}:invokeai_metadata")
    elif "sd-metadata" in text:
        info = _from_sd_metadata(text["sd-metadata"], f"{src.origin}:sd-metadata")
    elif "Dream" in text:
        info = _from_dream(text["Dream"], f"{src.origin}:Dream")
    elif "invokeai_graph" in text or "invokeai_workflow" in text:
        key = "invokeai_graph" if "invokeai_graph" in text else "invokeai_workflow"
        load_json(text[key], f"InvokeAI {key}")
        info = GeneratorInfo(tool="InvokeAI", where=f"{src.origin}:{key}")
    return [finding(info, "InvokeAI generation metadata")] if info else []
