"""The PDQ index against its brute-force reference, plus its edge cases."""

from __future__ import annotations

import contextlib
import itertools
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tutela.index import PdqIndex, hex_to_words, plan, to_words, words_to_bytes, words_to_hex
from tutela.index.plan import layout_for, plan_tolerances
from tutela.index.reference import brute_force

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def random_words(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.integers(0, 2**64, size=(n, 4), dtype=np.uint64)


def flip(rng: np.random.Generator, words: np.ndarray, max_flips: int) -> np.ndarray:
    """Each row with 0..max_flips distinct random bits flipped."""
    out = words.copy()
    for row in out:
        for bit in rng.choice(256, size=int(rng.integers(0, max_flips + 1)), replace=False):
            row[bit // 64] ^= np.uint64(1) << np.uint64(bit % 64)
    return out


def dataset(seed: int, n: int, families: int) -> np.ndarray:
    """Uniform hashes plus clustered near-duplicate families (and exact duplicates)."""
    rng = np.random.default_rng(seed)
    parts = [random_words(rng, n)]
    for _ in range(families):
        centre = random_words(rng, 1)
        parts.append(flip(rng, np.repeat(centre, int(rng.integers(2, 12)), axis=0), 20))
        parts.append(np.repeat(centre, 2, axis=0))
    return np.concatenate(parts)


def queries_for(seed: int, hashes: np.ndarray, n: int) -> np.ndarray:
    rng = np.random.default_rng(seed + 1)
    near = flip(rng, hashes[rng.integers(0, len(hashes), size=n)], 40) if len(hashes) else []
    return np.concatenate([np.asarray(near, dtype=np.uint64).reshape(-1, 4), random_words(rng, 3)])


@contextlib.contextmanager
def prefer_tables(always: bool) -> Iterator[None]:
    """Make the planner use the bucket tables whenever they can cover the radius.

    Small test indexes would otherwise mostly be scanned (cheaper), leaving the
    multi-index path untested at larger radii.
    """
    with pytest.MonkeyPatch.context() as mp:
        if always:
            mp.setattr(plan, "COST_SCAN_ROW", 1e12)
        yield


def assert_same(
    index: PdqIndex, ids: np.ndarray, hashes: np.ndarray, q: np.ndarray, r: int
) -> None:
    got = index.query(q, r)
    want = brute_force(ids, hashes, q, r)
    assert got.query.tolist() == want.query.tolist()
    assert got.ids.tolist() == want.ids.tolist()
    assert got.distance.tolist() == want.distance.tolist()


# -- codec -----------------------------------------------------------------------------


@given(st.lists(st.binary(min_size=32, max_size=32), max_size=20))
def test_hex_bytes_words_round_trip(raw: list[bytes]) -> None:
    hexes = [r.hex() for r in raw]
    words = hex_to_words(hexes)
    assert words.shape == (len(raw), 4)
    assert words_to_hex(words) == hexes
    assert [bytes(b) for b in words_to_bytes(words)] == raw
    assert np.array_equal(to_words(words_to_bytes(words)), words)
    assert np.array_equal(to_words([h.upper() for h in hexes]), words)
    assert np.array_equal(to_words(np.array(hexes, dtype="U64")), words)


@pytest.mark.parametrize(
    "bad", ["0" * 63, "0" * 65, "g" * 64, " " + "0" * 63, "0" * 31 + " " + "0" * 32, ""]
)
def test_bad_hex_is_a_clear_error_naming_the_row(bad: str) -> None:
    with pytest.raises(ValueError, match="#1"):
        hex_to_words(["f" * 64, bad])


def test_bad_inputs_are_rejected() -> None:
    index = PdqIndex()
    with pytest.raises(ValueError, match="2 ids but 1 hashes"):
        index.add([1, 2], ["0" * 64])
    with pytest.raises(ValueError, match="duplicate ids"):
        index.add([1, 1], ["0" * 64, "f" * 64])
    with pytest.raises(ValueError, match="shape"):
        index.add([1], np.zeros((1, 31), dtype=np.uint8))
    with pytest.raises(TypeError):
        index.query("0" * 64)
    with pytest.raises(ValueError, match="radius"):
        index.query(["0" * 64], 257)
    with pytest.raises(ValueError, match="radius"):
        index.query(["0" * 64], -1)
    with pytest.raises(ValueError, match="signed 64-bit"):
        index.add(np.array([2**63], dtype=np.uint64), ["0" * 64])


# -- edge cases HMA/pytx got wrong -------------------------------------------------------


def test_empty_index() -> None:
    index = PdqIndex()
    assert len(index) == 0
    assert len(index.query(["0" * 64, "f" * 64], 256)) == 0
    assert len(index.query([], 31)) == 0
    assert index.stats().entries == 0
    index.compact()
    assert len(index.query(["0" * 64], 256)) == 0


def test_empty_index_round_trips(tmp_path: Path) -> None:
    PdqIndex().save(tmp_path / "idx")
    loaded = PdqIndex.load(tmp_path / "idx")
    assert len(loaded) == 0 and len(loaded.query(["0" * 64], 256)) == 0


def test_single_entry_index() -> None:
    """threatexchange issue #1318: a one-hash index must still match."""
    index = PdqIndex()
    index.add([42], ["a" * 64])
    m = index.query(["a" * 64, "a" * 63 + "b", "5" * 64], 31)
    assert m.query.tolist() == [0, 1]
    assert m.ids.tolist() == [42, 42]
    assert m.distance.tolist() == [0, 1]
    assert len(index.query(["a" * 63 + "5"], 2)) == 0  # a→5 flips 3 bits


def test_duplicate_hashes_all_returned() -> None:
    index = PdqIndex(min_table_entries=1)
    index.add([3, 1, 2], ["c" * 64] * 3)
    m = index.query(["c" * 64], 0)
    assert m.ids.tolist() == [1, 2, 3]
    assert m.distance.tolist() == [0, 0, 0]


def test_per_bank_thresholds_from_one_query() -> None:
    index = PdqIndex()
    index.add([1, 2], ["0" * 64, "0" * 60 + "ffff"])  # distance 0 and 16
    m = index.query(["0" * 64], 31)
    assert m.within(10).ids.tolist() == [1]
    assert m.within(31).ids.tolist() == [1, 2]


def test_results_beyond_the_output_buffer_are_complete() -> None:
    rng = np.random.default_rng(7)
    hashes = random_words(rng, 300)
    ids = np.arange(300) + 10
    index = PdqIndex(min_table_entries=1)
    index.add(ids, hashes)
    assert_same(index, ids, hashes, hashes[:60], 256)  # 18,000 pairs > first buffer


# -- exactness against the reference ------------------------------------------------------


@SETTINGS
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(0, 400),
    families=st.integers(0, 6),
    radius=st.one_of(st.integers(0, 64), st.sampled_from([0, 15, 31, 32, 47, 63, 64, 128, 256])),
    min_table_entries=st.sampled_from([1, 64, 10**9]),
    tables_always=st.booleans(),
)
def test_matches_brute_force(
    seed: int, n: int, families: int, radius: int, min_table_entries: int, tables_always: bool
) -> None:
    hashes = dataset(seed, n, families)
    ids = np.random.default_rng(seed).permutation(len(hashes)).astype(np.int64) * 5 - 7
    with prefer_tables(tables_always):
        index = PdqIndex(min_table_entries=min_table_entries)
        index.add(ids, hashes)
        assert_same(index, ids, hashes, queries_for(seed, hashes, 12), radius)


@SETTINGS
@given(
    seed=st.integers(0, 2**32 - 1),
    batches=st.lists(st.integers(1, 150), min_size=1, max_size=6),
    radius=st.integers(0, 64),
    compact_at=st.integers(-1, 6),
    tables_always=st.booleans(),
)
def test_updates_match_brute_force(
    seed: int, batches: list[int], radius: int, compact_at: int, tables_always: bool
) -> None:
    """Adds (new and replacing ids), removes, disables and enables, across segments."""
    with prefer_tables(tables_always):
        check_updates(seed, batches, radius, compact_at)


def check_updates(seed: int, batches: list[int], radius: int, compact_at: int) -> None:
    rng = np.random.default_rng(seed)
    index = PdqIndex(delta_limit=100, min_table_entries=32)
    live: dict[int, np.ndarray] = {}
    disabled: set[int] = set()
    for step, size in enumerate(batches):
        new_ids = rng.choice(400, size=size, replace=False).astype(np.int64)
        words = dataset(int(rng.integers(2**32)), size, 0)[:size]
        index.add(new_ids, words)
        for i, w in zip(new_ids.tolist(), words, strict=True):
            live[i] = w
            disabled.discard(i)
        held = np.array(sorted(live), dtype=np.int64)
        gone = rng.choice(held, size=len(held) // 5, replace=False) if len(held) else held
        assert index.remove(gone) == len(gone)
        for i in gone.tolist():
            live.pop(i)
            disabled.discard(i)
        held = np.array(sorted(live), dtype=np.int64)
        off = rng.choice(held, size=len(held) // 4, replace=False) if len(held) else held
        index.disable(off)
        disabled |= set(off.tolist())
        back = [i for i in off.tolist() if rng.random() < 0.3]
        assert index.enable(back) == len(back)
        disabled -= set(back)
        if step == compact_at:
            index.compact()
    assert len(index) == len(live)
    assert index.disabled_ids().tolist() == sorted(disabled)
    assert index.entry_ids().tolist() == sorted(live)
    active = sorted(set(live) - disabled)
    ids = np.array(active, dtype=np.int64)
    hashes = np.array([live[i] for i in active], dtype=np.uint64).reshape(-1, 4)
    all_hashes = np.array(list(live.values()), dtype=np.uint64).reshape(-1, 4)
    assert_same(index, ids, hashes, queries_for(seed, all_hashes, 10), radius)


@SETTINGS
@given(n=st.integers(1, 10**8), radius=st.integers(0, 256))
def test_plan_satisfies_the_pigeonhole_bound(n: int, radius: int) -> None:
    layout = layout_for(n, 1)
    assert layout is not None
    assert layout.starts[-1] + layout.bits <= 256
    assert all(b - a >= layout.bits for a, b in itertools.pairwise(layout.starts))
    tol = plan_tolerances(layout, n, np.full(layout.tables, 4.0), radius)
    if tol is not None:
        assert int((tol + 1).sum()) >= radius + 1
        assert int(tol.max()) <= layout.bits


def test_multi_index_path_is_used_at_radius_31() -> None:
    layout = layout_for(10_000_000, 16_384)
    assert layout is not None and layout.bits == 22 and layout.tables == 11
    tol = plan_tolerances(layout, 10_000_000, np.full(11, 5.0), 31)
    assert tol is not None and int(tol.max()) == 2
    assert plan_tolerances(layout, 10_000_000, np.full(11, 5.0), 0) is not None
    assert plan_tolerances(layout, 10_000, np.full(11, 5.0), 128) is None  # scan instead


def test_threads_give_the_same_result() -> None:
    hashes = dataset(3, 3000, 20)
    ids = np.arange(len(hashes), dtype=np.int64)
    index = PdqIndex(min_table_entries=256)
    index.add(ids, hashes)
    q = queries_for(3, hashes, 200)
    one, many = index.query(q, 31, threads=1), index.query(q, 31, threads=4)
    assert one.ids.tolist() == many.ids.tolist() and one.query.tolist() == many.query.tolist()
    assert_same(index, ids, hashes, q, 31)


# -- incremental updates ----------------------------------------------------------------


def test_add_and_disable_never_rebuild_the_base() -> None:
    hashes = dataset(11, 5000, 30)
    ids = np.arange(len(hashes), dtype=np.int64)
    index = PdqIndex(delta_limit=500, min_table_entries=1024)
    index.add(ids, hashes)
    base = index.segments[0]
    assert base.tables is not None
    arrays = (base.hashes, base.ids, base.tables.rows, base.tables.offsets)
    extra = dataset(12, 300, 0)
    index.add(np.arange(300) + 10**6, extra)
    index.add(np.arange(300) + 2 * 10**6, dataset(13, 300, 0))  # past delta_limit: new delta
    index.disable(ids[:50])
    index.remove(ids[50:60])
    index.add(ids[60:61], extra[:1])  # replace one entry of the base
    assert index.segments[0] is base
    assert all(a is b for a, b in zip(arrays, (base.hashes, base.ids, base.tables.rows,
                                               base.tables.offsets), strict=True))  # fmt: skip
    assert len(index.segments) == 3
    assert index.stats().delta_entries == 301
    assert index.query(hashes[:50], 0).ids.size == 0
    m = index.query(extra[:1], 0)
    assert set(m.ids.tolist()) == {60, 10**6}
    assert 60 not in index.query(hashes[60:61], 0).ids.tolist()


def test_compaction_keeps_disabled_drops_removed_and_never_blocks_queries() -> None:
    hashes = dataset(21, 20_000, 50)
    ids = np.arange(len(hashes), dtype=np.int64)
    index = PdqIndex(delta_limit=1000, min_table_entries=1024)
    index.add(ids[:15_000], hashes[:15_000])
    for lo in range(15_000, len(ids), 900):
        index.add(ids[lo : lo + 900], hashes[lo : lo + 900])
    index.remove(ids[:100])
    index.disable(ids[100:200])
    q = queries_for(21, hashes, 50)
    expected = index.query(q, 31)
    stop = threading.Event()
    errors: list[str] = []

    def reader() -> None:
        while not stop.is_set():
            got = index.query(q, 31)
            if got.ids.tolist() != expected.ids.tolist():
                errors.append("query result changed during compaction")

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        index.compact()
    finally:
        stop.set()
        thread.join()
    assert not errors
    assert len(index.segments) == 1
    stats = index.stats()
    assert (stats.removed, stats.disabled, stats.entries) == (0, 100, len(ids) - 100)
    assert index.enable(ids[100:200]) == 100
    assert index.remove(ids[:100]) == 0


# -- persistence ------------------------------------------------------------------------


@pytest.mark.parametrize("mmap", [True, False])
def test_save_load_round_trip(tmp_path: Path, mmap: bool) -> None:
    hashes = dataset(31, 3000, 20)
    ids = np.arange(len(hashes), dtype=np.int64) * 3
    index = PdqIndex(delta_limit=200, min_table_entries=512)
    index.add(ids[:-100], hashes[:-100])
    index.add(ids[-100:], hashes[-100:])
    index.disable(ids[:10])
    index.remove(ids[10:20])
    index.save(tmp_path / "idx")
    assert not list((tmp_path / "idx").rglob("*.pkl"))
    loaded = PdqIndex.load(tmp_path / "idx", mmap=mmap)
    q = queries_for(31, hashes, 40)
    for r in (0, 31, 63):
        assert loaded.query(q, r).ids.tolist() == index.query(q, r).ids.tolist()
    assert loaded.stats() == index.stats()
    # A loaded (memory-mapped) index stays updatable.
    loaded.enable(ids[:10])
    loaded.add([10**9], hashes[:1])
    assert set(loaded.query(hashes[:1], 0).ids.tolist()) == {0, 10**9}


def test_save_writes_only_new_segments(tmp_path: Path) -> None:
    hashes = dataset(41, 2000, 10)
    ids = np.arange(len(hashes), dtype=np.int64)
    index = PdqIndex(delta_limit=100, min_table_entries=512)
    index.add(ids, hashes)
    root = tmp_path / "idx"
    index.save(root)
    base = root / "segments" / index.segments[0].name / "hashes.npy"
    before = os.stat(base)
    index.add([10**7], ["0" * 64])
    index.disable(ids[:5])
    index.save(root)
    after = os.stat(base)
    assert (before.st_ino, before.st_mtime_ns) == (after.st_ino, after.st_mtime_ns)
    reloaded = PdqIndex.load(root)
    assert reloaded.disabled_ids().tolist() == list(range(5))
    assert reloaded.query(["0" * 64], 0).ids.tolist() == [10**7]
    assert len(list((root / "segments").iterdir())) == 2
    assert len(list(root.glob("flags-*"))) == 1
    index.compact()
    index.save(root)
    assert len(list((root / "segments").iterdir())) == 1
    assert PdqIndex.load(root).stats() == index.stats()


def test_load_rejects_foreign_or_missing_manifest(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="manifest"):
        PdqIndex.load(tmp_path)
    (tmp_path / "manifest.json").write_text('{"format": "other", "version": 1}')
    with pytest.raises(ValueError, match="tutela-pdq-index"):
        PdqIndex.load(tmp_path)


def test_many_small_batches_keep_few_segments_and_the_base() -> None:
    hashes = dataset(51, 4000, 20)
    ids = np.arange(len(hashes), dtype=np.int64)
    index = PdqIndex(delta_limit=50, min_table_entries=256)
    index.add(ids[:2000], hashes[:2000])
    base = index.segments[0]
    for lo in range(2000, len(ids), 40):
        index.add(ids[lo : lo + 40], hashes[lo : lo + 40])
        assert len(index.segments) <= 9
    assert index.segments[0] is base
    assert index.needs_compaction
    q = queries_for(51, hashes, 30)
    assert_same(index, ids, hashes, q, 31)
    index.compact()
    assert not index.needs_compaction
    assert_same(index, ids, hashes, q, 31)


def adversary(query: np.ndarray, layout: plan.Layout, tol: np.ndarray, radius: int) -> np.ndarray:
    """A hash at exactly ``radius`` from ``query`` that dodges the tables as far as it can:
    its differing bits go first where no probed table looks, then t + 1 into each probed
    substring (enough to miss that table), and only then anywhere."""
    covered = {k: range(s, s + layout.bits) for k, s in enumerate(layout.starts)}
    probed = {b for k, bits in covered.items() if tol[k] >= 0 for b in bits}
    order = [b for b in range(256) if b not in probed]
    for k, bits in covered.items():
        if tol[k] >= 0:
            order += list(bits)[: int(tol[k]) + 1]
    order += [b for b in range(256) if b not in set(order)]
    out = query.copy()
    for bit in order[:radius]:
        out[bit // 64] ^= np.uint64(1) << np.uint64(bit % 64)
    return out


def test_hashes_placed_to_dodge_the_tables_are_still_found() -> None:
    """The pigeonhole bound is tight: a plan one bit short misses these."""
    rng = np.random.default_rng(5)
    hashes = random_words(rng, 500)
    query = hashes[0]
    with prefer_tables(True):
        for radius in range(0, 66):
            index = PdqIndex(min_table_entries=1)
            index.add(np.arange(len(hashes)), hashes)
            segment = index.segments[0]
            assert segment.tables is not None
            tol = plan.plan_tolerances(
                segment.tables.layout, len(segment), segment.tables.collision, radius
            )
            assert tol is not None
            placed = hashes.copy()
            placed[1] = adversary(query, segment.tables.layout, tol, radius)
            index = PdqIndex(min_table_entries=1)
            index.add(np.arange(len(placed)), placed)
            assert 1 in index.query(query[None, :], radius).ids.tolist(), radius
