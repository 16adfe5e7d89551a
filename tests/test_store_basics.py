"""The store opens, migrates and round-trips a scan on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from tutela.engine.scan import scan
from tutela.store import open_store
from tutela.store.queries import iter_items
from tutela.testing.synth import encode, landscape


def test_scan_round_trip(store_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.jpg").write_bytes(encode(landscape(1)))
    (folder / "b.png").write_bytes(encode(landscape(2), "PNG"))
    (folder / "copy.jpg").write_bytes((folder / "a.jpg").read_bytes())
    store = open_store(store_url)
    assert store.is_current()
    summary = scan(store, [str(folder)], "c1", workers=1)
    assert summary.items == 2
    assert summary.locations == 3
    assert summary.duplicates == 1
    with store.session() as session:
        listed = list(iter_items(session, "c1"))
    assert sorted(len(paths) for _, paths in listed) == [1, 2]
    assert all(item.pdq and item.pdq_quality is not None for item, _ in listed)
