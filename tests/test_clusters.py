"""Clusters: connected components of "PDQ distance ≤ threshold", in any arrival order."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image
from sqlalchemy import select

from tutela.cluster.graph import PdqClusterer, distances, packed
from tutela.cluster.models import Cluster, ClusterMember
from tutela.cluster.reference import reference_components
from tutela.cluster.stage import update_clusters
from tutela.engine.scan import scan
from tutela.signals.pdq import hamming
from tutela.store import open_store
from tutela.store.queries import case_id
from tutela.testing.synth import encode, landscape

THRESHOLD = 31


def _flip(value: str, bits: list[int]) -> str:
    n = int(value, 16)
    for b in bits:
        n ^= 1 << b
    return f"{n:064x}"


@st.composite
def hash_sets(draw: st.DrawFn) -> dict[str, str]:
    """Random hashes plus near copies and chains (distances around the threshold)."""
    rng = random.Random(draw(st.integers(0, 2**32)))
    bases = [f"{rng.getrandbits(256):064x}" for _ in range(draw(st.integers(1, 6)))]
    out: dict[str, str] = {}
    for b, base in enumerate(bases):
        current = base
        for step in range(draw(st.integers(0, 6))):
            out[f"{b}-{step}"] = current
            current = _flip(current, rng.sample(range(256), rng.choice([3, 20, 31, 32, 45])))
    for extra in range(draw(st.integers(0, 4))):
        out[f"x-{extra}"] = f"{rng.getrandbits(256):064x}"
    return out


def test_packed_distance_matches_reference_hamming() -> None:
    rng = random.Random(7)
    hashes = [f"{rng.getrandbits(256):064x}" for _ in range(20)]
    fast = distances(packed(hashes), packed(hashes))
    for i, a in enumerate(hashes):
        for j, b in enumerate(hashes):
            assert fast[i, j] == hamming(a, b)


@settings(max_examples=120, deadline=None)
@given(items=hash_sets(), order_seed=st.integers(0, 10_000), batch=st.integers(1, 7))
def test_any_arrival_order_gives_the_reference_components(
    items: dict[str, str], order_seed: int, batch: int
) -> None:
    keys = list(items)
    random.Random(order_seed).shuffle(keys)
    clusterer = PdqClusterer(THRESHOLD)
    for start in range(0, len(keys), batch):
        clusterer.add((k, items[k]) for k in keys[start : start + batch])
    assert clusterer.components() == reference_components(items, THRESHOLD)


@settings(max_examples=60, deadline=None)
@given(items=hash_sets(), split=st.floats(0, 1))
def test_restoring_stored_clusters_then_adding_equals_one_pass(
    items: dict[str, str], split: float
) -> None:
    keys = sorted(items)
    cut = int(len(keys) * split)
    first = PdqClusterer(THRESHOLD)
    first.add((k, items[k]) for k in keys[:cut])
    restored = PdqClusterer(THRESHOLD)
    restored.add(((k, items[k]) for k in keys[:cut]), compare=False)
    for group in first.components():
        restored.join(group)
    restored.add((k, items[k]) for k in keys[cut:])
    assert restored.components() == reference_components(items, THRESHOLD)


def test_chains_join_and_distant_items_stay_apart() -> None:
    a = "0" * 64
    b = _flip(a, list(range(30)))  # 30 from a
    c = _flip(b, list(range(30, 60)))  # 30 from b, 60 from a
    d = _flip(a, list(range(100, 200)))  # far from all
    clusterer = PdqClusterer(THRESHOLD)
    clusterer.add([("a", a), ("b", b), ("c", c), ("d", d)])
    assert clusterer.components() == [["a", "b", "c"], ["d"]]


def test_many_items_fast_path_equals_reference() -> None:
    rng = np.random.default_rng(3)
    base = rng.integers(0, 2, (40, 256), dtype=np.uint8)
    items: dict[str, str] = {}
    for i in range(600):
        bits = base[i % 40].copy()
        flips = rng.choice(256, size=int(rng.integers(0, 40)), replace=False)
        bits[flips] ^= 1
        items[f"{i:04d}"] = np.packbits(bits).tobytes().hex()
    clusterer = PdqClusterer(THRESHOLD)
    clusterer.add(items.items())
    assert clusterer.components() == reference_components(items, THRESHOLD)


def _variants(folder: Path) -> dict[str, bytes]:
    """Benign synthetic files: near-duplicates (re-encoded, resized), an exact copy, others."""
    base = landscape(11)
    files = {
        "a.jpg": encode(base, quality=92),
        "a-small.jpg": encode(base.resize((320, 240)), quality=80),
        "a.png": encode(base, "PNG"),
        "a-copy.jpg": encode(base, quality=92),
        "b.jpg": encode(landscape(12)),
        "c.jpg": encode(landscape(13)),
        "flat.png": encode(Image.new("RGB", (200, 200), (120, 120, 120)), "PNG"),
        "flat2.png": encode(Image.new("RGB", (210, 200), (121, 120, 120)), "PNG"),
    }
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return files


def _clusters(store_url: str, case: str) -> list[tuple[list[str], str]]:
    store = open_store(store_url)
    with store.session() as session:
        cid = case_id(session, case)
        members: dict[int, list[str]] = {}
        for sha, cluster_id in session.execute(
            select(ClusterMember.item_sha256, ClusterMember.cluster_id).where(
                ClusterMember.case_id == cid
            )
        ):
            members.setdefault(cluster_id, []).append(sha)
        reps = dict(
            session.execute(
                select(Cluster.id, Cluster.representative_sha256).where(Cluster.case_id == cid)
            ).all()
        )
    return sorted((sorted(m), reps[c]) for c, m in members.items())


def test_scan_clusters_near_duplicates_and_stacks_exact_copies(
    store_url: str, tmp_path: Path
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    _variants(folder)
    store = open_store(store_url)
    summary = scan(store, [str(folder)], "c", workers=1)
    assert summary.stages["cluster"]["clusters"] == 1
    clusters = _clusters(store_url, "c")
    sizes = sorted(len(m) for m, _ in clusters)
    # a.jpg == a-copy.jpg (one item); a.jpg, a-small.jpg, a.png near-duplicates;
    # b, c apart; the flat images have PDQ quality < 50 and never cluster by PDQ.
    assert sizes == [1, 1, 1, 1, 3]
    with store.session() as session:
        bases = dict(session.execute(select(ClusterMember.item_sha256, ClusterMember.basis)).all())
    assert sorted(bases.values()).count("pdq-low-quality") == 2


def test_incremental_scans_equal_one_scan_in_any_order(tmp_path: Path) -> None:
    files = _variants(tmp_path)
    names = sorted(files)
    results = []
    for seed in range(3):
        order = names[:]
        random.Random(seed).shuffle(order)
        url = f"sqlite:///{tmp_path / f'db{seed}.sqlite'}"
        store = open_store(url)
        for start in range(0, len(order), 3):  # items arrive in three scans
            batch = tmp_path / f"run{seed}-{start}"
            batch.mkdir()
            for name in order[start : start + 3]:
                (batch / name).write_bytes(files[name])
            scan(store, [str(batch)], "case", workers=1)
        results.append(_clusters(url, "case"))
    assert results[0] == results[1] == results[2]


def test_threshold_change_rebuilds(store_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    _variants(folder)
    store = open_store(store_url)
    scan(store, [str(folder)], "c", workers=1)
    with store.transaction() as session:
        cid = case_id(session, "c")
        tight = update_clusters(session, cid, 0)
    assert tight["rebuilt"] is True
    assert tight["clusters"] <= 1
    with store.transaction() as session:
        again = update_clusters(session, cid, 0)
    assert again == {**tight, "rebuilt": False, "new_items": 0}
