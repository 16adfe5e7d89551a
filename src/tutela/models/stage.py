"""The ``models`` case stage: index model hashes, find training sets and diffusers
folders, and link images, workflows, configs, models and training sets.

It runs after every scan (and can be re-run alone); it reads what the scan stored,
reads back only caption files, and rewrites the case's model tables in one
transaction, so an interrupted run leaves the previous result intact.
"""

from __future__ import annotations

import posixpath
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, func, insert, or_, select
from sqlalchemy.orm import Session

from tutela.engine.scan import Stage
from tutela.models.analyzer import CONFIG_SIGNAL, MODEL_SIGNAL
from tutela.models.bank_refs import BankHit, bank_hits
from tutela.models.linking import (
    ModelFacts,
    ModelIndex,
    Resolution,
    match_training_set,
    training_folders,
)
from tutela.models.locations import Entry, Folder, group, read_small_files, split
from tutela.models.provenance_refs import iter_image_references
from tutela.models.references import Reference, from_model, from_model_config
from tutela.models.tables import ModelFolder, ModelHash, ModelLink, TrainingSet
from tutela.models.training_sets import (
    CAPTION_SUFFIXES,
    KOHYA_FOLDER,
    MAX_CAPTION_BYTES,
    Candidate,
    add_captions,
    candidates,
    stored_tags,
)
from tutela.store.db import Store
from tutela.store.models import Item, Location, Signal

WORKFLOW_FORMATS = {"comfyui-workflow", "comfyui-prompt"}


@dataclass
class CaseModels:
    """What the stage read from the store for one case."""

    models: list[ModelFacts] = field(default_factory=list)
    configs: list[ModelFacts] = field(default_factory=list)
    entries: list[Entry] = field(default_factory=list)


@dataclass
class Plan:
    """Rows to write, before ids are known."""

    hashes: dict[str, dict[str, str]] = field(default_factory=dict)
    sets: list[Candidate] = field(default_factory=list)
    folders: list[dict[str, Any]] = field(default_factory=list)
    links: list[dict[str, Any]] = field(default_factory=list)


IMAGE_BATCH = 5000
"""Image links are resolved and written in batches, so a case of millions of generated
images never holds all its links in memory."""


def run(store: Store, case_id: int) -> dict[str, Any]:
    with store.session() as session:
        case = _read_case(session, case_id)
    plan = Plan(hashes={m.sha256: model_hashes(m.data) for m in case.models})
    folders = group(case.entries)
    plan.sets = candidates(folders)
    texts = read_small_files([c for s in plan.sets for c in s.captions.values()], MAX_CAPTION_BYTES)
    for candidate in plan.sets:
        add_captions(candidate, texts)
    plan.folders = _diffusers_folders(folders, case)
    index = ModelIndex(case.models, plan.hashes)
    with store.transaction() as session, store.session() as reader:
        banks = _bank_lookup(reader)
        _link_models(case, index, banks, plan)
        _link_configs(case, index, banks, plan)
        _link_training_sets(case, plan)
        counts = Counter(_unresolved(link) for link in plan.links)
        ids = _write(session, case_id, plan)
        images = Plan(folders=plan.folders)
        for sha256, refs in iter_image_references(reader, case_id):
            for ref in refs:
                _resolve_into(images, index, banks, "generated-with", ref, sha256)
            if len(images.links) >= IMAGE_BATCH:
                counts.update(_unresolved(link) for link in images.links)
                _insert_links(session, case_id, images.links, ids)
                images.links = []
        counts.update(_unresolved(link) for link in images.links)
        _insert_links(session, case_id, images.links, ids)
    return {
        "models": len(case.models),
        "dangerous_pickles": sum(
            1 for m in case.models if (m.data.get("pickle") or {}).get("verdict") == "dangerous"
        ),
        "training_sets": len(plan.sets),
        "diffusers_folders": len(plan.folders),
        "links": counts[False],
        "unresolved_references": counts[True],
    }


def _unresolved(link: dict[str, Any]) -> bool:
    """Named but found nowhere: not in the case, not in a bank."""
    targets = ("model_sha256", "set_position", "folder_position", "bank")
    return all(link[key] is None for key in targets)


STAGES = [Stage("models", run)]


