"""Scan analysers: ``model`` for weight files, ``model_config`` for workflows and configs.

The ``model`` analyser taps the pipeline's one hashing pass for BLAKE3 and the
tensor-data hash (AutoV3), so a multi-gigabyte safetensors file is read once; everything else it
needs comes from the header.
"""

from __future__ import annotations

from typing import Any

from tutela.engine.context import MediaContext
from tutela.media.sniff import sniff
from tutela.models.hashes import ModelStreamHasher
from tutela.models.safetensors import header_length
from tutela.signals.registry import Analyzer, StreamTap

MODEL_SIGNAL = "model"
CONFIG_SIGNAL = "model_config"


def _model_tap(head: bytes, size: int) -> StreamTap:
    """BLAKE3 for every model file, plus the tensor-data hash for safetensors."""
    length = header_length(head) if sniff(head).format == "safetensors" else None
    plausible = length is not None and 8 + length <= size
    return ModelStreamHasher(8 + length if plausible and length is not None else None)


def analyze_model(ctx: MediaContext) -> dict[str, Any]:
    from tutela.models.inspect import inspect_model

    tap = ctx.tap(MODEL_SIGNAL)
    inspection = inspect_model(
        ctx.blob,
        ctx.sniffed.format,
        ctx.where,
        sha256=ctx.sha256,
        streamed=tap if isinstance(tap, ModelStreamHasher) else None,
    )
    for problem, fatal in inspection.problems:
        if fatal and "error_kind" not in ctx.item_updates:
            # the model analyser is the item's decoder: a header it cannot read is the
            # item's error (its hashes are still stored with the signal)
            ctx.item_updates.update(error_kind=problem.kind, error_message=problem.message)
        else:
            ctx.warnings.append(problem)
    return inspection.data


def analyze_config(ctx: MediaContext) -> dict[str, Any]:
    from tutela.models.configs import read_config

    parsed = read_config(ctx.blob, ctx.sniffed.format, ctx.where)
    ctx.warnings.extend(parsed.problems)
    return parsed.data


ANALYZERS = [
    Analyzer(
        name=MODEL_SIGNAL,
        version="1",
        kinds=frozenset({"model"}),
        run=analyze_model,
        description=(
            "Model files (safetensors, GGUF, torch checkpoints, pickles): ecosystem hashes, "
            "kind and architecture from tensor names and shapes, training metadata, and "
            "pickle imports graded by picklescan. Never loads tensors, never unpickles."
        ),
        stream=_model_tap,
    ),
    Analyzer(
        name=CONFIG_SIGNAL,
        version="1",
        kinds=frozenset({"model-config"}),
        run=analyze_config,
        description=(
            "ComfyUI workflows, diffusers configs and kohya training configs: the models, "
            "dataset folders and output names they name."
        ),
    ),
]
