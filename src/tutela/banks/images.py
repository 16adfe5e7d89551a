"""Add images to a bank: their hashes plus the edited-copy variants of their PDQ."""

from __future__ import annotations

from collections.abc import Callable
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
    with ``variants``, crop and un-letterboxed PDQ variants). Bad files are counted."""
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
            if item.kind != "image":
                summary.reject(result.path, f"not an image ({item.format})")
                continue
            meta = {"file": result.path.rsplit("/", 1)[-1], **(metadata or {})}
            rows = [
                _row(bank_id, signal_type, value, item.sha256, meta)
                for signal_type, value in (
                    ("md5", item.md5),
                    ("sha1", item.sha1),
                    ("sha256", item.sha256),
                )
            ]
            usable_pdq = item.pdq and (item.pdq_quality or 0) >= PDQ_QUALITY_THRESHOLD
            if usable_pdq:
                rows.append(_row(bank_id, "pdq", str(item.pdq), item.sha256, meta))
            else:
                summary.reject(
                    result.path,
                    f"PDQ quality {item.pdq_quality} is below {PDQ_QUALITY_THRESHOLD}: "
                    "only exact hashes were banked",
                )
            extra: list[tuple[str, str]] = []
            if usable_pdq and variants and "!/" not in result.path:
                try:
                    extra = variant_hashes(result.path)
                except MediaError as exc:
                    summary.reject(result.path, f"variants not computed: {exc.message}")
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
    with store.transaction() as session:
        log_event(session, bank_id, "add-images", summary.to_json())
    return summary


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
