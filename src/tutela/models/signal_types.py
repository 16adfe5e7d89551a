"""Model hashes as bank signal types, so hotlines can share "known abuse model" lists.

The whole-file SHA-256 of a model is the built-in ``sha256`` type. These add the
other names the ecosystem uses, each compared exactly in its canonical form:

- ``model_autov1``: A1111's legacy model hash / Civitai AutoV1 (8 hex digits);
- ``model_autov2``: the first 10 hex digits of the file's SHA-256 (A1111 ``Model hash``);
- ``model_autov3``: SHA-256 of a safetensors file's tensor data (Civitai AutoV3, kohya
  ``sshs_model_hash``), 64 hex digits or the 12-digit short form Civitai and A1111 show;
  it survives metadata edits, so it is the best entry for a LoRA;
- ``model_blake3``: BLAKE3 of the whole file (InvokeAI, Civitai).

A model item offers every form it has, so an entry in either length matches.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from tutela.banks.signal_types import ItemFacts, SignalType, hex_normalizer
from tutela.models.analyzer import MODEL_SIGNAL


def _hashes(item: ItemFacts) -> dict[str, Any]:
    if item.kind != "model":
        return {}
    data = item.signals.get(MODEL_SIGNAL) or {}
    hashes = data.get("hashes") or {}
    stored = (data.get("training") or {}).get("stored_hashes") or {}
    return {**{k: v for k, v in stored.items() if isinstance(v, str)}, **hashes}


def _values(*keys: str, short: int | None = None) -> Callable[[ItemFacts], list[str]]:
    def values(item: ItemFacts) -> list[str]:
        found = _hashes(item)
        out: list[str] = []
        for key in keys:
            value = found.get(key)
            if isinstance(value, str) and value:
                value = value.lower()
                out.extend([value, value[:short]] if short and len(value) > short else [value])
        return list(dict.fromkeys(out))

    return values


def _autov2(item: ItemFacts) -> list[str]:
    return [item.sha256[:10]] if item.kind == "model" else []


_AUTOV3 = re.compile(r"[0-9a-f]{12}|[0-9a-f]{64}")


def _normalize_autov3(value: str) -> str:
    clean = value.strip().lower()
    if not _AUTOV3.fullmatch(clean):
        raise ValueError(
            f"a model_autov3 value is 12 or 64 hexadecimal digits, got {len(clean)} characters"
        )
    return clean


SIGNAL_TYPES = [
    SignalType(
        "model_autov1",
        "A1111 legacy model hash / Civitai AutoV1: SHA-256 of the 64 KiB at 1 MiB, 8 hex",
        "exact",
        hex_normalizer("model_autov1", 8),
        _values("autov1", "sshs_legacy_hash"),
        item_signal=MODEL_SIGNAL,
        aliases=("AutoV1",),
        examples=("7460a6fa",),
    ),
    SignalType(
        "model_autov2",
        "First 10 hex digits of a model file's SHA-256 (A1111 'Model hash', Civitai AutoV2)",
        "exact",
        hex_normalizer("model_autov2", 10),
        _autov2,
        aliases=("AutoV2",),
        examples=("6ce0161689",),
    ),
    SignalType(
        "model_autov3",
        "SHA-256 of a safetensors file's tensor data (Civitai AutoV3, kohya sshs_model_hash);"
        " 64 hex digits or the 12-digit short form",
        "exact",
        _normalize_autov3,
        _values("autov3", "sshs_model_hash", short=12),
        item_signal=MODEL_SIGNAL,
        aliases=("AutoV3",),
        examples=(
            "51a5529d9d0f",
            "51a5529d9d0f3e753acd7dacffa36101602c9f8cefa79a6487b4efbec59631ce",
        ),
    ),
    SignalType(
        "model_blake3",
        "BLAKE3 of a model file (InvokeAI's model hash, Civitai BLAKE3)",
        "exact",
        hex_normalizer("model_blake3", 64),
        _values("blake3"),
        item_signal=MODEL_SIGNAL,
        aliases=("BLAKE3",),
        examples=("af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262",),
    ),
]
