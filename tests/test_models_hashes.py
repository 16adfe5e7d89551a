"""Every model hash against an independent hashlib computation over the exact bytes."""

from __future__ import annotations

import hashlib
import io
import itertools
import json
import struct
from pathlib import Path

from blake3 import blake3
from hypothesis import given, settings
from hypothesis import strategies as st

from tutela.engine.local import PipelineSpec, run_task
from tutela.engine.tasks import plan
from tutela.media.blob import Blob
from tutela.models.hashes import TensorDataHasher, full_hashes, legacy_hash
from tutela.models.inspect import inspect_model
from tutela.testing import models as tm


def _independent(path: Path) -> dict[str, str]:
    raw = path.read_bytes()
    (length,) = struct.unpack("<Q", raw[:8])
    return {
        "sha256": hashlib.sha256(raw).hexdigest(),
        "autov2": hashlib.sha256(raw).hexdigest()[:10],
        "autov1": hashlib.sha256(raw[0x100000 : 0x100000 + 0x10000]).hexdigest()[:8],
        "autov3": hashlib.sha256(raw[8 + length :]).hexdigest(),
        "blake3": blake3(raw).hexdigest(),
    }


def _scan_one(path: Path) -> dict[str, object]:
    pipeline = PipelineSpec().build()
    [task] = list(plan([str(path)], {}))
    [result] = run_task(pipeline, task)
    return result.to_json()


def test_scan_hashes_match_independent_computation(tmp_path: Path) -> None:
    path = tm.write_safetensors(
        tmp_path / "big.safetensors", tm.layout("sd1"), min_bytes=3 * 1024 * 1024
    )
    expected = _independent(path)
    out = _scan_one(path)
    model = out["model"]
    assert isinstance(model, dict)
    assert model["hashes"] == expected
    assert out["sha256"] == expected["sha256"]


def test_large_file_is_streamed_and_hashed_once(tmp_path: Path) -> None:
    """Above the in-memory limit the tensor-data hash still comes from the same pass."""
    from tutela.media.limits import Limits

    path = tm.write_safetensors(tmp_path / "m.safetensors", tm.layout("sdxl"), min_bytes=3 << 20)
    pipeline = PipelineSpec(limits=Limits(max_decode_bytes=1 << 20)).build()
    [task] = list(plan([str(path)], {}))
    [result] = run_task(pipeline, task)
    assert result.item is not None
    [signal] = [s for s in result.item.signals if s.name == "model"]
    assert signal.data["hashes"] == _independent(path)


def test_header_only_inventory_reports_legacy_hash_without_full_hash(tmp_path: Path) -> None:
    path = tm.write_safetensors(tmp_path / "m.safetensors", tm.layout("sd1"), min_bytes=2 << 20)
    blob = Blob.from_path(str(path))
    header_only = inspect_model(blob, "safetensors", str(path))
    assert header_only.data["hashes"] == {
        "sha256": None,
        "autov1": _independent(path)["autov1"],
        "autov2": None,
        "autov3": None,
        "blake3": None,
    }
    full = inspect_model(blob, "safetensors", str(path), full=True)
    assert full.data["hashes"] == _independent(path)


def test_small_files_have_no_legacy_hash(tmp_path: Path) -> None:
    """Under 1 MiB the legacy window is empty: every file would share e3b0c442."""
    path = tm.write_safetensors(tmp_path / "lora.safetensors", tm.layout("sd1", "lora"))
    data = inspect_model(Blob.from_path(str(path)), "safetensors", str(path), full=True).data
    assert data["hashes"]["autov1"] is None
    assert data["hashes"]["autov3"] == _independent(path)["autov3"]


def test_legacy_hash_reads_exactly_the_a1111_window() -> None:
    data = bytes(range(256)) * (0x130000 // 256)
    expected = hashlib.sha256(data[0x100000:0x110000]).hexdigest()[:8]
    assert legacy_hash(io.BytesIO(data)) == expected


@settings(max_examples=60, deadline=None)
@given(
    data=st.binary(min_size=0, max_size=4000),
    offset=st.integers(min_value=0, max_value=4100),
    cuts=st.lists(st.integers(min_value=0, max_value=4000), max_size=6),
)
def test_tensor_data_hasher_any_chunking(data: bytes, offset: int, cuts: list[int]) -> None:
    bounds = sorted({0, len(data), *[c for c in cuts if c <= len(data)]})
    hasher = TensorDataHasher(offset)
    for start, end in itertools.pairwise(bounds):
        hasher.update(data[start:end])
    assert hasher.hexdigest() == hashlib.sha256(data[offset:]).hexdigest()
    chunks = [data[a:b] for a, b in itertools.pairwise(bounds)]
    hashed = full_hashes(chunks, offset)
    assert hashed.sha256 == hashlib.sha256(data).hexdigest()
    assert hashed.autov3 == hashlib.sha256(data[offset:]).hexdigest()
    assert hashed.blake3 == blake3(data).hexdigest()


def test_kohya_stored_hash_is_checked_against_tensor_data(tmp_path: Path) -> None:
    """kohya stores sshs_model_hash = tensor-data SHA-256 at save time; edits show up."""
    shapes = tm.layout("sd1", "lora")
    meta = tm.kohya_metadata()
    first = tm.write_safetensors(tmp_path / "a.safetensors", shapes, meta)
    stored = _independent(first)["autov3"]
    meta_with_hash = {**meta, "sshs_model_hash": stored, "sshs_legacy_hash": "0badc0de"}
    same = tm.write_safetensors(tmp_path / "same.safetensors", shapes, meta_with_hash)
    edited = tm.write_safetensors(tmp_path / "edited.safetensors", shapes, meta_with_hash, seed=1)
    for path, matches in ((same, True), (edited, False)):
        data = inspect_model(Blob.from_path(str(path)), "safetensors", str(path), full=True).data
        assert data["hash_checks"] == [
            {"stored": "sshs_model_hash", "value": stored, "matches": matches}
        ]
        assert data["training"]["stored_hashes"]["sshs_legacy_hash"] == "0badc0de"
    assert json.dumps(data)  # JSON-ready


def test_blake3_known_answers() -> None:
    """BLAKE3 has no hashlib twin; check the streaming hasher against published digests."""
    for data, expected in (
        (b"", "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262"),
        (b"abc", "6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85"),
    ):
        assert full_hashes([data[:1], data[1:]], None).blake3 == expected
