"""Add images to a bank: their hashes plus the edited-copy variants of their PDQ."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from tutela.banks.models import Entry
from tutela.banks.service import ImportSummary, get_bank, log_event, upsert_rows
from tutela.banks.variants import crop_variants, region_hashes, unletterboxed
from tutela.errors import MediaError
from tutela.media.blob import Blob
from tutela.media.image import decode_rgb
from tutela.media.limits import DEFAULT_LIMITS
from tutela.media.sniff import sniff
from tutela.signals.pdq import PDQ_QUALITY_THRESHOLD
from tutela.store.db import Store


def variant_hashes(path: str) -> list[tuple[str, str]]:
    """(variant name, PDQ hex) for a plain image file; MediaError if it cannot be decoded."""
    blob = Blob.from_path(path, load_limit=DEFAULT_LIMITS.max_decode_bytes)
    sniffed = sniff(blob.head(64))
    image = decode_rgb(blob, sniffed.format, path, DEFAULT_LIMITS, max_side=1024)
    out = [(name, h.hex) for name, h in crop_variants(image) + region_hashes(image)]
    inner = unletterboxed(image)
    if inner is not None and inner.quality >= PDQ_QUALITY_THRESHOLD:
        out.append(("unletterboxed", inner.hex))
    return out


def add_images(
    store: Store,
    bank_name: str,
    paths: list[str],
    metadata: dict[str, Any] | None = None,
    variants: bool = True,
    on_progress: Callable[[int], None] | None = None,
) -> ImportSummary:
    """Hash every image under ``paths`` into the bank (MD5, SHA-1, SHA-256, PDQ and,
    with ``variants``, crop, region and un-letterboxed PDQ variants). Bad files are counted."""
    from tutela.engine.local import PipelineSpec, run_task
    from tutela.engine.tasks import plan

    with store.session() as session:
        bank_id = get_bank(session, bank_name).id
    pipeline = PipelineSpec(only_signals=frozenset()).build()
    summary = ImportSummary(bank_name)
    for task in plan(paths, {}):
        for result in run_task(pipeline, task):
            if on_progress:
                on_progress(1)
            item = result.item
            fatal = [e for e in result.errors if e.fatal]
            if item is None or item.error_kind or fatal:
                message = item.error_message if item and item.error_kind else None
                summary.reject(result.path, message or (fatal[0].message if fatal else "no item"))
                continue
            meta = {"file": result.path.rsplit("/", 1)[-1], **(metadata or {})}
            _bank_item(store, bank_id, _Facts.of(item), result.path, meta, variants, summary)
    with store.transaction() as session:
        log_event(session, bank_id, "add-images", summary.to_json())
    return summary


def add_case_items(
    store: Store,
    bank_name: str,
    case: str,
    metadata: dict[str, Any] | None = None,
    variants: bool = True,
    on_progress: Callable[[int], None] | None = None,
) -> ImportSummary:
    """Bank every image item of a case; variants where a location is still a readable file."""
    from tutela.store.queries import iter_items

    with store.session() as session:
        bank_id = get_bank(session, bank_name).id
        items = [(_Facts.of(item), paths) for item, paths in iter_items(session, case)]
    summary = ImportSummary(bank_name)
    for facts, paths in items:
        if on_progress:
            on_progress(1)
        if facts.error_kind:
            summary.reject(paths[0] if paths else facts.sha256, facts.error_kind)
            continue
        readable = next((p for p in paths if "!/" not in p and os.path.isfile(p)), None)
        meta = {"file": (paths[0] if paths else "").rsplit("/", 1)[-1], "case": case}
        meta.update(metadata or {})
        _bank_item(store, bank_id, facts, readable, meta, variants, summary)
    with store.transaction() as session:
        log_event(session, bank_id, "add-case-items", {"case": case, **summary.to_json()})
    return summary


@dataclass(frozen=True)
class _Facts:
    sha256: str
    sha1: str
    md5: str
    kind: str
    format: str
    pdq: str | None
    pdq_quality: int | None
    error_kind: str | None

    @classmethod
    def of(cls, item: Any) -> _Facts:
        return cls(
            item.sha256,
            item.sha1,
            item.md5,
            item.kind,
            item.format,
            item.pdq,
            item.pdq_quality,
            item.error_kind,
        )


def _bank_item(
    store: Store,
    bank_id: int,
    item: _Facts,
    path: str | None,
    meta: dict[str, Any],
    variants: bool,
    summary: ImportSummary,
) -> None:
    where = path or item.sha256
    if item.kind != "image":
        summary.reject(where, f"not an image ({item.format})")
        return
    rows = [
        _row(bank_id, signal_type, value, item.sha256, meta)
        for signal_type, value in (("md5", item.md5), ("sha1", item.sha1), ("sha256", item.sha256))
    ]
    usable_pdq = bool(item.pdq) and (item.pdq_quality or 0) >= PDQ_QUALITY_THRESHOLD
    if usable_pdq:
        rows.append(_row(bank_id, "pdq", str(item.pdq), item.sha256, meta))
    else:
        summary.reject(
            where,
            f"PDQ quality {item.pdq_quality} is below {PDQ_QUALITY_THRESHOLD}: "
            "only exact hashes were banked",
        )
    extra: list[tuple[str, str]] = []
    if usable_pdq and variants and path is not None and "!/" not in path:
        try:
            extra = variant_hashes(path)
        except MediaError as exc:
            summary.reject(where, f"variants not computed: {exc.message}")
    with store.transaction() as session:
        added, updated = upsert_rows(session, rows)
        summary.added += added
        summary.updated += updated
        for row in rows:
            summary.by_type[row["signal_type"]] += 1
        if extra:
            parent = session.scalar(
                select(Entry.id).where(
                    Entry.bank_id == bank_id,
                    Entry.signal_type == "pdq",
                    Entry.value == item.pdq,
                    Entry.variant == "",
                    Entry.source_key == item.sha256,
                )
            )
            upsert_rows(
                session,
                [
                    {
                        **_row(bank_id, "pdq", value, item.sha256, meta),
                        "variant": name,
                        "parent_id": parent,
                    }
                    for name, value in extra
                ],
            )


def _row(
    bank_id: int, signal_type: str, value: str, source_key: str, meta: dict[str, Any]
) -> dict[str, Any]:
    return {
        "bank_id": bank_id,
        "signal_type": signal_type,
        "value": value,
        "variant": "",
        "source_key": source_key,
        "metadata": meta,
    }
