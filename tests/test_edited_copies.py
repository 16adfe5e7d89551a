"""Edited copies of banked images still match them, and unrelated images do not."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from tutela.banks import service
from tutela.banks.images import add_images
from tutela.banks.matcher import Matcher, Query
from tutela.banks.queries import queries_from_files
from tutela.store import open_store
from tutela.testing.edits import EDITS
from tutela.testing.synth import encode, landscape, shapes


def _check(
    tmp_path: Path,
    banked: list[Image.Image],
    unrelated: list[Image.Image],
    originals: list[bytes] | None = None,
) -> tuple[list[str], list[str], int]:
    """Bank ``banked`` (as ``originals`` when given: the files as they were shared)."""
    store = open_store(f"sqlite:///{tmp_path / 'e.db'}")
    with store.transaction() as session:
        service.create_bank(session, "K")
    names = {}
    for i, image in enumerate(banked):
        path = tmp_path / f"banked-{i}.{'jpg' if originals else 'png'}"
        path.write_bytes(originals[i] if originals else encode(image, "PNG"))
        add_images(store, "K", [str(path)])
        names[i] = path.name
    files: dict[str, tuple[str, int]] = {}
    for edit_name, (edit, quality) in EDITS.items():
        for group, images in (("banked", banked), ("unrelated", unrelated)):
            for i, image in enumerate(images):
                path = tmp_path / f"{edit_name.split()[0]}-{group}-{i}.jpg"
                path.write_bytes(encode(edit(image), "JPEG", quality=quality))
                files[str(path)] = (group, i)
    queries = [q for q in queries_from_files(sorted(files)) if isinstance(q, Query)]
    assert len(queries) == len(files)
    matcher = Matcher(store)
    matcher.refresh()
    misses, false = [], []
    for result in matcher.match(queries):
        group, i = files[result.query.label]
        sources = {h.metadata["file"] for h in result.hits if h.status == "match"}
        if group == "banked" and names[i] not in sources:
            misses.append(result.query.label)
        false += [result.query.label for s in sources if group == "unrelated" or s != names[i]]
    return misses, false, len(banked) * len(EDITS)


def test_synthetic_edited_copies(tmp_path: Path) -> None:
    misses, false, _ = _check(
        tmp_path, [landscape(s, 800, 600) for s in (31, 32)], [shapes(33), landscape(34)]
    )
    assert not misses and not false


@pytest.mark.shared_data
def test_corpus_edited_copies(tmp_path: Path, shared_data: Path) -> None:
    """Real photos: recall is measured in benchmarks/bench_edits.py; here a sample must
    keep ≥ 90 % of edited copies matching and produce no false match."""
    photos = sorted((shared_data / "images" / "real").glob("*.jpg"))[:10]
    images = [Image.open(p).convert("RGB") for p in photos]
    misses, false, total = _check(
        tmp_path, images[:6], images[6:], [p.read_bytes() for p in photos[:6]]
    )
    assert not false
    assert len(misses) <= total // 10, misses
