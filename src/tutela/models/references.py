"""References to models, gathered from everything a case holds.

An image's generator metadata, a ComfyUI workflow, a kohya config, a LoRA's own
training metadata and a textual-inversion file all *name* other models — by a hash
in one of the ecosystem's forms, by a file name, or both. Each becomes a plain
:class:`Reference`; :mod:`tutela.models.linking` resolves them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

HEX = re.compile(r"^(?:0x|blake3:|sha256:)?([0-9a-f]{8,64})$", re.IGNORECASE)
"""A hash as tools write it: bare hex, ``0x``-prefixed, or InvokeAI's ``blake3:<hex>``."""


@dataclass(frozen=True)
class Reference:
    role: str
    """checkpoint, unet, lora, embedding, vae, clip, ... (the provenance ``ModelRef`` roles),
    plus base-model, output and training-set."""
    name: str | None
    hash: str | None
    field: str
    """Where it was read, e.g. ``Lora hashes`` or ``CheckpointLoaderSimple#4.ckpt_name``."""
    source: str
    """Who wrote it: a1111, comfyui, invokeai, swarmui, kohya-config, kohya-metadata, ..."""

    def to_json(self) -> dict[str, Any]:
        return {
            "role": self.role,
            "name": self.name,
            "hash": self.hash,
            "field": self.field,
            "source": self.source,
        }


def clean_hash(value: Any) -> str | None:
    """A hash as lower-case hex, or None when the value is not one (8–64 hex digits)."""
    if not isinstance(value, str):
        return None
    found = HEX.match(value.strip())
    return found.group(1).lower() if found else None


def from_model_config(data: dict[str, Any]) -> list[Reference]:
    """What a workflow or training config names."""
    refs = []
    for ref in data.get("references") or []:
        if isinstance(ref, dict) and isinstance(ref.get("name"), str):
            refs.append(
                Reference(
                    str(ref.get("role", "other")),
                    ref["name"],
                    clean_hash(ref.get("hash")),
                    str(ref.get("field", "")),
                    str(ref.get("source", "comfyui")),
                )
            )
    if isinstance(data.get("base_model"), str):
        refs.append(
            Reference(
                "base-model",
                data["base_model"],
                None,
                "pretrained_model_name_or_path",
                "kohya-config",
            )
        )
    if isinstance(data.get("vae"), str):
        refs.append(Reference("vae", data["vae"], None, "vae", "kohya-config"))
    return refs


def from_model(data: dict[str, Any]) -> list[Reference]:
    """What a model says about the models it was trained from."""
    refs = []
    training = data.get("training") or {}
    for role, key in (("base-model", "base_model"), ("vae", "vae")):
        facts = training.get(key) or {}
        name = facts.get("name")
        for field_name, hash_key in (("sha256", "sha256"), ("autov1", "autov1")):
            value = clean_hash(facts.get(hash_key))
            if value:
                source_field = {
                    ("base_model", "sha256"): "ss_new_sd_model_hash",
                    ("base_model", "autov1"): "ss_sd_model_hash",
                    ("vae", "sha256"): "ss_new_vae_hash",
                    ("vae", "autov1"): "ss_vae_hash",
                }[(key, field_name)]
                refs.append(Reference(role, name, value, source_field, "kohya-metadata"))
        if name and not any(r.role == role for r in refs):
            refs.append(
                Reference(
                    role,
                    name,
                    None,
                    f"ss_{'sd_model' if key == 'base_model' else 'vae'}_name",
                    "kohya-metadata",
                )
            )
    fields = {f["key"]: f["value"] for f in (data.get("pickle") or {}).get("fields", [])}
    if "sd_checkpoint" in fields or "sd_checkpoint_name" in fields:  # A1111 embeddings
        refs.append(
            Reference(
                "base-model",
                fields.get("sd_checkpoint_name")
                if isinstance(fields.get("sd_checkpoint_name"), str)
                else None,
                clean_hash(fields.get("sd_checkpoint")),
                "sd_checkpoint",
                "a1111-embedding",
            )
        )
    return refs


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