# -- reading -----------------------------------------------------------------------------


def _read_case(session: Session, case_id: int) -> CaseModels:
    case = CaseModels()
    paths: dict[str, list[str]] = defaultdict(list)
    relevant = or_(
        Item.kind.in_(("model", "model-config")),
        func.lower(Location.path).like("%.txt"),
        func.lower(Location.path).like("%.caption"),
    )
    rows = session.execute(
        select(Location.path, Location.item_sha256, Item.kind, Item.format)
        .join(Item, Item.sha256 == Location.item_sha256, isouter=True)
        .where(Location.case_id == case_id, relevant)
        .order_by(Location.path)
    )
    for path, sha, kind, fmt in rows:
        case.entries.append(Entry(path, sha, kind, fmt))
        if sha is not None:
            paths[sha].append(path)
    caption_folders = {split(e.path)[0] for e in case.entries if e.suffix in CAPTION_SUFFIXES}
    for entry in _images(session, case_id):
        folder = split(entry.path)[0]
        if folder in caption_folders or KOHYA_FOLDER.match(split(folder)[1]):
            case.entries.append(entry)
    signals = session.execute(
        select(Signal.item_sha256, Signal.name, Signal.data).where(
            Signal.item_sha256.in_(list(paths)), Signal.name.in_((MODEL_SIGNAL, CONFIG_SIGNAL))
        )
    )
    for sha, name, data in signals:
        facts = ModelFacts(sha, sorted(paths[sha]), data)
        (case.models if name == MODEL_SIGNAL else case.configs).append(facts)
    case.models.sort(key=lambda m: m.paths[0])
    case.configs.sort(key=lambda m: m.paths[0])
    return case


def _images(session: Session, case_id: int) -> Iterator[Entry]:
    rows = session.execute(
        select(Location.path, Location.item_sha256)
        .join(Item, Item.sha256 == Location.item_sha256)
        .where(Location.case_id == case_id, Item.kind == "image")
        .execution_options(yield_per=5000)
    )
    for path, sha in rows:
        yield Entry(path, sha, "image", None)


def model_hashes(data: dict[str, Any]) -> dict[str, str]:
    """The names of one model file, as stored in ``model_hashes``."""
    out = {k: v for k, v in (data.get("hashes") or {}).items() if v and k != "autov2"}
    stored = (data.get("training") or {}).get("stored_hashes") or {}
    for key in ("sshs_model_hash", "sshs_legacy_hash"):
        value = stored.get(key)
        if isinstance(value, str) and 8 <= len(value) <= 64:
            out[key] = value.strip().lower()
    return out


# -- diffusers folders -------------------------------------------------------------------


def _diffusers_folders(folders: dict[str, Folder], case: CaseModels) -> list[dict[str, Any]]:
    by_path = {p: m for m in case.models + case.configs for p in m.paths}
    found = []
    for folder in folders.values():
        index = next((e for e in folder.entries if e.format == "diffusers-index"), None)
        if index is None or index.path not in by_path:
            continue
        facts = by_path[index.path].data
        prefix = folder.path.rstrip("/") + "/"
        components = []
        architecture = str(facts.get("architecture", "unknown"))
        for path, model in sorted(by_path.items()):
            if not path.startswith(prefix) or path == index.path:
                continue
            component = path[len(prefix) :].split("/", 1)[0]
            data = model.data
            components.append(
                {
                    "component": component,
                    "path": path,
                    "sha256": model.sha256,
                    "format": data.get("format"),
                    "kind": data.get("kind") or data.get("class_name"),
                    "architecture": data.get("architecture"),
                }
            )
            if architecture == "sd1-or-sd2" and component == "unet":
                width = data.get("cross_attention_dim")
                unet_arch = {768: "sd1", 1024: "sd2"}.get(width) if isinstance(width, int) else None
                unet_arch = unet_arch or data.get("architecture")
                if unet_arch in ("sd1", "sd2"):
                    architecture = unet_arch
        found.append(
            {
                "path": folder.path,
                "class_name": str(facts.get("class_name", "")),
                "architecture": architecture if architecture != "sd1-or-sd2" else "unknown",
                "details": {
                    "diffusers_version": facts.get("diffusers_version"),
                    "components": components,
                },
            }
        )
    return found


