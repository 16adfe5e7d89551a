"""Read a safetensors header — and nothing else — from a stream.

The format is an 8-byte little-endian header length ``N``, ``N`` bytes of UTF-8
JSON (tensor name → dtype, shape, data offsets; optional ``__metadata__`` of
string → string), then the tensor data. The ``safetensors`` library reads headers
only through a memory map of a real path; seized media are also read from inside
archives and must yield specific errors for hostile headers (absurd lengths,
non-UTF-8 text, offsets past the end), so this small reader is ours. Tests check
it against ``safetensors.safe_open`` on files the library writes.
"""

from __future__ import annotations

import json
import math
import struct
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from tutela.errors import CorruptMedia, MediaError, TruncatedMedia
from tutela.models.errors import HeaderTooLarge, NotUtf8

DTYPE_BYTES = {
    "BOOL": 1,
    "U8": 1,
    "I8": 1,
    "F8_E5M2": 1,
    "F8_E4M3": 1,
    "F8_E8M0": 1,
    "I16": 2,
    "U16": 2,
    "F16": 2,
    "BF16": 2,
    "I32": 4,
    "U32": 4,
    "F32": 4,
    "F64": 8,
    "I64": 8,
    "U64": 8,
    "C64": 8,
}


@dataclass(frozen=True)
class TensorInfo:
    """One tensor's description; ``start``/``end`` are offsets into the data section."""

    name: str
    dtype: str
    shape: tuple[int, ...]
    start: int = -1
    end: int = -1

    @property
    def numel(self) -> int:
        return math.prod(self.shape)


@dataclass
class SafetensorsHeader:
    header_length: int
    tensors: list[TensorInfo]
    metadata: dict[str, str]
    problems: list[MediaError] = field(default_factory=list)
    """Non-fatal findings: the header was read, but something in it is wrong."""

    @property
    def data_offset(self) -> int:
        """Where tensor data starts: the range Civitai's AutoV3 and kohya's hash cover."""
        return 8 + self.header_length


def header_length(head: bytes) -> int | None:
    """The declared header length from a file's first 8 bytes."""
    if len(head) < 8:
        return None
    length: int = struct.unpack("<Q", head[:8])[0]
    return length


def read_header(
    stream: BinaryIO, size: int, where: str, max_header: int = 100_000_000
) -> SafetensorsHeader:
    """Parse the header of a safetensors file of ``size`` bytes; raise on a fatal problem."""
    length = header_length(stream.read(8))
    if length is None:
        raise TruncatedMedia("file ends inside the 8-byte safetensors header length", where)
    if length > max_header:
        raise HeaderTooLarge(
            f"header declares {length:,} bytes (limit {max_header:,}); not a real model header",
            where,
        )
    if 8 + length > size:
        raise TruncatedMedia(
            f"header declares {length:,} bytes but the file holds only {size - 8:,} after the "
            "length field",
            where,
        )
    raw = stream.read(length)
    if len(raw) < length:
        raise TruncatedMedia(f"file ends after {len(raw):,} of {length:,} header bytes", where)
    problems: list[MediaError] = []
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        problems.append(
            NotUtf8(f"header is not valid UTF-8 at byte {exc.start}; read with U+FFFD", where)
        )
        text = raw.decode("utf-8", errors="replace")
    try:
        parsed = json.loads(text.rstrip(" "))
    except (ValueError, RecursionError) as exc:
        raise CorruptMedia(f"header is not valid JSON: {exc}", where) from exc
    if not isinstance(parsed, dict):
        raise CorruptMedia("header is not a JSON object", where)
    header = SafetensorsHeader(length, [], {}, problems)
    _read_metadata(parsed.pop("__metadata__", None), header, where)
    data_size = size - 8 - length
    for name, entry in parsed.items():
        tensor = _tensor(name, entry, where, problems)
        if tensor is None:
            continue
        header.tensors.append(tensor)
        if tensor.end > data_size:
            problems.append(
                TruncatedMedia(
                    f"tensor {name!r} ends at byte {tensor.end:,} of a {data_size:,}-byte data "
                    "section (file truncated?)",
                    where,
                )
            )
    _dedupe_truncation(problems)
    return header


def _read_metadata(raw: Any, header: SafetensorsHeader, where: str) -> None:
    if raw is None:
        return
    if not isinstance(raw, dict):
        header.problems.append(CorruptMedia("__metadata__ is not an object; ignored", where))
        return
    for key, value in raw.items():
        if isinstance(value, str):
            header.metadata[str(key)] = value
        else:  # the spec says string → string; keep what is there, as text
            header.metadata[str(key)] = json.dumps(value, ensure_ascii=False)
            header.problems.append(
                CorruptMedia(f"metadata value of {key!r} is not a string", where)
            )


def _tensor(name: str, entry: Any, where: str, problems: list[MediaError]) -> TensorInfo | None:
    try:
        dtype = entry["dtype"]
        shape = tuple(entry["shape"])
        start, end = entry["data_offsets"]
        if not isinstance(dtype, str):
            raise TypeError("dtype is not a string")
        if not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape):
            raise TypeError("shape is not a list of non-negative integers")
        if not (isinstance(start, int) and isinstance(end, int) and 0 <= start <= end):
            raise TypeError("data_offsets are not two ordered non-negative integers")
    except (TypeError, KeyError, ValueError) as exc:
        problems.append(CorruptMedia(f"tensor {name!r} has an invalid entry: {exc}", where))
        return None
    tensor = TensorInfo(name, dtype, shape, start, end)
    width = DTYPE_BYTES.get(dtype)
    if width is not None and tensor.numel * width != end - start:
        problems.append(
            CorruptMedia(
                f"tensor {name!r}: {dtype}{list(shape)} needs {tensor.numel * width:,} bytes "
                f"but its offsets span {end - start:,}",
                where,
            )
        )
    return tensor


def _dedupe_truncation(problems: list[MediaError]) -> None:
    """Report a truncated data section once, not once per tensor."""
    truncated = [p for p in problems if isinstance(p, TruncatedMedia)]
    if len(truncated) > 1:
        first = truncated[0]
        problems[:] = [p for p in problems if not isinstance(p, TruncatedMedia)]
        problems.append(
            TruncatedMedia(f"{first.message}; {len(truncated) - 1} more tensors too", first.path)
        )


def read_values(
    stream: BinaryIO, data_offset: int, tensor: TensorInfo, max_elements: int = 16
) -> list[float] | None:
    """The values of a tiny tensor (a LoRA's ``alpha`` scalar): a few bytes, never more."""
    import numpy as np

    width = DTYPE_BYTES.get(tensor.dtype)
    if (
        width is None
        or tensor.numel > max_elements
        or tensor.end - tensor.start != (tensor.numel * width)
    ):
        return None
    stream.seek(data_offset + tensor.start)
    raw = stream.read(tensor.end - tensor.start)
    if len(raw) != tensor.end - tensor.start:
        return None
    if tensor.dtype == "BF16":  # numpy has no bfloat16: widen the top half of a float32
        widened = np.frombuffer(raw, dtype="<u2").astype("<u4") << 16
        return [float(v) for v in widened.view("<f4")]
    numpy_types = {"F16": "<f2", "F32": "<f4", "F64": "<f8", "I32": "<i4", "I64": "<i8"}
    if tensor.dtype not in numpy_types:
        return None
    return [float(v) for v in np.frombuffer(raw, dtype=numpy_types[tensor.dtype])]
