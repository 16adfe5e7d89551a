"""Turn what a user gives (files, uploads, hex values) into match queries.

Files and uploads go through the same pipeline as ``tutela scan`` (one decoder,
the same PDQ and PDQ variants); with ``dihedral`` the seven
rotations/flips of the PDQ are queried too (one DCT, from ``pdqhash``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tutela.banks.analyzers import extra_pdq
from tutela.banks.matcher import Query, query_from_item
from tutela.banks.signal_types import ItemFacts, item_signal_names, normalize
from tutela.engine.pipeline import Pipeline
from tutela.engine.records import FileResult
from tutela.media.archives import Budget
from tutela.media.blob import Blob
from tutela.media.image import pdq_pixels
from tutela.media.limits import DEFAULT_LIMITS, Limits
from tutela.media.sniff import sniff
from tutela.signals.pdq import pdq_dihedral_from_pixels
from tutela.video.vpdq import signature_of


def match_pipeline(limits: Limits = DEFAULT_LIMITS) -> Pipeline:
    from tutela.engine.local import PipelineSpec

    signals = frozenset({"pdq_variants", "vpdq"}) | item_signal_names()
    return PipelineSpec(limits=limits, only_signals=signals).build()


def query_from_values(signals: list[tuple[str, str]], label: str | None = None) -> Query:
    """A query from typed values; raises InvalidSignal on a bad type or value."""
    canonical = [normalize(t, v) for t, v in signals]
    return Query(label or ",".join(f"{t}:{v}" for t, v in canonical), canonical)


def _dihedral(blob: Blob, where: str, limits: Limits) -> list[tuple[str, str]]:
    fmt = sniff(blob.head(64)).format
    pixels, _ = pdq_pixels(blob, fmt, where, limits)
    hashes, _ = pdq_dihedral_from_pixels(pixels)
    return [(name, value) for name, value in hashes.items() if name != "original"]


def query_from_result(
    result: FileResult,
    blob: Blob | None = None,
    dihedral: bool = False,
    limits: Limits = DEFAULT_LIMITS,
) -> Query | dict[str, Any]:
    """A query for one pipeline result, or an error object ``{input, error}``."""
    item = result.item
    fatal = [e for e in result.errors if e.fatal]
    if item is None or (fatal and not item.error_kind and item.kind != "archive"):
        error = fatal[0] if fatal else None
        return {
            "input": result.path,
            "error": {
                "kind": error.kind if error else "unreadable",
                "message": error.message if error else "not read",
            },
        }
    extra: dict[str, list[str]] = {}
    for signal in item.signals:
        if signal.name == "pdq_variants":
            extra = extra_pdq(signal.data)
    facts = ItemFacts(
        sha256=item.sha256,
        sha1=item.sha1,
        md5=item.md5,
        kind=item.kind,
        pdq=item.pdq,
        pdq_quality=item.pdq_quality,
        extra=extra,
        signals={s.name: s.data for s in item.signals if s.name in item_signal_names()},
    )
    query = query_from_item(facts, result.path)
    for signal in item.signals:  # videos and animations: matched by tutela.video
        if signal.name == "vpdq" and signal.data.get("frames"):
            query.signals.append(("vpdq", signature_of(signal.data["frames"])))
    if item.error_kind:
        query.notes.append(f"{item.error_kind}: {item.error_message}")
    if dihedral and item.pdq and blob is not None and "!/" not in result.path:
        query.extra_pdq.extend(_dihedral(blob, result.path, limits))
    return query


def queries_from_files(
    paths: list[str], dihedral: bool = False
) -> Iterator[Query | dict[str, Any]]:
    from tutela.engine.local import run_task
    from tutela.engine.tasks import plan

    pipeline = match_pipeline()
    for task in plan(paths, {}):
        for result in run_task(pipeline, task):
            blob = None
            if dihedral and "!/" not in result.path and result.item is not None:
                blob = Blob.from_path(result.path, load_limit=DEFAULT_LIMITS.max_decode_bytes)
            yield query_from_result(result, blob, dihedral)


def query_from_upload(
    data: bytes, name: str, dihedral: bool = False, limits: Limits = DEFAULT_LIMITS
) -> tuple[Query | dict[str, Any], FileResult]:
    """Hash and prepare an uploaded file (archives are hashed, not opened)."""
    blob = Blob.from_bytes(data)
    result = match_pipeline(limits).process_blob(
        blob, name, "upload", depth=0, budget=Budget(limits.max_archive_total_bytes), recurse=False
    )[0]
    return query_from_result(result, blob, dihedral, limits), result
