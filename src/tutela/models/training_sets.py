"""Recognise training-set folders and count their caption tags the way kohya does.

A kohya dataset is a folder of images where ``photo.png`` has its caption in
``photo.txt`` (or ``.caption``), often inside a folder named ``<repeats>_<concept>``
(``10_landscape``). The trainer stores, per folder, how often each tag occurs
(``ss_tag_frequency``): captions split on commas, trimmed, lower-cased. Counting
the folder's captions the same way lets a model be matched to the folder it was
trained on even when the folder was renamed.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tutela.models.locations import Folder

CAPTION_SUFFIXES = (".txt", ".caption")
KOHYA_FOLDER = re.compile(r"^(\d+)_(.+)$")
MAX_CAPTION_BYTES = 64 * 1024
MAX_STORED_TAGS = 500
MIN_CAPTIONED = 2
"""A plain folder needs at least this many captioned images (one image + notes.txt is not a set)."""


@dataclass
class Candidate:
    folder: Folder
    images: list[str]
    captions: dict[str, str]
    """image path → caption path"""
    repeats: int | None = None
    concept: str | None = None
    tags: Counter[str] = field(default_factory=Counter)
    unreadable: int = 0


def candidates(folders: Mapping[str, Folder]) -> list[Candidate]:
    """Folders that look like training sets: captioned images, or a kohya folder name."""
    found = []
    for folder in folders.values():
        images = [e for e in folder.entries if e.kind == "image"]
        if not images:
            continue
        by_stem = {
            e.stem: e.path
            for e in folder.entries
            if e.suffix in CAPTION_SUFFIXES and e.kind != "image"
        }
        captions = {i.path: by_stem[i.stem] for i in images if i.stem in by_stem}
        kohya = KOHYA_FOLDER.match(folder.name)
        plain = len(captions) >= MIN_CAPTIONED and len(captions) * 2 >= len(images)
        if not (plain or kohya):
            continue
        candidate = Candidate(folder, [i.path for i in images], captions)
        if kohya:
            candidate.repeats, candidate.concept = int(kohya.group(1)), kohya.group(2)
        found.append(candidate)
    return found


def count_tags(caption: str) -> Counter[str]:
    """kohya's ``set_tag_frequency`` for one caption."""
    counted: Counter[str] = Counter()
    for tag in caption.split(","):
        tag = tag.strip().lower()
        if tag:
            counted[tag] += 1
    return counted


def add_captions(candidate: Candidate, texts: Mapping[str, bytes]) -> None:
    for caption_path in candidate.captions.values():
        raw = texts.get(caption_path)
        if raw is None:
            candidate.unreadable += 1
            continue
        candidate.tags.update(count_tags(raw.decode("utf-8", errors="replace")))


def cosine(a: Mapping[str, int], b: Mapping[str, int]) -> float:
    """Cosine similarity of two tag-count vectors (1.0: same tags in the same proportions)."""
    dot = sum(n * b.get(tag, 0) for tag, n in a.items())
    norm = math.sqrt(sum(n * n for n in a.values())) * math.sqrt(sum(n * n for n in b.values()))
    return dot / norm if norm else 0.0


def stored_tags(candidate: Candidate) -> list[dict[str, Any]]:
    ordered = sorted(candidate.tags.items(), key=lambda item: (-item[1], item[0]))
    return [{"tag": t, "count": n} for t, n in ordered[:MAX_STORED_TAGS]]
