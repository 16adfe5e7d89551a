"""Training metadata that trainers write into a model's header, as data for the analyst.

kohya-ss/sd-scripts (and the GUIs built on it: kohya_ss, OneTrainer's kohya export,
LoRA Easy Training Scripts) store ``ss_*`` keys: base model name and hashes, output
name, dataset folders with repeats and image counts, tag frequencies from the
captions, the training comment, start and finish times. Stability's model spec adds
``modelspec.*`` keys. Values are strings, some holding JSON; they are parsed with
bounds and shown as data — never interpreted, never trusted as instructions.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

MAX_TAGS = 2000
"""Tags kept per dataset folder (most frequent first)."""

_NONE = {"", "None", "null"}

_FIELDS = (  # (output key, metadata key) of plain values shown as they are
    ("output_name", "ss_output_name"),
    ("session_id", "ss_session_id"),
    ("network_module", "ss_network_module"),
    ("network_dim", "ss_network_dim"),
    ("network_alpha", "ss_network_alpha"),
    ("network_args", "ss_network_args"),
    ("num_train_images", "ss_num_train_images"),
    ("num_reg_images", "ss_num_reg_images"),
    ("epochs", "ss_num_epochs"),
    ("epoch", "ss_epoch"),
    ("steps", "ss_steps"),
    ("max_train_steps", "ss_max_train_steps"),
    ("batch_size", "ss_total_batch_size"),
    ("resolution", "ss_resolution"),
    ("learning_rate", "ss_learning_rate"),
    ("optimizer", "ss_optimizer"),
    ("seed", "ss_seed"),
    ("clip_skip", "ss_clip_skip"),
    ("mixed_precision", "ss_mixed_precision"),
    ("caption_extension", "ss_caption_extension"),
    ("sd_scripts_commit", "ss_sd_scripts_commit_hash"),
)


def has_training_metadata(metadata: dict[str, str]) -> bool:
    return any(k.startswith(("ss_", "sshs_", "modelspec.")) for k in metadata)


def training_info(metadata: dict[str, str]) -> dict[str, Any] | None:
    """The training facts in a header's metadata, or None when it has none."""
    if not has_training_metadata(metadata):
        return None
    info: dict[str, Any] = {"trainer": _trainer(metadata)}
    for out_key, key in _FIELDS:
        value = _value(metadata.get(key))
        if value is not None:
            info[out_key] = value
    info["base_model"] = _prune(
        {
            "name": _value(metadata.get("ss_sd_model_name")),
            "version": _value(metadata.get("ss_base_model_version")),
            "autov1": _value(metadata.get("ss_sd_model_hash")),
            "sha256": _value(metadata.get("ss_new_sd_model_hash")),
        }
    )
    info["vae"] = _prune(
        {
            "name": _value(metadata.get("ss_vae_name")),
            "autov1": _value(metadata.get("ss_vae_hash")),
            "sha256": _value(metadata.get("ss_new_vae_hash")),
        }
    )
    info["comment"] = _value(metadata.get("ss_training_comment"))
    info["started_at"] = _timestamp(metadata.get("ss_training_started_at"))
    info["finished_at"] = _timestamp(metadata.get("ss_training_finished_at"))
    info["dataset_dirs"] = _dirs(metadata.get("ss_dataset_dirs"))
    info["reg_dataset_dirs"] = _dirs(metadata.get("ss_reg_dataset_dirs"))
    info["datasets"] = _datasets(metadata.get("ss_datasets"))
    info["tag_frequency"] = tag_frequency(metadata.get("ss_tag_frequency"))
    info["modelspec"] = _prune(
        {k.removeprefix("modelspec."): _value(v) for k, v in metadata.items() if _spec(k)}
    )
    info["stored_hashes"] = _prune(
        {
            "sshs_model_hash": _value(metadata.get("sshs_model_hash")),
            "sshs_legacy_hash": _value(metadata.get("sshs_legacy_hash")),
            "modelspec_hash_sha256": _value(metadata.get("modelspec.hash_sha256")),
        }
    )
    return {k: v for k, v in info.items() if v not in (None, [], {})}


def _spec(key: str) -> bool:
    return key.startswith("modelspec.") and key not in {"modelspec.thumbnail"}


def _trainer(metadata: dict[str, str]) -> str:
    if any(k.startswith("ss_") for k in metadata):
        return "kohya-ss/sd-scripts"
    implementation = metadata.get("modelspec.implementation")
    return str(implementation) if implementation else "unknown"


def _value(raw: str | None) -> str | None:
    if raw is None or raw.strip() in _NONE:
        return None
    return raw


def _prune(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def _timestamp(raw: str | None) -> str | None:
    """Unix seconds (kohya writes ``time.time()``) as ISO-8601 UTC."""
    if raw is None:
        return None
    try:
        seconds = float(raw)
        return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="seconds")
    except (ValueError, OverflowError, OSError):
        return raw


def _json(raw: str | None) -> Any:
    if raw is None or raw.strip() in _NONE:
        return None
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        return None


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _dirs(raw: str | None) -> list[dict[str, Any]]:
    """``{"10_landscape": {"n_repeats": 10, "img_count": 20}}`` as a list of folders."""
    parsed = _json(raw)
    if not isinstance(parsed, dict):
        return []
    out = []
    for folder, facts in parsed.items():
        facts = facts if isinstance(facts, dict) else {}
        out.append(
            {
                "folder": str(folder),
                "repeats": _int(facts.get("n_repeats")),
                "images": _int(facts.get("img_count")),
            }
        )
    return out


def _datasets(raw: str | None) -> list[dict[str, Any]]:
    """``ss_datasets`` (dataset-config training): each dataset's subsets and image folders."""
    parsed = _json(raw)
    if not isinstance(parsed, list):
        return []
    out = []
    for dataset in parsed[:64]:
        if not isinstance(dataset, dict):
            continue
        subsets = []
        for subset in dataset.get("subsets") or []:
            if isinstance(subset, dict):
                subsets.append(
                    _prune(
                        {
                            "image_dir": subset.get("image_dir"),
                            "metadata_file": subset.get("metadata_file"),
                            "class_tokens": subset.get("class_tokens"),
                            "repeats": _int(subset.get("num_repeats")),
                            "images": _int(subset.get("img_count")),
                            "is_reg": subset.get("is_reg"),
                        }
                    )
                )
        out.append(
            _prune(
                {
                    "num_train_images": _int(dataset.get("num_train_images")),
                    "resolution": dataset.get("resolution"),
                    "subsets": subsets,
                }
            )
        )
    return out


def tag_frequency(raw: str | None) -> list[dict[str, Any]]:
    """``{"folder": {"tag": n}}`` as ``[{folder, tags: [{tag, count}]}]``, most frequent first."""
    parsed = _json(raw)
    if not isinstance(parsed, dict):
        return []
    out = []
    for folder, tags in parsed.items():
        if not isinstance(tags, dict):
            continue
        counted = sorted(
            ((str(tag), n) for tag, n in tags.items() if isinstance(n, int) and n > 0),
            key=lambda item: (-item[1], item[0]),
        )
        out.append(
            {
                "folder": str(folder),
                "distinct_tags": len(counted),
                "tags": [{"tag": t, "count": n} for t, n in counted[:MAX_TAGS]],
            }
        )
    return out
