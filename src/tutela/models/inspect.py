"""Everything tutela says about one model file, from its header (and one pass for hashes).

Used by the scan analyser (which gets the file's SHA-256 and tensor-data hash from
the pipeline's single hashing pass) and by ``tutela models inventory`` (which either
makes that pass itself or, with ``--header-only``, reads only the header and the
64 KiB legacy-hash window, so its cost does not depend on file size).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from tutela.errors import MediaError
from tutela.media.blob import Blob
from tutela.media.limits import DEFAULT_LIMITS, Limits
from tutela.models import gguf, safetensors
from tutela.models.architecture import Identity, identify
from tutela.models.hashes import (
    LEGACY_OFFSET,
    ModelStreamHasher,
    autov2,
    full_hashes,
    legacy_hash,
    read_chunks,
)
from tutela.models.limits import DEFAULT_MODEL_LIMITS, ModelLimits
from tutela.models.pickles import read_pickles
from tutela.models.safetensors import TensorInfo
from tutela.models.training import training_info

WEIGHT_FORMATS = frozenset({"safetensors", "gguf", "torch-zip", "torch-legacy", "pickle"})
MAX_METADATA_ENTRIES = 512


@dataclass
class Inspection:
    """JSON-ready facts plus the problems met (``fatal`` ones mean the header was unusable)."""

    data: dict[str, Any]
    problems: list[tuple[MediaError, bool]] = field(default_factory=list)
    data_offset: int | None = None


def inspect_model(
    blob: Blob,
    fmt: str,
    where: str,
    sha256: str | None = None,
    streamed: ModelStreamHasher | None = None,
    full: bool = False,
    limits: Limits = DEFAULT_LIMITS,
    model_limits: ModelLimits = DEFAULT_MODEL_LIMITS,
) -> Inspection:
    """Inspect a model file.

    ``sha256`` and ``streamed`` come from a hashing pass already made (the scan's);
    without them, ``full`` makes that pass here, and otherwise only header-derived
    hashes are reported.
    """
    result = Inspection({"format": fmt})
    tensors: list[TensorInfo] = []
    metadata: dict[str, Any] = {}
    try:
        with blob.open() as stream:
            if fmt == "safetensors":
                tensors, metadata = _safetensors(stream, blob, where, model_limits, result)
            elif fmt == "gguf":
                tensors, metadata = _gguf(stream, blob, where, model_limits, result)
            else:
                report = read_pickles(stream, fmt, blob.size, where, limits, model_limits)
                tensors = report.tensors
                result.data["pickle"] = report.to_json()
                result.problems.extend((p, False) for p in report.problems)
    except MediaError as exc:
        result.problems.append((exc, True))
    except OSError as exc:
        from tutela.errors import UnreadableFile

        result.problems.append((UnreadableFile(f"read failed: {exc}", where), True))
    ident = identify(tensors, metadata, fmt)
    if fmt == "safetensors" and ident.alpha_tensors:
        _read_alpha(blob, ident, result)
    if ident.adapter and ident.adapter.get("alpha") is None:
        ident.adapter["alpha"] = _number(metadata.get("ss_network_alpha"))
    result.data.update(ident.to_json())
    result.data["tensors"] = _tensor_summary(tensors)
    usable = result.data_offset is not None and not any(fatal for _, fatal in result.problems)
    autov3 = blake3 = None
    if streamed is not None:
        blake3 = streamed.blake3()
        tensor_data = streamed.tensor_data
        if tensor_data is not None and usable and tensor_data.offset == result.data_offset:
            autov3 = tensor_data.hexdigest()
    if full and sha256 is None:
        with blob.open() as stream:
            hashed = full_hashes(read_chunks(stream), result.data_offset if usable else None)
        sha256, autov3, blake3 = hashed.sha256, hashed.autov3, hashed.blake3
    result.data["hashes"] = _hashes(blob, sha256, autov3, blake3)
    training = training_info(metadata) if fmt == "safetensors" else None
    if training:
        result.data["training"] = training
        result.data["hash_checks"] = _hash_checks(training, result.data["hashes"])
    result.data["problems"] = [
        {"kind": p.kind, "message": p.message, "fatal": fatal} for p, fatal in result.problems
    ]
    return result


def _safetensors(
    stream: Any, blob: Blob, where: str, model_limits: ModelLimits, result: Inspection
) -> tuple[list[TensorInfo], dict[str, Any]]:
    header = safetensors.read_header(stream, blob.size, where, model_limits.max_safetensors_header)
    result.data_offset = header.data_offset
    result.data["header_bytes"] = header.header_length
    result.data["metadata"] = _metadata_list(header.metadata, model_limits)
    result.problems.extend((p, False) for p in header.problems)
    return header.tensors, dict(header.metadata)


def _gguf(
    stream: Any, blob: Blob, where: str, model_limits: ModelLimits, result: Inspection
) -> tuple[list[TensorInfo], dict[str, Any]]:
    header = gguf.read_header(stream, blob.size, where, model_limits)
    result.data["gguf"] = {
        "version": header.version,
        "byte_order": header.byte_order,
        "tensor_count": header.tensor_count,
    }
    result.data["metadata"] = _metadata_list(header.metadata, model_limits)
    result.problems.extend((p, False) for p in header.problems)
    return header.tensors, header.metadata


def _metadata_list(metadata: dict[str, Any], model_limits: ModelLimits) -> list[dict[str, Any]]:
    """Raw key/values, shortened, in file order: what the analyst sees as "metadata"."""
    out = []
    for key, value in list(metadata.items())[:MAX_METADATA_ENTRIES]:
        if isinstance(value, str) and len(value) > model_limits.max_value_chars:
            shown: Any = value[: model_limits.max_value_chars]
            out.append({"key": key, "value": shown, "truncated_from": len(value)})
        else:
            out.append({"key": key, "value": value})
    return out


def _read_alpha(blob: Blob, ident: Identity, result: Inspection) -> None:
    """A LoRA's alpha lives in tiny scalar tensors; read a few of them (bytes, not megabytes)."""
    if result.data_offset is None:
        return
    values: Counter[float] = Counter()
    with blob.open() as stream:
        for tensor in ident.alpha_tensors[:8]:
            read = safetensors.read_values(stream, result.data_offset, tensor)
            if read:
                values[read[0]] += 1
    if values:
        ident.adapter["alpha"] = values.most_common(1)[0][0]


def _number(raw: Any) -> float | None:
    try:
        value = float(raw)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def _tensor_summary(tensors: Sequence[TensorInfo]) -> dict[str, Any]:
    dtypes = Counter(t.dtype for t in tensors)
    return {
        "count": len(tensors),
        "parameters": sum(t.numel for t in tensors),
        "dtypes": [{"dtype": d, "tensors": n} for d, n in dtypes.most_common()],
    }


def _hashes(
    blob: Blob, sha256: str | None, autov3: str | None, blake3: str | None
) -> dict[str, str | None]:
    autov1 = None
    if blob.size > LEGACY_OFFSET:  # below 1 MiB every file "hashes" to e3b0c442
        with blob.open() as stream:
            autov1 = legacy_hash(stream)
    return {
        "sha256": sha256,
        "autov1": autov1,
        "autov2": autov2(sha256) if sha256 else None,
        "autov3": autov3,
        "blake3": blake3,
    }


def _hash_checks(training: dict[str, Any], hashes: dict[str, str | None]) -> list[dict[str, Any]]:
    """Do hashes the trainer stored still match the tensors? A mismatch means later edits."""
    stored = training.get("stored_hashes", {})
    checks = []
    for key in ("sshs_model_hash", "modelspec_hash_sha256"):
        value = stored.get(key)
        if value and hashes.get("autov3"):
            claimed = value.lower().removeprefix("0x")
            checks.append({"stored": key, "value": value, "matches": claimed == hashes["autov3"]})
    return checks
