"""Banks accept model hashes: model files match lists, and images naming listed models link."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from sqlalchemy import select

from tutela.banks.records import EntryRecord
from tutela.banks.service import create_bank, import_records
from tutela.banks.signal_types import InvalidSignal, normalize
from tutela.engine.scan import scan
from tutela.models import queries
from tutela.models.stage import run as run_stage
from tutela.store.db import open_store
from tutela.store.models import Case, Item, Signal
from tutela.testing import models as tm
from tutela.testing.synth import encode, landscape


def test_model_signal_types_normalise_and_reject() -> None:
    assert normalize("AutoV3", "ABCDEF012345") == ("model_autov3", "abcdef012345")
    assert normalize("autov2", "6CE0161689") == ("model_autov2", "6ce0161689")
    assert normalize("BLAKE3", "a" * 64) == ("model_blake3", "a" * 64)
    for signal_type, value in (
        ("model_autov1", "123"),
        ("model_autov3", "abc"),
        ("AutoV2", "z" * 10),
    ):
        with pytest.raises(InvalidSignal):
            normalize(signal_type, value)


def _lora_hashes(path: Path) -> dict[str, str]:
    raw = path.read_bytes()
    header = int.from_bytes(raw[:8], "little")
    from blake3 import blake3

    return {
        "sha256": hashlib.sha256(raw).hexdigest(),
        "autov3": hashlib.sha256(raw[8 + header :]).hexdigest(),
        "blake3": blake3(raw).hexdigest(),
    }


@pytest.mark.parametrize(
    ("signal_type", "form"),
    [
        ("model_autov3", lambda h: h["autov3"][:12]),
        ("AutoV3", lambda h: h["autov3"]),
        ("model_autov2", lambda h: h["sha256"][:10]),
        ("sha256", lambda h: h["sha256"]),
        ("model_blake3", lambda h: h["blake3"]),
    ],
)
def test_model_file_matches_a_bank_entry(tmp_path: Path, signal_type: str, form: object) -> None:
    lora = tm.write_safetensors(tmp_path / "drive" / "lora.safetensors", tm.layout("sd1", "lora"))
    hashes = _lora_hashes(lora)
    store = open_store(f"sqlite:///{tmp_path / 't.db'}")
    with store.transaction() as session:
        create_bank(session, "known-models")
    value = form(hashes)  # type: ignore[operator]
    import_records(store, "known-models", [EntryRecord(signal_type, value, {"note": "test"})])
    summary = scan(store, [str(tmp_path / "drive")], "c", workers=1)
    assert summary.stages["match"]["matches"] == 1


def test_image_naming_a_listed_model_links_to_the_bank(tmp_path: Path, store_url: str) -> None:
    lora = tm.write_safetensors(
        tmp_path / "elsewhere" / "lora.safetensors", tm.layout("sd1", "lora")
    )
    short = _lora_hashes(lora)["autov3"][:12]
    (tmp_path / "drive").mkdir()
    (tmp_path / "drive" / "out.png").write_bytes(encode(landscape(3, 64, 48), "PNG"))
    store = open_store(store_url)
    with store.transaction() as session:
        create_bank(session, "known-models")
    import_records(
        store, "known-models", [EntryRecord("model_autov3", _lora_hashes(lora)["autov3"])]
    )
    scan(store, [str(tmp_path / "drive")], "c", workers=1)  # the LoRA itself is not on the drive
    with store.transaction() as session:
        case_id = session.scalar(select(Case.id).where(Case.name == "c"))
        image = session.scalar(select(Item.sha256).where(Item.kind == "image"))
        data = {
            "generators": [
                {
                    "tool": "AUTOMATIC1111",
                    "models": [
                        {
                            "name": "mountain-style",
                            "hash": short,
                            "role": "lora",
                            "where": "parameters",
                        }
                    ],
                }
            ]
        }
        session.merge(Signal(item_sha256=image, name="provenance", version="1", data=data))
    assert case_id is not None
    summary = run_stage(store, case_id)
    assert summary["unresolved_references"] == 0
    with store.session() as session:
        [missing] = list(queries.list_missing(session, "c"))
    assert (missing["name"], missing["hash"]) == ("mountain-style", short)
    assert [b["bank"] for b in missing["banks"]] == ["known-models"]
    assert missing["named_by"][0]["method"] == "bank:model_autov3"
