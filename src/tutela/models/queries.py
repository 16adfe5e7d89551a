"""Read side of model forensics, shared by ``tutela models``, ``tutela inspect`` and the API.

Every function returns plain JSON-ready dicts; the shapes are documented in
``docs/models.md`` and are a contract for users' scripts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from tutela.models.analyzer import MODEL_SIGNAL
from tutela.models.tables import ModelFolder, ModelLink, TrainingSet
from tutela.store.models import Case, Item, Location, Signal
from tutela.store.queries import case_id as find_case

MODEL_FIELDS = (
    "format",
    "kind",
    "architecture",
    "variant",
    "layout",
    "evidence",
    "hashes",
    "adapter",
    "embedding",
    "tensors",
    "training",
    "hash_checks",
    "problems",
)


def _paths(session: Session, shas: list[str], cid: int | None) -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    if not shas:
        return out
    query = select(Location.item_sha256, Location.path).where(Location.item_sha256.in_(shas))
    if cid is not None:
        query = query.where(Location.case_id == cid)
    for sha, path in session.execute(query.order_by(Location.path)):
        out[str(sha)].append(path)
    return out


def _item_paths(session: Session, sha256: str | None, cid: int) -> list[str]:
    return _paths(session, [sha256], cid).get(sha256, []) if sha256 else []


def _links(session: Session, cid: int | None, *conditions: Any) -> list[ModelLink]:
    query = select(ModelLink).where(*conditions).order_by(ModelLink.id)
    if cid is not None:
        query = query.where(ModelLink.case_id == cid)
    return list(session.scalars(query))


def list_models(session: Session, case: str | None = None) -> Iterator[dict[str, Any]]:
    """Model files (then diffusers folders) with hashes, facts and every link."""
    cid = find_case(session, case) if case else None
    case_names = dict(session.execute(select(Case.id, Case.name)).all())
    query = (
        select(Item, Signal.data)
        .join(Signal, (Signal.item_sha256 == Item.sha256) & (Signal.name == MODEL_SIGNAL))
        .where(Item.kind == "model")
        .order_by(Item.sha256)
    )
    if cid is not None:
        query = query.where(
            Item.sha256.in_(select(Location.item_sha256).where(Location.case_id == cid))
        )
    rows = session.execute(query).all()
    paths = _paths(session, [item.sha256 for item, _ in rows], cid)
    records = []
    for item, data in rows:
        record: dict[str, Any] = {"record": "file", "sha256": item.sha256, "size": item.size}
        record["paths"] = paths.get(item.sha256, [])
        record.update({key: data.get(key) for key in MODEL_FIELDS})
        record["pickle"] = _pickle_summary(data.get("pickle"))
        record.update(_model_links(session, cid, item.sha256, case_names))
        records.append(record)
    records.sort(key=lambda r: (r["paths"] or [""])[0])
    yield from records
    folders = select(ModelFolder).order_by(ModelFolder.path)
    if cid is not None:
        folders = folders.where(ModelFolder.case_id == cid)
    for folder in session.scalars(folders):
        yield {
            "record": "folder",
            "path": folder.path,
            "case": case_names.get(folder.case_id),
            "format": folder.format,
            "kind": "pipeline",
            "class_name": folder.class_name,
            "architecture": folder.architecture,
            "components": folder.details.get("components", []),
            "named_by": [
                _link_json(session, link, case_names, side="source")
                for link in _links(session, cid, ModelLink.model_folder_id == folder.id)
            ],
        }


def _pickle_summary(raw: Any) -> dict[str, Any] | None:
    if not isinstance(raw, dict):
        return None
    return {
        "verdict": raw.get("verdict"),
        "imports": [i for i in raw.get("imports", []) if i.get("safety") != "innocuous"],
        "fields": raw.get("fields", []),
        "scanner": raw.get("scanner"),
    }


def _model_links(
    session: Session, cid: int | None, sha256: str, case_names: dict[int, str]
) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {
        "linked_images": [],
        "linked_training_sets": [],
        "base_models": [],
        "derived_models": [],
        "named_in": [],
    }
    for link in _links(session, cid, ModelLink.model_sha256 == sha256):
        if link.relation == "generated-with":
            out["linked_images"].append(_link_json(session, link, case_names, side="source"))
        elif link.relation == "base-model":
            out["derived_models"].append(_link_json(session, link, case_names, side="source"))
        else:
            out["named_in"].append(_link_json(session, link, case_names, side="source"))
    for link in _links(session, cid, ModelLink.source_sha256 == sha256):
        if link.relation == "trained-on":
            out["linked_training_sets"].append(_link_json(session, link, case_names, "target"))
        elif link.relation == "base-model":
            out["base_models"].append(_link_json(session, link, case_names, side="target"))
    out["linked_images"] = _grouped(out["linked_images"], "sha256")
    out["linked_training_sets"] = _grouped(out["linked_training_sets"], "training_set")
    return out


_PER_LINK = ("relation", "role", "reference", "method", "evidence", "score")


def _grouped(links: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    """One entry per linked image or training set, listing every link that joins them."""
    groups: dict[tuple[Any, ...], dict[str, Any]] = {}
    for link in links:
        ident = (link["case"], str(link.get(key)))
        entry = groups.get(ident)
        if entry is None:
            entry = {k: v for k, v in link.items() if k not in _PER_LINK}
            entry["links"] = []
            entry["score"] = link["score"]
            groups[ident] = entry
        entry["links"].append({k: link[k] for k in _PER_LINK})
        scores = [s for s in (entry["score"], link["score"]) if s is not None]
        entry["score"] = max(scores) if scores else None
    return list(groups.values())


def _link_json(
    session: Session, link: ModelLink, case_names: dict[int, str], side: str
) -> dict[str, Any]:
    """One link seen from a model: the other side, the reference and how it was made."""
    out: dict[str, Any] = {
        "relation": link.relation,
        "role": link.role,
        "case": case_names.get(link.case_id),
        "reference": link.reference,
        "method": link.evidence.get("method"),
        "evidence": link.evidence,
        "score": link.score,
    }
    if side == "source":
        out["sha256"] = link.source_sha256
        out["paths"] = _item_paths(session, link.source_sha256, link.case_id)
    elif link.training_set_id is not None:
        training_set = session.get(TrainingSet, link.training_set_id)
        if training_set is not None:
            out["training_set"] = training_set_json(training_set)
    else:
        out["sha256"] = link.model_sha256
        out["paths"] = _item_paths(session, link.model_sha256, link.case_id)
        out["bank"] = link.bank
        out["bank_entry_id"] = link.bank_entry_id
    return out


def training_set_json(row: TrainingSet) -> dict[str, Any]:
    return {
        "id": row.id,
        "path": row.path,
        "name": row.name,
        "repeats": row.repeats,
        "concept": row.concept,
        "images": row.images,
        "captions": row.captions,
        "tags": row.tags[:20],
        "distinct_tags": row.details.get("distinct_tags"),
    }


def list_training_sets(session: Session, case: str | None = None) -> Iterator[dict[str, Any]]:
    """Training-set folders with the models linked to them."""
    cid = find_case(session, case) if case else None
    case_names = dict(session.execute(select(Case.id, Case.name)).all())
    query = select(TrainingSet).order_by(TrainingSet.path)
    if cid is not None:
        query = query.where(TrainingSet.case_id == cid)
    for row in session.scalars(query):
        out = training_set_json(row)
        out["case"] = case_names.get(row.case_id)
        out["tags"] = row.tags
        out["linked_models"] = [
            _link_json(session, link, case_names, side="source")
            for link in _links(session, cid, ModelLink.training_set_id == row.id)
        ]
        yield out


def list_missing(session: Session, case: str | None = None) -> Iterator[dict[str, Any]]:
    """Models that are named but not on the drive, grouped by what names them.

    ``banks`` lists the bank entries such a reference matched (a model not on the drive
    but on a hotline's list); it is empty for a reference found nowhere.
    """
    cid = find_case(session, case) if case else None
    case_names = dict(session.execute(select(Case.id, Case.name)).all())
    unresolved = _links(
        session,
        cid,
        ModelLink.model_sha256.is_(None),
        ModelLink.training_set_id.is_(None),
        ModelLink.model_folder_id.is_(None),
    )
    grouped: dict[tuple[str, str | None, str | None], list[ModelLink]] = defaultdict(list)
    for link in unresolved:
        ref = link.reference
        grouped[(link.role, ref.get("name"), ref.get("hash"))].append(link)
    for (role, name, value), links in sorted(
        grouped.items(), key=lambda kv: (kv[0][0], str(kv[0][1]))
    ):
        banks = {(link.bank, link.bank_entry_id) for link in links if link.bank}
        sources = {link.source_sha256: link for link in links}
        yield {
            "role": role,
            "name": name,
            "hash": value,
            "banks": [{"bank": b, "entry_id": e} for b, e in sorted(banks)],
            "named_by": [
                _link_json(session, link, case_names, side="source") for link in sources.values()
            ],
        }


def links_for_item(session: Session, sha256: str, case: str | None = None) -> list[dict[str, Any]]:
    """Every model link an item takes part in (for ``tutela inspect``)."""
    cid = find_case(session, case) if case else None
    case_names = dict(session.execute(select(Case.id, Case.name)).all())
    out = []
    for link in _links(
        session, cid, or_(ModelLink.source_sha256 == sha256, ModelLink.model_sha256 == sha256)
    ):
        side = "target" if link.source_sha256 == sha256 else "source"
        out.append(_link_json(session, link, case_names, side=side))
    return out
