"""AUTOMATIC1111 / Forge / SD.Next ``parameters`` text (PNG text, EXIF UserComment, alpha LSBs).

Written here rather than taken from sd-parsers: its line splitter cuts quoted values
(``Lora hashes: "a: 1, b: 2"``) and drops the ``Hashes`` JSON members, and those are
exactly what model forensics needs to link an image to model files.
"""

from __future__ import annotations

import json
import re

from tutela.provenance.generators.common import (
    Finding,
    Sources,
    as_float,
    as_int,
    finding,
    model_ref,
    seed_of,
)
from tutela.provenance.model import GeneratorInfo, ModelRef

PARAM = re.compile(r'\s*(\w[\w \-/.()]*?):\s*("(?:\\.|[^\\"])*"|[^,]*)(?:,|$)')
LORA_TAG = re.compile(r"<(lora|lyco|hypernet):([^:>]+)(?::([-\d.]+))?[^>]*>", re.IGNORECASE)
CORE = {"Steps", "Sampler", "CFG scale", "Seed", "Size", "Model", "Model hash"}
HASH_ROLES = {"lora": "lora", "lyco": "lycoris", "embed": "embedding", "vae": "vae"}


def parse_params_line(line: str) -> dict[str, str]:
    """``Key: value, Key: "quoted, value"`` → dict (quotes removed, escapes kept as written)."""
    out: dict[str, str] = {}
    for match in PARAM.finditer(line):
        key, value = match.group(1).strip(), match.group(2).strip()
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1].replace('\\"', '"')
        out[key] = value
    return out


def split_parameters(text: str) -> tuple[str, str, dict[str, str]] | None:
    """(prompt, negative prompt, parameters) or None if this is not A1111 text."""
    lines = text.strip().split("\n")
    for index in range(len(lines) - 1, -1, -1):
        params = parse_params_line(lines[index])
        if "Steps" in params and len(CORE & params.keys()) >= 2:
            break
    else:
        return None
    head = "\n".join(lines[:index])
    prompt, negative = head, ""
    marker = re.search(r"(?:^|\n)Negative prompt:", head)
    if marker:
        prompt, negative = head[: marker.start()], head[marker.end() :]
    return prompt.strip(), negative.strip(), params


def _named_hashes(value: str, role: str, where: str) -> list[ModelRef]:
    refs = []
    for part in value.split(","):
        name, sep, digest = part.rpartition(":")
        ref = model_ref(name.strip() if sep else None, digest.strip(), role, where=where)
        if ref:
            refs.append(ref)
    return refs


def models_from(params: dict[str, str], prompt: str, where: str) -> list[ModelRef]:
    refs: list[ModelRef] = []
    main = model_ref(params.get("Model"), params.get("Model hash"), "checkpoint", where=where)
    if main:
        refs.append(main)
    vae = model_ref(params.get("VAE"), params.get("VAE hash"), "vae", where=where)
    if vae:
        refs.append(vae)
    for key, role in (("Lora hashes", "lora"), ("TI hashes", "embedding")):
        if params.get(key):
            refs.extend(_named_hashes(params[key], role, where))
    if params.get("Hashes"):
        try:
            hashes = json.loads(params["Hashes"])
        except json.JSONDecodeError:
            hashes = {}
        if isinstance(hashes, dict):
            known = {(r.role, r.hash) for r in refs}
            for key, digest in hashes.items():
                kind, _, name = str(key).partition(":")
                role = "checkpoint" if kind == "model" else HASH_ROLES.get(kind, "other")
                if (role, str(digest)) in known:
                    continue
                ref = model_ref(name or params.get("Model"), digest, role, where=where)
                if ref:
                    refs.append(ref)
    hashed = {r.name for r in refs if r.role in ("lora", "lycoris")}
    for kind, name, weight in LORA_TAG.findall(prompt):
        if name not in hashed:
            role = {"lyco": "lycoris", "hypernet": "other"}.get(kind.lower(), "lora")
            ref = model_ref(name, None, role, where=f"{where} (prompt tag)", weight=weight)
            if ref:
                refs.append(ref)
    return refs


def parse(text: str, where: str, tool: str = "AUTOMATIC1111") -> GeneratorInfo | None:
    split = split_parameters(text)
    if split is None:
        return None
    prompt, negative, params = split
    width = height = None
    if "x" in params.get("Size", ""):
        w, _, h = params["Size"].partition("x")
        width, height = as_int(w), as_int(h)
    version = params.get("Version")
    if version and version.startswith("f") and tool == "AUTOMATIC1111":
        tool = "Forge"
    return GeneratorInfo(
        tool=tool,
        where=where,
        version=version,
        model=params.get("Model"),
        model_hash=params.get("Model hash"),
        seed=seed_of(params.get("Seed")),
        steps=as_int(params.get("Steps")),
        sampler=params.get("Sampler"),
        scheduler=params.get("Schedule type"),
        cfg_scale=as_float(params.get("CFG scale")),
        width=width,
        height=height,
        prompt=prompt or None,
        negative_prompt=negative or None,
        models=models_from(params, prompt, where),
        parameters={k: v for k, v in params.items() if k not in CORE},
    )


def read(src: Sources) -> list[Finding]:
    candidates = []
    for key in ("parameters", "postprocessing"):
        if key in src.text and not src.text[key].lstrip().startswith("{"):
            candidates.append((src.text[key], f"{src.origin}:{key}"))
    if src.user_comment and not src.user_comment.lstrip().startswith("{"):
        candidates.append((src.user_comment, "exif:UserComment"))
    found = []
    for text, where in candidates:
        info = parse(text, where)
        if info is not None:
            found.append(finding(info))
    return found
