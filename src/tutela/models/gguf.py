"""Read a GGUF file's metadata and tensor descriptions, bounded, from a stream.

GGUF (llama.cpp; also ComfyUI-GGUF quantisations of FLUX/SD3/SDXL) opens with
``GGUF``, a version, counts of tensors and key/value pairs, the pairs, then one
description per tensor. The ``gguf`` package's reader memory-maps a real path and
trusts the counts; seized files come from archives too and may lie about counts,
so this reader streams, skips large arrays without storing them and stops at the
limits. Tests check it against files written by ``gguf.GGUFWriter``.
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from tutela.errors import CorruptMedia, MediaError, TruncatedMedia
from tutela.models.errors import HeaderTooLarge, NotUtf8
from tutela.models.limits import DEFAULT_MODEL_LIMITS, ModelLimits
from tutela.models.safetensors import TensorInfo

# value type → struct code for the fixed-size scalars (GGUF spec, ``GGUFValueType``)
_SCALARS = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?"}
_SCALARS |= {10: "Q", 11: "q", 12: "d"}
_STRING, _ARRAY = 8, 9
ARRAY_SAMPLE = 8
MAX_ARRAY_ELEMENTS = 5_000_000
"""String/array items walked one by one per file (an LLM vocabulary has ~250,000)."""
"""Array values keep their length and only this many leading items."""

# ggml tensor types, for display (``GGMLQuantizationType``); others print as "type N".
GGML_TYPES = {
    0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 6: "Q5_0", 7: "Q5_1", 8: "Q8_0", 9: "Q8_1",
    10: "Q2_K", 11: "Q3_K", 12: "Q4_K", 13: "Q5_K", 14: "Q6_K", 15: "Q8_K", 16: "IQ2_XXS",
    17: "IQ2_XS", 18: "IQ3_XXS", 19: "IQ1_S", 20: "IQ4_NL", 21: "IQ3_S", 22: "IQ2_S",
    23: "IQ4_XS", 24: "I8", 25: "I16", 26: "I32", 27: "I64", 28: "F64", 29: "IQ1_M",
    30: "BF16", 34: "TQ1_0", 35: "TQ2_0", 39: "MXFP4",
}  # fmt: skip


@dataclass
class GgufHeader:
    version: int
    byte_order: str
    metadata: dict[str, Any]
    tensors: list[TensorInfo]
    tensor_count: int
    problems: list[MediaError] = field(default_factory=list)


class _OutOfBytes(Exception):
    """The header needs more bytes than the file (or the read budget) holds."""

    def __init__(self, budget_hit: bool) -> None:
        super().__init__()
        self.budget_hit = budget_hit


class _Reader:
    """A bounded little/big-endian reader over a (buffered) stream."""

    def __init__(self, stream: BinaryIO, size: int, budget: int) -> None:
        self.stream = stream
        self.remaining = min(size, budget)
        self.budget_bound = budget < size
        self.order = "<"
        self.string_width = "Q"
        self.non_utf8 = False
        self.elements = 0

    def _spend(self, n: int) -> None:
        if n > self.remaining:
            raise _OutOfBytes(self.budget_bound)
        self.remaining -= n

    def take(self, n: int) -> bytes:
        self._spend(n)
        data = self.stream.read(n)
        if len(data) < n:
            raise _OutOfBytes(False)
        return data

    def skip(self, n: int) -> None:
        self._spend(n)
        self.stream.seek(n, io.SEEK_CUR)

    def unpack(self, code: str) -> Any:
        fmt = self.order + code
        return struct.unpack(fmt, self.take(struct.calcsize(fmt)))[0]

    def string(self, keep: bool = True) -> str:
        length = self.unpack(self.string_width)
        if not keep:
            self.skip(length)
            return ""
        raw = self.take(length)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            self.non_utf8 = True
            return raw.decode("utf-8", errors="replace")


def read_header(
    stream: BinaryIO, size: int, where: str, limits: ModelLimits = DEFAULT_MODEL_LIMITS
) -> GgufHeader:
    """Metadata and tensor descriptions of a GGUF file; raise on a fatal problem."""
    reader = _Reader(stream, size, limits.max_gguf_header)
    try:
        if reader.take(4) != b"GGUF":
            raise CorruptMedia("not a GGUF file (no GGUF magic)", where)
        raw_version = reader.take(4)
        version = struct.unpack("<I", raw_version)[0]
        if version > 0xFFFF:  # a big-endian file reads as a huge little-endian number
            reader.order = ">"
            version = struct.unpack(">I", raw_version)[0]
        if version not in (1, 2, 3):
            raise CorruptMedia(f"unsupported GGUF version {version}", where)
        count_code = "I" if version == 1 else "Q"
        reader.string_width = count_code
        tensor_count = reader.unpack(count_code)
        kv_count = reader.unpack(count_code)
    except _OutOfBytes as exc:
        raise TruncatedMedia("file ends inside the GGUF preamble", where) from exc
    header = GgufHeader(version, "little" if reader.order == "<" else "big", {}, [], tensor_count)
    for what, count in (("key/value pairs", kv_count), ("tensors", tensor_count)):
        if count > limits.max_gguf_entries:
            header.problems.append(
                HeaderTooLarge(
                    f"declares {count:,} {what}; reading the first {limits.max_gguf_entries:,}",
                    where,
                )
            )
    try:
        for _ in range(min(kv_count, limits.max_gguf_entries)):
            key = reader.string()
            header.metadata[key] = _value(reader, reader.unpack("I"), where)
        for _ in range(min(tensor_count, limits.max_gguf_entries)):
            name = reader.string()
            dims = reader.unpack("I")
            if dims > 16:
                raise CorruptMedia(f"tensor {name!r} declares {dims} dimensions", where)
            # GGUF lists dimensions fastest-varying first; report them like numpy/safetensors.
            shape = tuple(reversed([reader.unpack("Q") for _ in range(dims)]))
            dtype_code = reader.unpack("I")
            offset = reader.unpack("Q")
            header.tensors.append(
                TensorInfo(name, GGML_TYPES.get(dtype_code, f"type {dtype_code}"), shape, offset)
            )
    except _OutOfBytes as exc:
        if exc.budget_hit:
            header.problems.append(
                HeaderTooLarge(
                    f"metadata runs past the {limits.max_gguf_header:,}-byte read limit", where
                )
            )
        else:
            header.problems.append(
                TruncatedMedia(
                    f"file ends inside the GGUF header after {len(header.metadata)} keys and "
                    f"{len(header.tensors)} tensors",
                    where,
                )
            )
    if reader.non_utf8:
        header.problems.append(NotUtf8("some GGUF strings are not UTF-8; read with U+FFFD", where))
    return header


def _value(reader: _Reader, kind: int, where: str) -> Any:
    if kind in _SCALARS:
        return reader.unpack(_SCALARS[kind])
    if kind == _STRING:
        return reader.string()
    if kind == _ARRAY:
        item_kind = reader.unpack("I")
        count = reader.unpack(reader.string_width)
        sample = [_value(reader, item_kind, where) for _ in range(min(count, ARRAY_SAMPLE))]
        rest = count - len(sample)
        if item_kind in _SCALARS:
            reader.skip(rest * struct.calcsize(_SCALARS[item_kind]))
        else:
            reader.elements += rest
            if reader.elements > MAX_ARRAY_ELEMENTS:
                raise _OutOfBytes(budget_hit=True)
            for _ in range(rest):
                if item_kind == _STRING:
                    reader.string(keep=False)
                else:
                    _value(reader, item_kind, where)
        return {"array_of": _type_name(item_kind), "length": count, "first": sample}
    raise CorruptMedia(f"unknown GGUF value type {kind}", where)


def _type_name(kind: int) -> str:
    names = {_STRING: "string", _ARRAY: "array"}
    codes = {"B": "u8", "b": "i8", "H": "u16", "h": "i16", "I": "u32", "i": "i32", "f": "f32"}
    codes |= {"?": "bool", "Q": "u64", "q": "i64", "d": "f64"}
    return names.get(kind) or codes.get(_SCALARS.get(kind, ""), f"type {kind}")
