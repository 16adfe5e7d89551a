"""Resolve references to the case's model files, and models to their training sets.

A reference's hash decides when it has one; its form says which name it is:
8 hex digits are A1111's legacy hash (AutoV1) or kohya's ``sshs_legacy_hash``;
10 or 12 are prefixes (AutoV2 ``Model hash``; ``TI hashes``; ``Lora hashes`` of
the tensor-data hash or ``sshs_model_hash``); 64 is a whole SHA-256 of either
kind or a BLAKE3 (InvokeAI). A file name is used only when there is no hash, or
the hash finds nothing, and such links say so (``method: file-name``): names are
easy to change and reuse.
"""

from __future__ import annotations

import posixpath
import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from tutela.models.training_sets import cosine

PREFIX_LENGTHS = (10, 12)
FULL_ALGORITHMS = ("sha256", "autov3", "blake3", "sshs_model_hash")
SHORT_ALGORITHMS = ("autov1", "sshs_legacy_hash")
TAG_SIMILARITY = 0.9
"""Cosine similarity of tag counts above which a folder is linked to a model's training folder."""


@dataclass(frozen=True)
class Resolution:
    model_sha256: str
    method: str
    """autov1, autov2, autov3, sha256, ..., or file-name / output-name."""
    score: float


@dataclass
class ModelFacts:
    """A model item of the case: hashes, where it is, and what its header says."""

    sha256: str
    paths: list[str]
    data: dict[str, Any]

    @property
    def output_name(self) -> str | None:
        name = (self.data.get("training") or {}).get("output_name")
        return name if isinstance(name, str) else None


def _basename(name: str) -> str:
    return re.split(r"[\\/]", name)[-1].lower()


def _stem(name: str) -> str:
    return posixpath.splitext(_basename(name))[0]


class ModelIndex:
    """Every name of every model item in a case, for resolving references quickly."""

    def __init__(self, models: list[ModelFacts], hashes: dict[str, dict[str, str]]) -> None:
        self.models = {m.sha256: m for m in models}
        self._by_hash: dict[str, set[tuple[str, str]]] = defaultdict(set)
        self._by_name: dict[str, set[str]] = defaultdict(set)
        self._by_output: dict[str, set[str]] = defaultdict(set)
        for sha, algorithms in hashes.items():
            for algorithm, value in algorithms.items():
                if algorithm in SHORT_ALGORITHMS:
                    self._by_hash[value].add((sha, algorithm))
                elif algorithm in FULL_ALGORITHMS:
                    self._by_hash[value].add((sha, algorithm))
                    for n in PREFIX_LENGTHS:
                        self._by_hash[value[:n]].add((sha, algorithm))
        for model in models:
            for path in model.paths:
                name = path.rsplit("!/", 1)[-1]
                self._by_name[_basename(name)].add(model.sha256)
                self._by_name[_stem(name)].add(model.sha256)
            if model.output_name:
                self._by_output[model.output_name.lower()].add(model.sha256)

    def by_hash(self, value: str) -> list[Resolution]:
        hits = self._by_hash.get(value, set())
        out = {}
        for sha, algorithm in sorted(hits):
            method = _method(algorithm, len(value))
            if sha not in out:
                out[sha] = Resolution(sha, method, 1.0 if len(value) == 64 else 0.95)
        return list(out.values())

    def by_name(self, name: str) -> list[Resolution]:
        """File name (with or without extension), else a LoRA's ``ss_output_name``."""
        key = _basename(name)
        hits = self._by_name.get(key) or self._by_name.get(_stem(name)) or set()
        if hits:
            return [Resolution(sha, "file-name", 0.5) for sha in sorted(hits)]
        outputs = self._by_output.get(key) or self._by_output.get(_stem(name)) or set()
        return [Resolution(sha, "output-name", 0.5) for sha in sorted(outputs)]


def _method(algorithm: str, length: int) -> str:
    if algorithm == "sha256":
        return "sha256" if length == 64 else ("autov2" if length == 10 else f"sha256[:{length}]")
    if algorithm == "autov3":
        return "autov3" if length == 64 else f"autov3[:{length}]"
    return algorithm if length in (8, 64) else f"{algorithm}[:{length}]"


# -- models and training sets ------------------------------------------------------------


def training_folders(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Folder name → what the model's metadata says about it (repeats, images, tags)."""
    training = data.get("training") or {}
    folders: dict[str, dict[str, Any]] = {}
    for entry in training.get("dataset_dirs") or []:
        folders.setdefault(entry["folder"].lower(), {}).update(
            repeats=entry.get("repeats"), images=entry.get("images")
        )
    for dataset in training.get("datasets") or []:
        for subset in dataset.get("subsets") or []:
            if isinstance(subset.get("image_dir"), str) and not subset.get("is_reg"):
                folders.setdefault(_basename(subset["image_dir"]), {}).update(
                    repeats=subset.get("repeats"), images=subset.get("images")
                )
    for entry in training.get("tag_frequency") or []:
        folder = folders.setdefault(entry["folder"].lower(), {})
        folder["tags"] = {t["tag"].strip().lower(): t["count"] for t in entry.get("tags", [])}
    return folders


def match_training_set(
    set_name: str, tags: dict[str, int], folders: dict[str, dict[str, Any]]
) -> tuple[str, float, dict[str, Any]] | None:
    """(method, score, evidence) when a model's metadata describes this folder."""
    described = folders.get(set_name.lower())
    if described is not None:
        evidence: dict[str, Any] = {"folder": set_name}
        if described.get("tags") and tags:
            evidence["tag_similarity"] = round(cosine(described["tags"], tags), 4)
        if described.get("images") is not None:
            evidence["images_in_metadata"] = described["images"]
        return "dataset-folder-name", 1.0, evidence
    if not tags:
        return None
    best: tuple[float, str] | None = None
    for folder, facts in folders.items():
        if facts.get("tags"):
            score = cosine(facts["tags"], tags)
            if best is None or score > best[0]:
                best = (score, folder)
    if best is not None and best[0] >= TAG_SIMILARITY:
        return "tag-frequency", round(best[0], 4), {"metadata_folder": best[1]}
    return None
