"""NovelAI: PNG text (``Software`` = NovelAI, ``Source`` = model, ``Description`` = prompt,
``Comment`` = parameters JSON), WebP EXIF (the same fields under EXIF tags), and the
stealth alpha copy. The Ed25519 ``signed_hash`` is checked in :mod:`..novelai_signature`."""

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

CORE = {
    "prompt",
    "uc",
    "seed",
    "steps",
    "sampler",
    "scale",
    "width",
    "height",
    "signed_hash",
    "v4_prompt",
    "v4_negative_prompt",
    "noise_schedule",
}


def fields(src: Sources) -> tuple[dict[str, str], str] | None:
    """NovelAI's five fields from whichever container holds them, and where."""
    text = src.text
    source = text.get("Source", "")
    marked = text.get("Software") == "NovelAI" or source.startswith(("NovelAI", "Stable Diffusion"))
    if text.get("Comment", "").lstrip().startswith("{") and marked:
        keys = ("Title", "Description", "Software", "Source", "Generation time", "Comment")
        return {k: text[k] for k in keys if k in text}, f"{src.origin}:Comment"
    exif = src.exif
    comment = src.user_comment or ""
    if comment.lstrip().startswith("{") and exif.get("Software", "").startswith(
        ("NovelAI", "Stable Diffusion")
    ):
        mapped = {
            "Title": exif.get("DocumentName", ""),
            "Description": exif.get("ImageDescription", ""),
            "Source": exif.get("Software", ""),
            "Comment": src.user_comment,
        }
        return {k: v for k, v in mapped.items() if v}, "exif:UserComment"
    return None


def _captions(data: dict[str, Any], key: str) -> list[str]:
    block = data.get(key)
    caption = block.get("caption") if isinstance(block, dict) else None
    if not isinstance(caption, dict):
        return []
    texts = [caption.get("base_caption")]
    for char in caption.get("char_captions") or []:
        if isinstance(char, dict):
            texts.append(char.get("char_caption"))
    return [t.strip() for t in texts if isinstance(t, str) and t.strip()]


def read(src: Sources) -> list[Finding]:
    found = fields(src)
    if found is None:
        return []
    values, where = found
    comment = load_json(values["Comment"], "NovelAI Comment")
    if isinstance(comment, dict) and isinstance(comment.get("Comment"), str):
        comment = load_json(comment["Comment"], "NovelAI Comment")
    if not isinstance(comment, dict):
        return []
    source = values.get("Source", "")
    name, _, digest = source.rpartition(" ")
    has_hash = bool(digest) and all(c in "0123456789ABCDEFabcdef" for c in digest)
    model = name if has_hash else source or None
    prompt = as_text(values.get("Description")) or as_text(comment.get("prompt"))
    negatives = _captions(comment, "v4_negative_prompt")
    info = GeneratorInfo(
        tool="NovelAI",
        where=where,
        model=model,
        model_hash=digest if has_hash else None,
        seed=seed_of(comment.get("seed")),
        steps=as_int(comment.get("steps")),
        sampler=as_text(comment.get("sampler"), 100),
        scheduler=as_text(comment.get("noise_schedule"), 100),
        cfg_scale=as_float(comment.get("scale")),
        width=as_int(comment.get("width")),
        height=as_int(comment.get("height")),
        prompt=prompt,
        negative_prompt=as_text(comment.get("uc")) or (", ".join(negatives) or None),
        models=[r for r in [model_ref(model, digest if has_hash else None, where=where)] if r],
        parameters={
            **flat_parameters(comment, CORE),
            "signed": "signed_hash" in comment,
            "software": values.get("Software"),
        },
    )
    return [finding(info, "NovelAI generation metadata", _captions(comment, "v4_prompt"))]
