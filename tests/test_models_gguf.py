"""GGUF headers read by tutela agree with the gguf package; hostile counts are bounded."""

from __future__ import annotations

import contextlib
import io
import struct
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tutela.errors import CorruptMedia, MediaError, TruncatedMedia
from tutela.media.blob import Blob
from tutela.models.errors import HeaderTooLarge
from tutela.models.gguf import read_header
from tutela.models.inspect import inspect_model
from tutela.models.limits import ModelLimits

gguf = pytest.importorskip("gguf")


def _write(path: Path, arch: str = "flux") -> Path:
    writer = gguf.GGUFWriter(str(path), arch)
    writer.add_string("general.name", "benign test model")
    writer.add_uint32("test.count", 7)
    writer.add_array("test.tags", ["landscape", "mountain", "lake"] * 5)
    writer.add_tensor("double_blocks.0.img_attn.qkv.weight", np.zeros((24, 8), np.float32))
    writer.add_tensor("single_blocks.0.linear1.weight", np.zeros((24, 8), np.float16))
    writer.add_tensor("img_in.weight", np.zeros((8, 64), np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def test_agrees_with_gguf_reader(tmp_path: Path) -> None:
    path = _write(tmp_path / "flux.gguf")
    with path.open("rb") as fh:
        header = read_header(fh, path.stat().st_size, str(path))
    reference = gguf.GGUFReader(str(path))
    assert header.problems == []
    assert header.metadata["general.architecture"] == "flux"
    assert header.metadata["general.name"] == "benign test model"
    assert header.metadata["test.count"] == 7
    assert header.metadata["test.tags"]["length"] == 15
    assert set(header.metadata) == set(reference.fields) - {
        "GGUF.version",
        "GGUF.tensor_count",
        "GGUF.kv_count",
    }
    assert [(t.name, t.shape, t.dtype) for t in header.tensors] == [
        (t.name, tuple(int(d) for d in reversed(t.shape)), t.tensor_type.name)
        for t in reference.tensors
    ]


def test_identifies_flux_diffusion_model(tmp_path: Path) -> None:
    path = _write(tmp_path / "flux.gguf")
    data = inspect_model(Blob.from_path(str(path)), "gguf", str(path), full=True).data
    assert (data["kind"], data["architecture"], data["variant"]) == (
        "diffusion-model",
        "flux",
        "schnell",
    )
    assert data["hashes"]["sha256"] and data["hashes"]["autov3"] is None


def test_language_models_are_named_as_such(tmp_path: Path) -> None:
    path = tmp_path / "llm.gguf"
    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_tensor("token_embd.weight", np.zeros((4, 4), np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    data = inspect_model(Blob.from_path(str(path)), "gguf", str(path)).data
    assert (data["kind"], data["variant"]) == ("language-model", "llama")


def test_truncated_file_keeps_what_was_read(tmp_path: Path) -> None:
    raw = _write(tmp_path / "flux.gguf").read_bytes()
    cut = raw[: raw.index(b"single_blocks")]
    header = read_header(io.BytesIO(cut), len(cut), "cut.gguf")
    assert [type(p) for p in header.problems] == [TruncatedMedia]
    assert header.metadata["general.architecture"] == "flux"
    assert [t.name for t in header.tensors] == ["double_blocks.0.img_attn.qkv.weight"]


def test_absurd_counts_are_bounded() -> None:
    raw = b"GGUF" + struct.pack("<IQQ", 3, 2**62, 2**62)
    header = read_header(io.BytesIO(raw), len(raw), "x", ModelLimits(max_gguf_entries=1000))
    kinds = sorted(type(p).__name__ for p in header.problems)
    assert kinds == ["HeaderTooLarge", "HeaderTooLarge", "TruncatedMedia"]


def test_huge_string_hits_the_read_budget() -> None:
    raw = b"GGUF" + struct.pack("<IQQ", 3, 0, 1) + struct.pack("<Q", 2**40) + b"x" * 64
    limits = ModelLimits(max_gguf_header=32)
    header = read_header(io.BytesIO(raw), 2**41, "x", limits)
    assert [type(p) for p in header.problems] == [HeaderTooLarge]


def test_bad_version_is_corrupt() -> None:
    raw = b"GGUF" + struct.pack("<IQQ", 99, 0, 0)
    with pytest.raises(CorruptMedia):
        read_header(io.BytesIO(raw), len(raw), "x")


@settings(max_examples=300, deadline=None)
@given(body=st.binary(max_size=300), version=st.sampled_from([1, 2, 3]))
def test_arbitrary_bytes_never_crash(body: bytes, version: int) -> None:
    raw = b"GGUF" + struct.pack("<I", version) + body
    with contextlib.suppress(MediaError):
        read_header(io.BytesIO(raw), len(raw), "fuzz", ModelLimits(max_gguf_entries=10_000))
