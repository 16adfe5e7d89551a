"""Bank matches in the queue: positive matches auto-resolve with their category,
negative banks suppress, near-duplicates of known items are flagged (needs tutela.banks)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tutela.assess.review_queue import triage
from tutela.engine.local import PipelineSpec
from tutela.engine.scan import scan
from tutela.store import open_store
from tutela.testing.synth import encode, landscape

banks = pytest.importorskip("tutela.banks.images", reason="the banks feature is not installed")
service = pytest.importorskip("tutela.banks.service")

NO_CONTENT = PipelineSpec(only_signals=frozenset())


def _case(tmp_path: Path) -> tuple[Path, Path]:
    known = tmp_path / "known"
    known.mkdir()
    (known / "listed.jpg").write_bytes(encode(landscape(41)))
    folder = tmp_path / "case"
    folder.mkdir()
    (folder / "listed.jpg").write_bytes(encode(landscape(41)))
    (folder / "listed-copy.jpg").write_bytes(encode(landscape(41)))
    (folder / "other.jpg").write_bytes(encode(landscape(42)))
    return known, folder


def test_positive_match_auto_resolves_and_is_listed_on_request(
    store_url: str, tmp_path: Path
) -> None:
    known, folder = _case(tmp_path)
    store = open_store(store_url)
    with store.transaction() as session:
        service.create_bank(session, "hotline-list", "positive")
    banks.add_images(store, "hotline-list", [str(known)], {"category": "B"})
    scan(store, [str(folder)], "c", NO_CONTENT, workers=1)
    result = triage(store, "c", include_resolved=True)
    assert result.items == 2 and result.locations == 3
    assert result.auto_resolved == 1
    assert result.decisions == 1  # only other.jpg is left to judge
    assert result.resolved is not None
    (resolved,) = result.resolved
    assert resolved.resolution["bank"] == "hotline-list"
    assert resolved.resolution["category"] == "B"
    assert len(resolved.paths) == 2  # kept, both copies, never deleted
    assert "auto-resolved" in resolved.reasons[0]["effect"]
    hidden = triage(store, "c")
    assert hidden.resolved is None and all(
        not e.paths[0].endswith("listed.jpg") for e in hidden.entries
    )


def test_near_duplicate_of_a_listed_item_is_flagged(store_url: str, tmp_path: Path) -> None:
    known, folder = _case(tmp_path)
    (folder / "listed-small.jpg").write_bytes(encode(landscape(41).resize((320, 240)), quality=60))
    store = open_store(store_url)
    with store.transaction() as session:
        # a tight bank threshold: the downscaled copy clusters (≤ 31) but does not match
        service.create_bank(session, "tight", "positive", pdq_threshold=0)
    banks.add_images(store, "tight", [str(known)], {"category": "A"}, variants=False)
    scan(store, [str(folder)], "c", NO_CONTENT, workers=1)
    result = triage(store, "c")
    cluster = next(e for e in result.entries if e.unit == "cluster")
    assert cluster.open_items < cluster.size
    assert cluster.reasons[0]["signal"] == "bank"
    assert "matched bank 'tight' (category A)" in cluster.reasons[0]["text"]
    assert result.entries[0].cluster_id == cluster.cluster_id


def test_negative_bank_suppresses_auto_resolution(store_url: str, tmp_path: Path) -> None:
    known, folder = _case(tmp_path)
    store = open_store(store_url)
    with store.transaction() as session:
        service.create_bank(session, "hotline-list", "positive")
        service.create_bank(session, "known-benign", "negative")
    banks.add_images(store, "hotline-list", [str(known)], {"category": "B"})
    banks.add_images(store, "known-benign", [str(known)])
    scan(store, [str(folder)], "c", NO_CONTENT, workers=1)
    result = triage(store, "c")
    assert result.auto_resolved == 0
    listed = next(e for e in result.entries if e.paths[0].endswith("listed-copy.jpg"))
    assert any("negative bank" in r["text"] or "suppressed" in r["text"] for r in listed.reasons)
