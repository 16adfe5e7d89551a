"""How many decisions an analyst is left with: items in a case vs judgements after
auto-resolution by bank matches and clustering of near-duplicates.

Run: ``PYTHONPATH=src python benchmarks/bench_reduction.py [--bases N] [--signals]``

The case is benign and synthetic, built with known structure: unique scenes,
near-duplicates of some of them (downscaled, re-encoded), exact copies at other
paths, flat images whose PDQ quality is too low to cluster, and a positive bank
holding some of the scenes. The anchor is the IWF's published practice of one
decision per image (every file), measured on the same case. Cluster quality is
reported as pair precision and recall against the known groups.
"""

from __future__ import annotations

import argparse
import itertools
import random
import tempfile
import time
from pathlib import Path

from PIL import Image
from sqlalchemy import select

from tutela.assess.review_queue import triage
from tutela.cluster.models import ClusterMember
from tutela.engine.local import PipelineSpec
from tutela.engine.scan import scan
from tutela.store import open_store
from tutela.store.models import Location
from tutela.store.queries import case_id
from tutela.testing.synth import encode, landscape, shapes


def build_case(folder: Path, bases: int, seed: int = 1) -> tuple[dict[str, str], list[Path]]:
    """Write the case; returns file → ground-truth group and the files to put in a bank."""
    rng = random.Random(seed)
    truth: dict[str, str] = {}
    banked: list[Path] = []
    for b in range(bases):
        image = landscape(b) if b % 2 else shapes(b, 640, 480)
        group = f"g{b}"
        path = folder / f"scene-{b:04d}.jpg"
        path.write_bytes(encode(image, quality=90))
        truth[path.name] = group
        if b % 3 == 0:  # a third of the scenes come with two near-duplicates
            small = folder / f"scene-{b:04d}-small.jpg"
            small.write_bytes(encode(image.resize((448, 336)), quality=70))
            png = folder / f"scene-{b:04d}-recoded.png"
            png.write_bytes(encode(image.resize((600, 450)), "PNG"))
            truth[small.name], truth[png.name] = group, group
        if b % 8 == 0:  # an eighth of the scenes are already in a hash list
            banked.append(path)
    for f in range(max(2, bases // 12)):  # flat images: PDQ quality < 50, never clustered
        flat = folder / f"flat-{f:03d}.png"
        flat.write_bytes(encode(Image.new("RGB", (300, 200), (100 + f, 110, 120)), "PNG"))
        truth[flat.name] = f"flat{f}"
    originals = sorted(truth)
    for c in range(bases // 3):  # exact copies at other paths
        name = rng.choice(originals)
        copy = folder / f"copy-{c:03d}-{name}"
        copy.write_bytes((folder / name).read_bytes())
        truth[copy.name] = truth[name]
    return truth, banked


def add_bank(store_url: str, banked: list[Path]) -> bool:
    try:
        from tutela.banks.images import add_images
        from tutela.banks.service import create_bank
    except ModuleNotFoundError:
        return False
    store = open_store(store_url)
    with store.transaction() as session:
        create_bank(session, "bench-known", "positive")
    add_images(store, "bench-known", [str(p) for p in banked], {"category": "test-category"})
    return True


def pair_scores(store_url: str, case: str, truth: dict[str, str]) -> tuple[float, float, float]:
    """Pair precision and recall of clusters against the known groups (by item), and the
    recall among items whose PDQ quality allows clustering at all (≥ 50)."""
    store = open_store(store_url)
    with store.session() as session:
        cid = case_id(session, case)
        where = {
            sha: Path(path).name
            for path, sha in session.execute(
                select(Location.path, Location.item_sha256).where(Location.case_id == cid)
            )
        }
        cluster, basis = {}, {}
        for sha, cluster_id, how in session.execute(
            select(ClusterMember.item_sha256, ClusterMember.cluster_id, ClusterMember.basis).where(
                ClusterMember.case_id == cid
            )
        ):
            cluster[sha], basis[sha] = cluster_id, how
    items = sorted(cluster)
    predicted = {(a, b) for a, b in itertools.combinations(items, 2) if cluster[a] == cluster[b]}
    actual = {
        (a, b) for a, b in itertools.combinations(items, 2) if truth[where[a]] == truth[where[b]]
    }
    eligible = {(a, b) for a, b in actual if basis[a] == basis[b] == "pdq"}
    precision = len(predicted & actual) / len(predicted) if predicted else 1.0
    recall = len(predicted & actual) / len(actual) if actual else 1.0
    recall_eligible = len(predicted & eligible) / len(eligible) if eligible else 1.0
    return precision, recall, recall_eligible


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bases", type=int, default=120, help="unique scenes in the case")
    parser.add_argument("--signals", action="store_true", help="also compute content signals")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "case"
        folder.mkdir()
        truth, banked = build_case(folder, args.bases)
        url = f"sqlite:///{tmp}/reduction.db"
        has_banks = add_bank(url, banked)
        spec = PipelineSpec(only_signals=None if args.signals else frozenset())
        store = open_store(url)
        started = time.perf_counter()
        scan(store, [str(folder)], "bench", spec, args.workers)
        result = triage(store, "bench", limit=5)
        seconds = time.perf_counter() - started
        precision, recall, recall_eligible = pair_scores(url, "bench", truth)

    files = len(truth)
    groups = len(set(truth.values()))
    print(f"benign case: {files} files, {result.items} items, {groups} true groups")
    print(f"{'':<44}{'decisions':>10}{'× anchor':>10}")
    print(f"{'anchor: one decision per image file (IWF)':<44}{files:>10}{1.0:>10.2f}")
    unique = "one decision per unique item (sha256)"
    print(f"{unique:<44}{result.items:>10}{files / result.items:>10.2f}")
    print(
        f"{'tutela: after auto-resolution and clusters':<44}{result.decisions:>10}"
        f"{files / result.decisions:>10.2f}"
    )
    print(
        f"auto-resolved by bank: {result.auto_resolved} items"
        + ("" if has_banks else " (banks not installed: no bank in this run)")
    )
    print(
        f"clusters to judge: {result.clusters_to_judge} holding "
        f"{result.items_in_clusters_to_judge} items; single items: {result.single_items_to_judge}"
    )
    print(
        f"cluster pairs against the known groups: precision {precision:.3f}, recall {recall:.3f}"
        f" ({recall_eligible:.3f} among items with PDQ quality ≥ 50)"
    )
    print(f"scan + triage: {seconds:.1f} s with {args.workers} workers")


if __name__ == "__main__":
    main()