# -- links -------------------------------------------------------------------------------

BankLookup = Callable[[str], list[BankHit]]


def _bank_lookup(session: Session) -> BankLookup:
    """Bank entries by hash, remembered per run (the same LoRA is named by many images)."""
    found: dict[str, list[BankHit]] = {}

    def lookup(value: str) -> list[BankHit]:
        if value not in found:
            found[value] = bank_hits(session, value)
        return found[value]

    return lookup


def _link(
    plan: Plan,
    relation: str,
    ref: Reference,
    source: str | None,
    resolution: Resolution | None = None,
    training_set: int | None = None,
    folder: int | None = None,
    bank: tuple[str, int] | None = None,
    evidence: dict[str, Any] | None = None,
    score: float | None = None,
) -> None:
    """Record one link; training sets and folders by position until their ids exist."""
    plan.links.append(
        {
            "relation": relation,
            "role": ref.role,
            "source_sha256": source,
            "model_sha256": resolution.model_sha256 if resolution else None,
            "folder_position": folder,
            "set_position": training_set,
            "bank": bank[0] if bank else None,
            "bank_entry_id": bank[1] if bank else None,
            "reference": ref.to_json(),
            "evidence": evidence or ({"method": resolution.method} if resolution else {}),
            "score": resolution.score if resolution else score,
        }
    )


def _resolve_into(
    plan: Plan,
    index: ModelIndex,
    banks: BankLookup,
    relation: str,
    ref: Reference,
    source: str | None,
) -> None:
    """Link ``ref`` by hash (case, then banks), else by name (a diffusers folder too), else
    leave it unresolved."""
    by_hash = [r for r in index.by_hash(ref.hash) if r.model_sha256 != source] if ref.hash else []
    for resolution in by_hash:
        _link(plan, relation, ref, source, resolution)
    hits = banks(ref.hash) if ref.hash and not by_hash else []
    for hit in hits:
        evidence = {"method": f"bank:{hit.signal_type}", "listed_value": hit.value}
        _link(plan, relation, ref, source, bank=(hit.bank, hit.entry_id), evidence=evidence)
    if by_hash or hits or not ref.name:
        if not (by_hash or hits):
            _link(plan, relation, ref, source)
        return
    by_name = [r for r in index.by_name(ref.name) if r.model_sha256 != source]
    for resolution in by_name:
        evidence = {"method": resolution.method}
        if ref.hash:  # the name matches but the hash the reference gives does not
            evidence["note"] = f"named {ref.hash}, which is not this file's hash"
            resolution = Resolution(resolution.model_sha256, resolution.method, 0.3)
        _link(plan, relation, ref, source, resolution, evidence=evidence)
    if by_name:
        return
    wanted = ref.name.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1].lower()
    for position, folder in enumerate(plan.folders):
        if split(folder["path"])[1].lower() == wanted:
            _link(plan, relation, ref, source, folder=position, evidence={"method": "folder-name"})
            return
    _link(plan, relation, ref, source)


def _link_models(case: CaseModels, index: ModelIndex, banks: BankLookup, plan: Plan) -> None:
    for model in case.models:
        for ref in from_model(model.data):
            _resolve_into(plan, index, banks, "base-model", ref, model.sha256)


def _link_configs(case: CaseModels, index: ModelIndex, banks: BankLookup, plan: Plan) -> None:
    names = {c.folder.name.lower(): position for position, c in enumerate(plan.sets)}
    for config in case.configs:
        data = config.data
        relation = (
            "named-in-workflow" if data.get("format") in WORKFLOW_FORMATS else "named-in-config"
        )
        for ref in from_model_config(data):
            _resolve_into(plan, index, banks, relation, ref, config.sha256)
        output = data.get("output_name")
        outputs: list[Resolution] = []
        if isinstance(output, str) and output:
            ref = Reference("output", output, None, "output_name", "kohya-config")
            outputs = index.by_name(output)
            for resolution in outputs:
                _link(plan, relation, ref, config.sha256, resolution)
        for folder in data.get("dataset_folders") or []:
            position = names.get(str(folder.get("name", "")).lower())
            ref = Reference("training-set", folder.get("path"), None, "image_dir", "kohya-config")
            if position is None:
                continue
            _link(
                plan,
                relation,
                ref,
                config.sha256,
                training_set=position,
                evidence={"method": "folder-name"},
            )
            for resolution in outputs:  # the config ties its output model to this folder
                _link(
                    plan,
                    "trained-on",
                    ref,
                    resolution.model_sha256,
                    training_set=position,
                    evidence={"method": "kohya-config", "config": config.paths[0]},
                )


