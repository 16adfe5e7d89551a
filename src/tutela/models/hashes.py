"""The hashes the model ecosystem uses to name a model file.

Exact definitions (checked against the public code that defines them, and in the
tests against independent ``hashlib`` computations over the same byte ranges):

- ``sha256``: SHA-256 of the whole file (Civitai "SHA256"; A1111 computes it too).
- ``autov2``: the first 10 hex digits of ``sha256``. A1111 writes it as ``Model hash``
  for checkpoints since 2023; ``TI hashes`` and LoRAs that are not safetensors use 12.
- ``autov1`` (A1111's legacy model hash): SHA-256 of the 64 KiB at offset 1 MiB, first
  8 hex digits (``sd_models.model_hash`` before 2023; kohya ``model_hash`` /
  ``addnet_hash_legacy``). Files under 1 MiB all share ``e3b0c442`` (the digest of
  nothing), so such values never link anything.
- ``autov3``: SHA-256 of a safetensors file's tensor data, after the 8-byte length and
  the header (kohya ``addnet_hash_safetensors``, Civitai AutoV3, ``modelspec.hash_sha256``).
  It survives metadata edits. A1111's ``Lora hashes`` are its first 12 hex digits
  (or kohya's stored ``sshs_model_hash``, which is the same value at training time).
- ``blake3``: BLAKE3 of the whole file (InvokeAI's model hash, written ``blake3:<hex>``
  into its image metadata; Civitai "BLAKE3").
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import BinaryIO

LEGACY_OFFSET = 0x100000
LEGACY_LENGTH = 0x10000
HASH_CHUNK = 8 * 1024 * 1024
"""Read size for full hashing: large enough that hashing dominates the per-call overhead."""


def autov2(sha256: str) -> str:
    return sha256[:10]


def legacy_hash(stream: BinaryIO) -> str:
    """A1111's legacy ``model hash`` / Civitai AutoV1 from one 64 KiB ranged read."""
    stream.seek(LEGACY_OFFSET)
    return hashlib.sha256(stream.read(LEGACY_LENGTH)).hexdigest()[:8]


class TensorDataHasher:
    """SHA-256 of everything after the first ``offset`` bytes, fed chunk by chunk."""

    def __init__(self, offset: int) -> None:
        self.offset = offset
        self.seen = 0
        self._sha = hashlib.sha256()

    def update(self, chunk: bytes) -> None:
        start = self.offset - self.seen
        self.seen += len(chunk)
        if start <= 0:
            self._sha.update(chunk)
        elif start < len(chunk):
            self._sha.update(memoryview(chunk)[start:])

    def hexdigest(self) -> str:
        return self._sha.hexdigest()


class ModelStreamHasher:
    """The model digests that need every byte: BLAKE3, and (safetensors) the tensor-data SHA-256.

    A stream tap: the scan feeds it during the pass that computes the item's SHA-256,
    so a multi-gigabyte model is read once.
    """

    def __init__(self, data_offset: int | None) -> None:
        from blake3 import blake3

        self.tensor_data = TensorDataHasher(data_offset) if data_offset is not None else None
        self._blake3 = blake3()

    def update(self, chunk: bytes) -> None:
        self._blake3.update(chunk)
        if self.tensor_data is not None:
            self.tensor_data.update(chunk)

    def blake3(self) -> str:
        digest: str = self._blake3.hexdigest()
        return digest


@dataclass(frozen=True)
class FullHashes:
    sha256: str
    autov3: str | None
    blake3: str
    size: int


def full_hashes(chunks: Iterable[bytes], data_offset: int | None) -> FullHashes:
    """SHA-256, BLAKE3 and (for safetensors) the tensor-data hash, from one read.

    The SHA-256 of the whole file runs beside the others on a second thread (hashlib
    and blake3 release the GIL on large updates), so the extra digests cost little time.
    """
    whole = hashlib.sha256()
    others = ModelStreamHasher(data_offset)
    size = 0
    with ThreadPoolExecutor(max_workers=1) as pool:
        for chunk in chunks:
            pending = pool.submit(others.update, chunk)
            whole.update(chunk)
            pending.result()
            size += len(chunk)
    tensor_data = others.tensor_data
    return FullHashes(
        whole.hexdigest(),
        tensor_data.hexdigest() if tensor_data is not None else None,
        others.blake3(),
        size,
    )


def read_chunks(stream: BinaryIO, size: int = HASH_CHUNK) -> Iterator[bytes]:
    while chunk := stream.read(size):
        yield chunk
