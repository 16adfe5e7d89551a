"""Matching during ``tutela scan``: match records, resumable and idempotent stage,
re-matching after bank changes, the flood guard, and edited copies."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from tutela.banks import service
from tutela.banks.images import add_images
from tutela.banks.models import CaseItemCheck, Entry, Match
from tutela.banks.records import EntryRecord
from tutela.banks.stage import match_case
from tutela.engine.scan import scan
from tutela.store import open_store
from tutela.store.db import Store
from tutela.testing.synth import encode, landscape, shapes


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    banked = landscape(11)
    (folder / "same.png").write_bytes(encode(banked, "PNG"))
    (folder / "recompressed.jpg").write_bytes(encode(banked, "JPEG", quality=55))
    w, h = banked.size
    crop = banked.crop((round(w * 0.03), round(h * 0.03), round(w * 0.97), round(h * 0.97)))
    (folder / "cropped.jpg").write_bytes(encode(crop, "JPEG", quality=85))
    (folder / "other.png").write_bytes(encode(shapes(5), "PNG"))
    (tmp_path / "bank.png").write_bytes(encode(banked, "PNG"))
    return folder


def _matches(store: Store) -> dict[str, list[tuple[str, str, bool, bool]]]:
    from tutela.store.models import Location

    with store.session() as session:
        rows = session.execute(
            select(Location.path, Match.signal_type, Match.via, Match.suppressed, Match.quarantined)
            .join(Match, Match.item_sha256 == Location.item_sha256)
            .order_by(Location.path, Match.signal_type)
        ).all()
    out: dict[str, list[tuple[str, str, bool, bool]]] = {}
    for path, signal_type, via, suppressed, quarantined in rows:
        out.setdefault(Path(path).name, []).append((signal_type, via, suppressed, quarantined))
    return out


def test_scan_matches_items_and_edited_copies(store_url: str, tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    store = open_store(store_url)
    with store.transaction() as session:
        service.create_bank(session, "KNOWN")
    summary = add_images(store, "KNOWN", [str(tmp_path / "bank.png")])
    assert summary.added == 4
    result = scan(store, [str(folder)], "c1", workers=1)
    stage = result.stages["match"]
    assert stage["items_checked"] == 4 and stage["items_matched"] == 3
    found = _matches(store)
    assert "other.png" not in found
    assert {t for t, *_ in found["same.png"]} == {"md5", "sha1", "sha256", "pdq"}
    assert [t for t, *_ in found["recompressed.jpg"]] == ["pdq"]
    assert found["cropped.jpg"][0][1].startswith("crop-")  # matched through a crop variant

    # resumable and idempotent: nothing new to match, the same records
    again = match_case(store, 1)
    assert again["items_checked"] == 0 and _matches(store) == found
    # a bank change re-matches the case
    with store.transaction() as session:
        service.create_bank(session, "FP", kind="negative")
    pdq = next(
        e.value
        for e in store.session().scalars(
            select(Entry).where(Entry.signal_type == "pdq", Entry.variant == "")
        )
    )
    service.import_records(store, "FP", [EntryRecord("pdq", pdq)])
    rematch = match_case(store, 1)
    assert rematch["items_checked"] == 4
    # the negative entry is the plain PDQ: the crop (matched through a variant) still counts
    assert rematch["suppressed_by_negative"] >= 3 and rematch["items_matched"] == 1


def test_flood_guard_quarantines_an_entry_that_matches_too_much(
    store_url: str, tmp_path: Path
) -> None:
    folder = tmp_path / "flood"
    folder.mkdir()
    for i in range(6):  # six distinct files, one picture
        (folder / f"{i}.jpg").write_bytes(encode(landscape(21), "JPEG", quality=60 + 5 * i))
    store = open_store(store_url)
    with store.transaction() as session:
        service.create_bank(session, "NOISY", flood_limit=3)
    (tmp_path / "b.png").write_bytes(encode(landscape(21), "PNG"))
    add_images(store, "NOISY", [str(tmp_path / "b.png")], variants=False)
    summary = scan(store, [str(folder)], "flood", workers=1).stages["match"]
    assert summary["entries_quarantined"] == 1
    assert summary["items_matched"] == 0 and summary["quarantined_matches"] == 6
    with store.session() as session:
        entry = session.scalars(select(Entry).where(Entry.signal_type == "pdq")).one()
        assert entry.status == "quarantined" and "flood guard" in entry.status_reason
        checks = session.scalars(select(CaseItemCheck.revision)).all()
    # a person re-enables it: exempt from the guard from then on
    with store.transaction() as session:
        (enabled,) = service.set_status(session, str(entry.id), "enabled", "checked by hand")
        assert enabled.flood_exempt
    after = match_case(store, 1)
    assert after["entries_quarantined"] == 0 and after["items_matched"] == 6
    assert len(checks) == 6


def test_bank_a_case_items_with_variants(tmp_path: Path) -> None:
    from tutela.banks.images import add_case_items
    from tutela.banks.matcher import Matcher
    from tutela.banks.queries import queries_from_files

    folder = _folder(tmp_path)
    store = open_store(f"sqlite:///{tmp_path / 'c.db'}")
    scan(store, [str(folder / "same.png"), str(folder / "other.png")], "confirmed", workers=1)
    with store.transaction() as session:
        service.create_bank(session, "CONFIRMED")
    summary = add_case_items(store, "CONFIRMED", "confirmed")
    assert summary.added == 8 and summary.rejected == 0
    matcher = Matcher(store)
    matcher.refresh()
    (query,) = queries_from_files([str(folder / "cropped.jpg")])
    (result,) = matcher.match([query])  # type: ignore[list-item]
    assert result.matched and result.hits[0].via.startswith("crop-")
    assert result.hits[0].metadata["case"] == "confirmed"
