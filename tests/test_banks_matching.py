"""Banks and matching on SQLite and PostgreSQL: curation, per-bank thresholds, the quality
gate, negative suppression, disabled entries, dihedral matching and index edge cases."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

from tutela.banks import service
from tutela.banks.formats import get_format
from tutela.banks.matcher import Matcher, Query
from tutela.banks.pdq_index import BruteForcePdqIndex, hex_to_array
from tutela.banks.queries import queries_from_files, query_from_values
from tutela.banks.records import EntryRecord
from tutela.banks.service import BankError, UnknownEntry
from tutela.banks.signal_types import InvalidSignal
from tutela.store import open_store
from tutela.store.db import Store
from tutela.testing.synth import encode, landscape

PDQ = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
MD5 = "d41d8cd98f00b204e9800998ecf8427e"


def flip(hex_value: str, bits: int) -> str:
    """The hash with its first ``bits`` bits inverted (distance exactly ``bits``)."""
    value = int(hex_value, 16) ^ (((1 << bits) - 1) << (256 - bits))
    return f"{value:064x}"


def make_store(url: str, *banks: tuple[str, str, int]) -> Store:
    store = open_store(url)
    with store.transaction() as session:
        for name, kind, threshold in banks:
            service.create_bank(session, name, kind, threshold)
    return store


def add(store: Store, bank: str, *records: EntryRecord) -> service.ImportSummary:
    return service.import_records(store, bank, list(records))


def match_one(store: Store, query: Query) -> dict[str, object]:
    matcher = Matcher(store)
    matcher.refresh()
    return matcher.match([query])[0].to_json(matcher.thresholds())


def test_per_bank_thresholds_and_distances(store_url: str) -> None:
    store = make_store(store_url, ("STRICT", "positive", 10), ("LOOSE", "positive", 40))
    add(store, "STRICT", EntryRecord("pdq", PDQ, {"src": "s"}))
    add(store, "LOOSE", EntryRecord("pdq", PDQ, {"src": "l"}))
    near = match_one(store, query_from_values([("pdq", flip(PDQ, 8))]))
    assert [(b["bank"], b["matches"][0]["distance"]) for b in near["banks"]] == [
        ("LOOSE", 8),
        ("STRICT", 8),
    ]
    far = match_one(store, query_from_values([("pdq", flip(PDQ, 35))]))
    assert [b["bank"] for b in far["banks"]] == ["LOOSE"]
    assert far["banks"][0]["matches"][0]["metadata"] == {"src": "l"}
    assert match_one(store, query_from_values([("pdq", flip(PDQ, 41))]))["banks"] == []


def test_exact_hashes_match_exactly_and_case_insensitively(store_url: str) -> None:
    store = make_store(store_url, ("K", "positive", 31))
    add(store, "K", EntryRecord("MD5", MD5.upper()))
    hit = match_one(store, query_from_values([("md5", MD5)]))
    assert hit["matched"] and hit["banks"][0]["matches"][0]["distance"] == 0
    assert not match_one(store, query_from_values([("md5", "0" * 32)]))["matched"]


def test_low_quality_pdq_is_not_compared_and_says_so(store_url: str) -> None:
    store = make_store(store_url, ("K", "positive", 31))
    add(store, "K", EntryRecord("pdq", PDQ))
    query = query_from_values([("pdq", PDQ)])
    query.pdq_quality = 30
    result = match_one(store, query)
    assert result["matched"] is False
    assert "quality 30 is below 50" in result["notes"][0]


def test_negative_bank_suppresses_and_disable_is_incremental(store_url: str) -> None:
    store = make_store(store_url, ("K", "positive", 31), ("FP", "negative", 31))
    add(store, "K", EntryRecord("pdq", PDQ))
    matcher = Matcher(store)
    matcher.refresh()
    assert matcher.match([query_from_values([("pdq", PDQ)])])[0].matched
    add(store, "FP", EntryRecord("pdq", flip(PDQ, 3)))
    loaded_before = len(matcher.index)
    assert matcher.refresh() == 1  # only the new entry is read
    result = matcher.match([query_from_values([("pdq", PDQ)])])[0]
    assert not result.matched and result.suppressed
    assert {(h.bank, h.status) for h in result.hits} == {("K", "suppressed"), ("FP", "match")}
    with store.transaction() as session:
        service.set_status(session, f"pdq:{flip(PDQ, 3)}", "disabled", "reviewed")
    assert matcher.refresh() == 0 and len(matcher.index) == loaded_before + 1
    assert matcher.match([query_from_values([("pdq", PDQ)])])[0].matched
    with store.session() as session:
        info = {b.name: b.entries for b in service.list_banks(session)}
    assert info["FP"] == {"enabled": 0, "disabled": 1, "quarantined": 0}


def test_index_edge_cases_empty_single_and_duplicates(store_url: str) -> None:
    store = make_store(store_url, ("A", "positive", 31), ("B", "positive", 31))
    assert match_one(store, query_from_values([("pdq", PDQ)]))["banks"] == []
    add(store, "A", EntryRecord("pdq", PDQ))
    single = match_one(store, query_from_values([("pdq", PDQ)]))
    assert single["matched"] and len(single["banks"]) == 1
    # the same hash in two banks, and twice in one bank under different source keys
    add(
        store, "B", EntryRecord("pdq", PDQ, source_key="x"), EntryRecord("pdq", PDQ, source_key="y")
    )
    dup = match_one(store, query_from_values([("pdq", PDQ)]))
    assert {b["bank"]: len(b["matches"]) for b in dup["banks"]} == {"A": 1, "B": 2}


def test_reimport_is_idempotent_and_bad_rows_are_counted(store_url: str) -> None:
    store = make_store(store_url, ("K", "positive", 31))
    data = f"signal_type,value,category\npdq,{PDQ},A1\nmd5,nothex,\nfoo,1,\n".encode()
    first = service.import_records(store, "K", get_format("csv").read(io.BytesIO(data), None))
    assert (first.added, first.rejected) == (1, 2)
    assert "unknown signal type" in first.errors[1]["message"]
    again = service.import_records(store, "K", get_format("csv").read(io.BytesIO(data), None))
    assert (again.added, again.updated) == (0, 1)
    with store.session() as session:
        out = io.StringIO()
        get_format("csv").write(lambda: service.iter_records(session, "K"), out)
    assert out.getvalue() == f"signal_type,value,category\npdq,{PDQ},A1\n"


def test_bank_settings_are_validated(store_url: str) -> None:
    store = open_store(store_url)
    with store.transaction() as session:
        for bad in (
            {"name": "bad name"},
            {"name": "X", "kind": "neutral"},
            {"name": "Y", "pdq_threshold": 200},
        ):
            with pytest.raises(BankError):
                service.create_bank(session, **bad)  # type: ignore[arg-type]
    with store.transaction() as session, pytest.raises(UnknownEntry):
        service.set_status(session, "999", "disabled")
    with pytest.raises(InvalidSignal):
        query_from_values([("pdq", "xyz")])


def test_dihedral_matching_finds_rotated_copies(tmp_path: Path) -> None:
    store = make_store(f"sqlite:///{tmp_path / 'd.db'}", ("K", "positive", 31))
    image = landscape(3)
    original = tmp_path / "o.png"
    original.write_bytes(encode(image, "PNG"))
    rotated = tmp_path / "r.png"
    rotated.write_bytes(encode(image.rotate(90, expand=True), "PNG"))
    (query,) = queries_from_files([str(original)])
    assert isinstance(query, Query)
    add(store, "K", EntryRecord("pdq", dict(query.signals)["pdq"]))
    (plain,) = queries_from_files([str(rotated)])
    (turned,) = queries_from_files([str(rotated)], dihedral=True)
    assert isinstance(plain, Query) and isinstance(turned, Query)
    assert not match_one(store, plain)["matched"]
    result = match_one(store, turned)
    assert result["matched"]
    assert result["banks"][0]["matches"][0]["via"].startswith("rotate")


def test_brute_force_index_is_exact() -> None:
    rng = np.random.default_rng(1)
    base = rng.integers(0, 256, (300, 32), dtype=np.uint8)
    index = BruteForcePdqIndex()
    index.add(np.arange(300, dtype=np.int64), base)
    queries = base[:20].copy()
    queries[:, 0] ^= 0b111  # 3 bits away from their source
    hits = index.query(queries, 31)
    for qi, q in enumerate(queries):
        expected = np.unpackbits(base ^ q, axis=1).sum(axis=1)
        mine = hits.query == qi
        assert sorted(hits.ids[mine].tolist()) == sorted(np.nonzero(expected <= 31)[0].tolist())
        assert all(hits.distance[mine] == expected[hits.ids[mine]])
    assert len(BruteForcePdqIndex().query(queries, 31).ids) == 0
    assert hex_to_array([PDQ]).tobytes().hex() == PDQ


def _random_bank(store: Store, rng: np.random.Generator) -> list[str]:
    """Random hashes plus clusters of near-duplicates, spread over three banks."""
    centres = [f"{int.from_bytes(rng.bytes(32)):064x}" for _ in range(40)]
    values = list(centres)
    for centre in centres[:20]:
        for bits in rng.integers(1, 45, 6):
            values.append(flip(centre, int(bits)))
    for i, value in enumerate(values):
        bank = ("S", "M", "L")[i % 3]
        add(store, bank, EntryRecord("pdq", value, source_key=str(i)))
    return values


def test_matching_is_identical_with_the_fallback_and_the_fast_index(tmp_path: Path) -> None:
    from tutela.banks.pdq_index import fast_index_available, new_index

    if not fast_index_available():
        pytest.skip("tutela.index (the fast PDQ index) is not installed in this checkout")
    store = make_store(
        f"sqlite:///{tmp_path / 'e.db'}",
        ("S", "positive", 10),
        ("M", "positive", 31),
        ("L", "negative", 45),
    )
    rng = np.random.default_rng(7)
    values = _random_bank(store, rng)
    queries = [
        query_from_values([("pdq", flip(v, int(b)))])
        for v, b in zip(values, rng.integers(0, 40, len(values)), strict=True)
    ]
    results = {}
    for name, index in (("fallback", BruteForcePdqIndex()), ("fast", new_index())):
        matcher = Matcher(store, index=index)
        matcher.refresh()
        results[name] = [r.to_json() for r in matcher.match(queries)]
    assert results["fast"] == results["fallback"]
    assert sum(len(r["banks"]) for r in results["fast"]) > len(queries)
    # persisted: a new matcher loads the saved index, then catches up incrementally
    saved = Matcher(store, index_dir=tmp_path / "index")
    saved.refresh()
    assert (tmp_path / "index" / "tutela-banks.json").is_file()
    add(store, "M", EntryRecord("pdq", flip(values[0], 2), source_key="late"))
    reloaded = Matcher(store, index_dir=tmp_path / "index")
    assert reloaded.loaded_id == saved.loaded_id  # loaded, not rebuilt
    assert reloaded.refresh() == 1
    after = [r.to_json() for r in reloaded.match(queries)]
    fresh = Matcher(store, index=BruteForcePdqIndex())
    fresh.refresh()
    assert after == [r.to_json() for r in fresh.match(queries)]


def test_tokens_roles_and_revocation(tmp_path: Path) -> None:
    from tutela.auth.tokens import TokenError, create_token, grants, revoke_token, verify_token

    store = open_store(f"sqlite:///{tmp_path / 't.db'}")
    with store.transaction() as session:
        new = create_token(session, "hash")
        assert new.role == "match"
        assert verify_token(session, new.token) is not None
        assert verify_token(session, new.token[:-1] + "x") is None
        assert verify_token(session, "garbage") is None
        revoke_token(session, new.id)
        assert verify_token(session, new.token) is None
        with pytest.raises(TokenError, match="unknown role"):
            create_token(session, "root")
    assert grants("admin", "curate") and grants("match", "hash") and not grants("match", "curate")
