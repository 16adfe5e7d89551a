"""Text artefacts that name models: ComfyUI workflows, diffusers configs, kohya configs.

A workflow found beside the images says which checkpoint, LoRAs and VAE made them;
a kohya config says which base model and image folders trained which output. Both
are parsed (bounded) into plain references; linking happens in the case stage.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass, field
from typing import Any

from tutela.errors import CorruptMedia, FileTooLarge, MediaError
from tutela.media.blob import Blob
from tutela.models.errors import NotUtf8
from tutela.models.limits import DEFAULT_MODEL_LIMITS, ModelLimits

MODEL_FILE = re.compile(r"\.(safetensors|ckpt|pt|pth|bin|gguf|sft)$", re.IGNORECASE)
EMBEDDING_IN_PROMPT = re.compile(r"embedding:([^\s,()\[\]:]+)", re.IGNORECASE)
MAX_REFERENCES = 500

# A loader input's name says what role its file plays; custom nodes follow the same names.
_ROLE_BY_INPUT = (
    ("ckpt", "checkpoint"),
    ("checkpoint", "checkpoint"),
    ("lora", "lora"),
    ("vae", "vae"),
    ("unet", "unet"),
    ("clip_vision", "other"),
    ("clip", "clip"),
    ("control_net", "controlnet"),
    ("controlnet", "controlnet"),
    ("upscale", "upscaler"),
)
"""The role vocabulary of ``tutela.provenance.model.ModelRef`` (checkpoint, unet, lora, ...)."""


@dataclass
class ParsedConfig:
    data: dict[str, Any]
    problems: list[MediaError] = field(default_factory=list)


def base_name(path: str) -> str:
    """The file or folder name of a Windows or POSIX path (configs come from both)."""
    return re.split(r"[\\/]", path.rstrip("\\/"))[-1]


def role_for(label: str) -> str:
    lowered = label.lower()
    for marker, role in _ROLE_BY_INPUT:
        if marker in lowered:
            return role
    return "other"


def read_config(
    blob: Blob, fmt: str, where: str, model_limits: ModelLimits = DEFAULT_MODEL_LIMITS
) -> ParsedConfig:
    """Parse a ``model-config`` item; raise only when nothing can be read."""
    if blob.size > model_limits.max_config_bytes:
        raise FileTooLarge(
            f"{fmt} of {blob.size:,} bytes exceeds {model_limits.max_config_bytes:,}", where
        )
    raw = b"".join(blob.chunks())
    parsed = ParsedConfig({"format": fmt})
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        parsed.problems.append(NotUtf8("config is not UTF-8; read with U+FFFD", where))
        text = raw.decode("utf-8", errors="replace")
    document = _load(text, where)
    if fmt in ("comfyui-workflow", "comfyui-prompt"):
        parsed.data["references"] = comfyui_references(document)
    elif fmt in ("diffusers-index", "diffusers-config"):
        parsed.data.update(_diffusers(document))
    else:
        parsed.data.update(kohya_config(document))
    return parsed


def _load(text: str, where: str) -> Any:
    """JSON or TOML (a TOML file may start with ``[section]``, so JSON is tried first)."""
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        if text.lstrip().startswith("{"):
            raise CorruptMedia(f"invalid JSON: {exc}", where) from exc
    try:
        return tomllib.loads(text)
    except (tomllib.TOMLDecodeError, RecursionError) as exc:
        raise CorruptMedia(f"invalid TOML: {exc}", where) from exc


# -- ComfyUI -----------------------------------------------------------------------------


def comfyui_references(graph: Any) -> list[dict[str, Any]]:
    """Model files a ComfyUI graph loads, from either the API ``prompt`` or the UI ``workflow``.

    API graphs name inputs (``ckpt_name``, ``lora_name``...); UI workflows only list
    widget values by position, so there a model-file value takes its role from the
    node type. Prompt text adds ``embedding:NAME`` references.
    """
    refs: list[dict[str, Any]] = []
    if isinstance(graph, dict) and isinstance(graph.get("nodes"), list):
        for node in graph["nodes"]:
            if isinstance(node, dict):
                _ui_node(node, refs)
    elif isinstance(graph, dict):
        for node_id, node in graph.items():
            if isinstance(node, dict) and isinstance(node.get("inputs"), dict):
                _api_node(str(node_id), node, refs)
    unique: list[dict[str, Any]] = []
    for ref in refs:
        if ref not in unique:
            unique.append(ref)
    return unique[:MAX_REFERENCES]


def _api_node(node_id: str, node: dict[str, Any], refs: list[dict[str, Any]]) -> None:
    node_type = str(node.get("class_type", ""))
    for name, value in node["inputs"].items():
        if isinstance(value, str) and MODEL_FILE.search(value):
            role = role_for(name)
            role = role if role != "other" else role_for(node_type)
            refs.append(_ref(role, value, node_type, node_id, name))
        elif isinstance(value, dict) and isinstance(value.get("lora"), str):  # rgthree stacks
            if value.get("on", True) and MODEL_FILE.search(value["lora"]):
                refs.append(_ref("lora", value["lora"], node_type, node_id, name))
        elif isinstance(value, str):
            _embeddings(value, node_type, node_id, refs)


def _ui_node(node: dict[str, Any], refs: list[dict[str, Any]]) -> None:
    node_type = str(node.get("type", ""))
    node_id = str(node.get("id", ""))
    values = node.get("widgets_values")
    items = values.items() if isinstance(values, dict) else enumerate(values or [])
    for key, value in items:
        if isinstance(value, str) and MODEL_FILE.search(value):
            role = role_for(str(key)) if isinstance(key, str) else "other"
            role = role if role != "other" else role_for(node_type)
            refs.append(_ref(role, value, node_type, node_id, str(key)))
        elif isinstance(value, dict) and isinstance(value.get("lora"), str):
            if value.get("on", True) and MODEL_FILE.search(value["lora"]):
                refs.append(_ref("lora", value["lora"], node_type, node_id, str(key)))
        elif isinstance(value, str):
            _embeddings(value, node_type, node_id, refs)
    properties = node.get("properties")
    for model in (properties or {}).get("models", []) if isinstance(properties, dict) else []:
        if isinstance(model, dict) and isinstance(model.get("name"), str):
            ref = _ref(
                role_for(str(model.get("directory", node_type))),
                model["name"],
                node_type,
                node_id,
                "properties.models",
            )
            if isinstance(model.get("hash"), str):
                ref["hash"] = model["hash"].lower()
                ref["hash_type"] = str(model.get("hash_type", "")).lower() or None
            refs.append(ref)


def _embeddings(text: str, node_type: str, node_id: str, refs: list[dict[str, Any]]) -> None:
    for name in EMBEDDING_IN_PROMPT.findall(text):
        refs.append(_ref("embedding", name, node_type, node_id, "text"))


def _ref(role: str, name: str, node_type: str, node_id: str, field_name: str) -> dict[str, Any]:
    return {
        "role": role,
        "name": name,
        "source": "comfyui",
        "field": f"{node_type}#{node_id}.{field_name}",
    }


# -- kohya -------------------------------------------------------------------------------

_KOHYA_PATHS = (
    ("base_model", "pretrained_model_name_or_path"),
    ("vae", "vae"),
    ("train_data_dir", "train_data_dir"),
    ("reg_data_dir", "reg_data_dir"),
    ("output_dir", "output_dir"),
    ("dataset_config", "dataset_config"),
)
_KOHYA_VALUES: tuple[str, ...] = (
    "output_name",
    "network_module",
    "network_dim",
    "network_alpha",
    "caption_extension",
    "max_train_epochs",
    "max_train_steps",
    "resolution",
    "training_comment",
    "LoRA_type",
    "save_model_as",
)


def kohya_config(document: Any) -> dict[str, Any]:
    """A kohya training config (sd-scripts TOML/JSON, kohya_ss GUI JSON, dataset TOML)."""
    if not isinstance(document, dict):
        return {"trainer": "kohya"}
    flat = dict(document)
    for section in ("model_arguments", "saving_arguments", "dataset_arguments", "training"):
        if isinstance(document.get(section), dict):  # sectioned sd-scripts TOML
            flat.update(document[section])
    out: dict[str, Any] = {"trainer": "kohya"}
    for key, source in _KOHYA_PATHS:
        value = flat.get(source)
        if isinstance(value, str) and value:
            out[key] = value
            out[f"{key}_name"] = base_name(value)
    for key in _KOHYA_VALUES:
        if isinstance(flat.get(key), str | int | float) and flat.get(key) != "":
            out[key] = flat[key]
    folders = []
    if isinstance(out.get("train_data_dir"), str):
        folders.append({"path": out["train_data_dir"], "name": out["train_data_dir_name"]})
    general: dict[str, Any] = document.get("general") or {}
    general = general if isinstance(general, dict) else {}
    for dataset in document.get("datasets") or []:
        for subset in dataset.get("subsets") or [] if isinstance(dataset, dict) else []:
            if isinstance(subset, dict) and isinstance(subset.get("image_dir"), str):
                folders.append(
                    {
                        "path": subset["image_dir"],
                        "name": base_name(subset["image_dir"]),
                        "repeats": subset.get("num_repeats"),
                        "class_tokens": subset.get("class_tokens"),
                        "is_reg": bool(subset.get("is_reg", False)),
                    }
                )
    if "caption_extension" not in out and isinstance(general.get("caption_extension"), str):
        out["caption_extension"] = general["caption_extension"]
    out["dataset_folders"] = folders
    return out


# -- diffusers ---------------------------------------------------------------------------

PIPELINE_ARCHITECTURES = (
    ("StableDiffusionXL", "sdxl"),
    ("StableDiffusion3", "sd3"),
    ("Flux", "flux"),
    ("StableDiffusion", "sd1-or-sd2"),
)


def _diffusers(document: Any) -> dict[str, Any]:
    if not isinstance(document, dict):
        return {}
    class_name = str(document.get("_class_name", ""))
    out: dict[str, Any] = {
        "class_name": class_name,
        "diffusers_version": document.get("_diffusers_version"),
    }
    if class_name.endswith("Pipeline"):
        out["components"] = [
            {"name": name, "library": spec[0], "class": spec[1]}
            for name, spec in document.items()
            if not name.startswith("_")
            and isinstance(spec, list)
            and len(spec) == 2
            and spec[0] is not None
        ]
        for prefix, arch in PIPELINE_ARCHITECTURES:
            if class_name.startswith(prefix):
                out["architecture"] = arch
                break
    for key in ("cross_attention_dim", "in_channels", "latent_channels", "sample_size"):
        if isinstance(document.get(key), int):
            out[key] = document[key]
    return out
