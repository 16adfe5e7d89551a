"""The header reader agrees with the safetensors library, and hostile headers are errors."""

from __future__ import annotations

import contextlib
import io
import json
import struct
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tutela.errors import CorruptMedia, MediaError, TruncatedMedia
from tutela.models.errors import HeaderTooLarge, NotUtf8
from tutela.models.safetensors import read_header

names = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=12)
dtypes = st.sampled_from([np.float16, np.float32, np.int64, np.uint8, np.bool_])
shapes = st.lists(st.integers(min_value=0, max_value=4), max_size=3).map(tuple)
texts = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    tensors=st.dictionaries(
        names.filter(lambda n: n != "__metadata__"), st.tuples(dtypes, shapes), max_size=6
    ),
    metadata=st.dictionaries(texts, texts, max_size=5),
)
def test_agrees_with_safetensors_library(
    tmp_path: Path, tensors: dict[str, tuple[type, tuple[int, ...]]], metadata: dict[str, str]
) -> None:
    from safetensors import safe_open
    from safetensors.numpy import save_file

    path = tmp_path / "t.safetensors"
    arrays = {name: np.zeros(shape, dtype=dtype) for name, (dtype, shape) in tensors.items()}
    save_file(arrays, str(path), metadata=metadata or None)
    with path.open("rb") as fh:
        header = read_header(fh, path.stat().st_size, str(path))
    with safe_open(str(path), framework="np") as lib:
        assert {t.name for t in header.tensors} == set(lib.keys())
        for tensor in header.tensors:
            assert list(tensor.shape) == list(lib.get_slice(tensor.name).get_shape())
        assert header.metadata == (lib.metadata() or {})
    assert header.problems == []


def _file(header: bytes, data: bytes = b"", length: int | None = None) -> tuple[io.BytesIO, int]:
    raw = struct.pack("<Q", len(header) if length is None else length) + header + data
    return io.BytesIO(raw), len(raw)


def test_absurd_header_length() -> None:
    stream, size = _file(b'{"a":1}', length=2**63)
    with pytest.raises(HeaderTooLarge):
        read_header(stream, size, "x")


def test_header_longer_than_file() -> None:
    stream, size = _file(b'{"a":1}', length=5000)
    with pytest.raises(TruncatedMedia):
        read_header(stream, size, "x")


def test_truncated_inside_length_field() -> None:
    with pytest.raises(TruncatedMedia):
        read_header(io.BytesIO(b"\x10\x00\x00"), 3, "x")


def test_tensor_data_past_end_is_a_truncation_finding() -> None:
    header = json.dumps({"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}).encode()
    stream, size = _file(header, data=b"\x00" * 8)
    parsed = read_header(stream, size, "x")
    assert [type(p) for p in parsed.problems] == [TruncatedMedia]
    assert parsed.tensors[0].shape == (4,)


def test_non_utf8_metadata_is_read_with_replacement() -> None:
    header = (
        b'{"__metadata__":{"ss_output_name":"caf\xe9"},'
        b'"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}'
    )
    stream, size = _file(header, data=b"\x00")
    parsed = read_header(stream, size, "x")
    assert [type(p) for p in parsed.problems] == [NotUtf8]
    assert parsed.metadata["ss_output_name"] == "caf\ufffd"


@pytest.mark.parametrize(
    "header",
    [b"not json", b"[1, 2]", b"[" * 100_000 + b"]" * 100_000, b'{"w": {"dtype": "F32"'],
)
def test_invalid_headers_are_corrupt(header: bytes) -> None:
    stream, size = _file(header)
    with pytest.raises(CorruptMedia):
        read_header(stream, size, "x")


def test_bad_entries_are_findings_not_crashes() -> None:
    header = json.dumps(
        {
            "__metadata__": {"n": 3},
            "a": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]},
            "b": "nonsense",
            "c": {"dtype": "F32", "shape": [2], "data_offsets": [0, 4]},
        }
    ).encode()
    stream, size = _file(header, data=b"\x00" * 8)
    parsed = read_header(stream, size, "x")
    assert [t.name for t in parsed.tensors] == ["c"]
    assert parsed.metadata == {"n": "3"}
    assert len(parsed.problems) == 4  # non-string metadata, two bad entries, size mismatch


@settings(max_examples=300, deadline=None)
@given(body=st.binary(max_size=300), length=st.integers(min_value=0, max_value=400))
def test_arbitrary_bytes_never_crash(body: bytes, length: int) -> None:
    raw = struct.pack("<Q", length) + b"{" + body
    with contextlib.suppress(MediaError):
        read_header(io.BytesIO(raw), len(raw), "fuzz")