def _link_training_sets(case: CaseModels, plan: Plan) -> None:
    described = [(m, training_folders(m.data)) for m in case.models]
    for position, candidate in enumerate(plan.sets):
        for model, folders in described:
            if not folders:
                continue
            matched = match_training_set(candidate.folder.name, dict(candidate.tags), folders)
            if matched is None:
                continue
            method, score, evidence = matched
            ref = Reference(
                "training-set", candidate.folder.name, None, "ss_dataset_dirs", "kohya-metadata"
            )
            _link(
                plan,
                "trained-on",
                ref,
                model.sha256,
                training_set=position,
                evidence={"method": method, **evidence},
                score=score,
            )


# -- writing -----------------------------------------------------------------------------


def _keep_by_path(session: Session, table: Any, case_id: int, paths: list[str]) -> dict[str, Any]:
    """Existing rows of ``table`` for the case by path; rows for other paths are deleted."""
    rows = {row.path: row for row in session.scalars(select(table).where(table.case_id == case_id))}
    for path, row in rows.items():
        if path not in paths:
            session.delete(row)
    return {path: row for path, row in rows.items() if path in paths}


def _write(session: Session, case_id: int, plan: Plan) -> _Ids:
    if plan.hashes:
        session.execute(delete(ModelHash).where(ModelHash.item_sha256.in_(list(plan.hashes))))
        rows = [
            {"item_sha256": sha, "algorithm": algorithm, "value": value}
            for sha, algorithms in plan.hashes.items()
            for algorithm, value in algorithms.items()
        ]
        if rows:
            session.execute(insert(ModelHash), rows)
    session.execute(delete(ModelLink).where(ModelLink.case_id == case_id))
    # Training sets and folders keep their ids across runs (users refer to them).
    sets = _keep_by_path(session, TrainingSet, case_id, [c.folder.path for c in plan.sets])
    set_rows: list[TrainingSet] = []
    for candidate in plan.sets:
        row = sets.get(candidate.folder.path) or TrainingSet(
            case_id=case_id, path=candidate.folder.path
        )
        row.name = candidate.folder.name
        row.repeats, row.concept = candidate.repeats, candidate.concept
        row.images, row.captions = len(candidate.images), len(candidate.captions)
        row.tags = stored_tags(candidate)
        row.details = {
            "distinct_tags": len(candidate.tags),
            "unreadable_captions": candidate.unreadable,
            "caption_suffixes": sorted(
                {posixpath.splitext(p)[1] for p in candidate.captions.values()}
            ),
        }
        session.add(row)
        set_rows.append(row)
    folders = _keep_by_path(session, ModelFolder, case_id, [f["path"] for f in plan.folders])
    folder_rows: list[ModelFolder] = []
    for folder in plan.folders:
        row = folders.get(folder["path"]) or ModelFolder(case_id=case_id, format="diffusers")
        for key, value in folder.items():
            setattr(row, key, value)
        session.add(row)
        folder_rows.append(row)
    session.flush()
    ids = _Ids([r.id for r in set_rows], [r.id for r in folder_rows])
    _insert_links(session, case_id, plan.links, ids)
    return ids


@dataclass(frozen=True)
class _Ids:
    """Database ids of the training sets and folders, by their position in the plan."""

    sets: list[int]
    folders: list[int]


def _insert_links(session: Session, case_id: int, links: list[dict[str, Any]], ids: _Ids) -> None:
    rows = []
    for link in links:
        values = dict(link, case_id=case_id, training_set_id=None, model_folder_id=None)
        set_position, folder_position = values.pop("set_position"), values.pop("folder_position")
        if set_position is not None:
            values["training_set_id"] = ids.sets[set_position]
        if folder_position is not None:
            values["model_folder_id"] = ids.folders[folder_position]
        rows.append(values)
    if rows:
        session.execute(insert(ModelLink), rows)
