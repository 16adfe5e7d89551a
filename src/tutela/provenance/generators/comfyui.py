"""ComfyUI: the API graph (``prompt``) and UI graph (``workflow``) in PNG text or WebP EXIF.

sd-parsers walks the graph from each sampler to its prompts and model; custom nodes
often defeat that walk, so model loaders and every text-encoder prompt are also read
straight from the graph here, which is what model forensics and the prompt screener
need whatever the graph looks like.
"""

from __future__ import annotations

import logging
from typing import Any

from tutela.provenance.generators.common import (
    Finding,
    Malformed,
    Sources,
    as_float,
    as_int,
    finding,
    load_json,
    model_ref,
    seed_of,
)
from tutela.provenance.model import GeneratorInfo, ModelRef

LOADER_INPUTS = {
    "ckpt_name": "checkpoint",
    "unet_name": "unet",
    "lora_name": "lora",
    "vae_name": "vae",
    "clip_name": "clip",
    "clip_name1": "clip",
    "clip_name2": "clip",
    "clip_name3": "clip",
    "control_net_name": "controlnet",
    "style_model_name": "other",
    "upscale_model": "upscaler",
    "ipadapter_file": "other",
}
TEXT_INPUTS = ("text", "text_g", "text_l", "prompt", "positive", "negative", "clip_l", "t5xxl")
TEXT_NODE_MARKERS = ("TextEncode", "Prompt")
"""Every string input of these nodes is prompt text, whatever the model calls it (bert, mt5xl)."""
logging.getLogger("sd_parsers").setLevel(logging.CRITICAL)


def _graph_text(src: Sources) -> tuple[str | None, str | None, str]:
    # Other tools (Easy Diffusion) also write a plain-text "prompt" chunk; graphs are JSON.
    prompt, workflow = (
        value if value is not None and value.lstrip().startswith("{") else None
        for value in (src.text.get("prompt"), src.text.get("workflow"))
    )
    if prompt is not None or workflow is not None:
        return prompt, workflow, src.origin
    for value in (src.exif.get("Model"), src.exif.get("Make"), src.exif.get("ImageDescription")):
        if value and value.startswith("prompt:"):
            prompt = value[len("prompt:") :]
        elif value and value.startswith("workflow:"):
            workflow = value[len("workflow:") :]
    return prompt, workflow, "exif"


def _nodes(graph: Any) -> dict[str, dict[str, Any]]:
    if not isinstance(graph, dict):
        raise Malformed("comfyui", "ComfyUI prompt graph is not a JSON object")
    return {str(k): v for k, v in graph.items() if isinstance(v, dict)}


def loaders(nodes: dict[str, dict[str, Any]], where: str) -> list[ModelRef]:
    refs: list[ModelRef] = []
    for node_id, node in sorted(nodes.items()):
        inputs = node.get("inputs")
        if not isinstance(inputs, dict):
            continue
        for key, role in LOADER_INPUTS.items():
            value = inputs.get(key)
            if isinstance(value, str) and value:
                weight = inputs.get("strength_model") if role == "lora" else None
                ref = model_ref(
                    value,
                    None,
                    role,
                    where=f"{where} node {node_id} {node.get('class_type', '?')}",
                    weight=weight,
                )
                if ref:
                    refs.append(ref)
    return refs


def prompt_texts(nodes: dict[str, dict[str, Any]]) -> list[str]:
    texts: list[str] = []
    for _, node in sorted(nodes.items()):
        inputs = node.get("inputs")
        if not isinstance(inputs, dict):
            continue
        class_type = str(node.get("class_type", ""))
        keys = (
            list(inputs)
            if any(marker in class_type for marker in TEXT_NODE_MARKERS)
            else TEXT_INPUTS
        )
        for key in keys:
            value = inputs.get(key)
            if isinstance(value, str) and value.strip() and value.strip() not in texts:
                texts.append(value.strip())
    return texts


def _sampler_facts(nodes: dict[str, dict[str, Any]]) -> dict[str, Any]:
    for _, node in sorted(nodes.items()):
        inputs = node.get("inputs")
        if (
            isinstance(inputs, dict)
            and "steps" in inputs
            and ("seed" in inputs or "noise_seed" in inputs)
        ):
            return inputs
    for _, node in sorted(nodes.items()):
        inputs = node.get("inputs")
        if isinstance(inputs, dict) and ("noise_seed" in inputs or "seed" in inputs):
            return inputs
    return {}


def read(src: Sources) -> list[Finding]:
    prompt_text, workflow_text, origin = _graph_text(src)
    if prompt_text is None and workflow_text is None:
        return []
    key = "prompt" if prompt_text is not None else "workflow"
    where = f"{origin}:{'Model' if origin == 'exif' and key == 'prompt' else key}"
    graph = load_json(prompt_text, "ComfyUI prompt") if prompt_text else None
    workflow = load_json(workflow_text, "ComfyUI workflow") if workflow_text else None
    nodes = _nodes(graph) if graph is not None else {}
    if graph is None and not (isinstance(workflow, dict) and "nodes" in workflow):
        raise Malformed("comfyui", "ComfyUI workflow has no nodes")
    info = GeneratorInfo(tool="ComfyUI", where=where)
    positives: list[str] = []
    if graph is not None and workflow is not None:
        _from_sd_parsers(graph, workflow, info, positives)
    facts = _sampler_facts(nodes)
    if info.seed is None:
        info.seed = seed_of(facts.get("seed", facts.get("noise_seed")))
    if info.steps is None:
        info.steps = as_int(facts.get("steps"))
    if info.cfg_scale is None:
        info.cfg_scale = as_float(facts.get("cfg"))
    info.sampler = info.sampler or (
        facts["sampler_name"] if isinstance(facts.get("sampler_name"), str) else None
    )
    info.scheduler = facts["scheduler"] if isinstance(facts.get("scheduler"), str) else None
    info.models = loaders(nodes, where)
    checkpoints = [m.name for m in info.models if m.role in ("checkpoint", "unet") and m.name]
    info.model = info.model or (checkpoints[0] if checkpoints else None)
    extra = [t for t in prompt_texts(nodes) if t != info.negative_prompt]
    info.parameters = {"nodes": len(nodes), "has_workflow": workflow is not None}
    return [finding(info, "ComfyUI workflow graph", extra)]


def _from_sd_parsers(graph: Any, workflow: Any, info: GeneratorInfo, positives: list[str]) -> None:
    from sd_parsers.exceptions import ParserError
    from sd_parsers.parsers import ComfyUIParser

    try:
        parsed = ComfyUIParser().parse({"prompt": graph, "workflow": workflow})
    except (ParserError, Exception):  # custom nodes break the walk; the graph scan still runs
        return
    for sampler in parsed.samplers:
        params = sampler.parameters
        info.sampler = info.sampler or sampler.name
        info.seed = info.seed if info.seed is not None else seed_of(params.get("seed"))
        info.steps = info.steps if info.steps is not None else as_int(params.get("steps"))
        if info.cfg_scale is None:
            info.cfg_scale = as_float(params.get("cfg_scale"))
        if sampler.model is not None and isinstance(sampler.model.name, str):
            info.model = info.model or sampler.model.name
        texts = [p.value for p in sampler.prompts if isinstance(p.value, str)]
        negatives = [p.value for p in sampler.negative_prompts if isinstance(p.value, str)]
        if texts and info.prompt is None:
            info.prompt = ", ".join(texts)
        if negatives and info.negative_prompt is None:
            info.negative_prompt = ", ".join(negatives)
        positives.extend(texts)
