"""Model references from images' generator metadata, as the provenance signal stores them.

``tutela.provenance`` reads A1111 ``parameters`` (``Model hash``, ``Lora hashes``,
``TI hashes``), ComfyUI graphs, InvokeAI and SwarmUI model fields into ``ModelRef``
records inside its ``provenance`` signal. Only that stored JSON contract is read here
(``generators[].models[]``: name, hash, hash_kind, role, weight, where), so model
forensics needs nothing from provenance at import time.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tutela.models.references import Reference, clean_hash
from tutela.store.models import Location, Signal

PROVENANCE_SIGNAL = "provenance"


def image_references(data: dict[str, Any]) -> list[Reference]:
    refs = []
    for generator in data.get("generators") or []:
        if not isinstance(generator, dict):
            continue
        tool = str(generator.get("tool") or "generator")
        for model in generator.get("models") or []:
            if not isinstance(model, dict):
                continue
            name = model.get("name") if isinstance(model.get("name"), str) else None
            value = clean_hash(model.get("hash"))
            if name is None and value is None:
                continue
            refs.append(
                Reference(
                    str(model.get("role") or "checkpoint"),
                    name,
                    value,
                    str(model.get("where") or ""),
                    tool,
                )
            )
    return refs


def iter_image_references(session: Session, case_id: int) -> Iterator[tuple[str, list[Reference]]]:
    """(image sha256, references) for every item of the case whose metadata names models."""
    in_case = select(Location.item_sha256).where(Location.case_id == case_id)
    rows = session.execute(
        select(Signal.item_sha256, Signal.data)
        .where(Signal.name == PROVENANCE_SIGNAL, Signal.item_sha256.in_(in_case))
        .order_by(Signal.item_sha256)
        .execution_options(yield_per=1000)
    )
    for sha256, data in rows:
        refs = image_references(data) if isinstance(data, dict) else []
        if refs:
            yield sha256, refs
