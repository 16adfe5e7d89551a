"""A file's content, wherever it lives: on disk, in memory, or inside an archive.

Analysers ask a :class:`Blob` for what they need (the head, a stream, the whole
bytes when small enough, a real path when there is one) so that large files are
streamed and small ones are read once.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from tutela.errors import UnreadableFile

CHUNK = 1024 * 1024


@dataclass
class Blob:
    """Content plus how to reopen it. ``data`` is filled when the whole file is in memory."""

    size: int
    opener: Callable[[], BinaryIO]
    data: bytes | None = None
    path: str | None = None
    _head: bytes | None = field(default=None, repr=False)

    @classmethod
    def from_bytes(cls, data: bytes) -> Blob:
        return cls(size=len(data), opener=lambda: io.BytesIO(data), data=data)

    @classmethod
    def from_path(cls, path: str, size: int | None = None, load_limit: int = 0) -> Blob:
        """Open a regular file; load it into memory when it is at most ``load_limit`` bytes."""
        try:
            real_size = os.stat(path).st_size if size is None else size
            if real_size <= load_limit:
                with open(path, "rb") as fh:
                    data = fh.read()
                return cls(size=len(data), opener=lambda: io.BytesIO(data), data=data, path=path)
        except OSError as exc:
            raise UnreadableFile(f"cannot read file: {exc.strerror or exc}", path) from exc
        return cls(size=real_size, opener=lambda: open(path, "rb"), path=path)

    def open(self) -> BinaryIO:
        return self.opener()

    def head(self, n: int = 512) -> bytes:
        if self.data is not None:
            return self.data[:n]
        if self._head is None or len(self._head) < n:
            with self.open() as fh:
                self._head = fh.read(n)
        return self._head[:n]

    def chunks(self) -> Iterator[bytes]:
        if self.data is not None:
            yield self.data
            return
        with self.open() as fh:
            while chunk := fh.read(CHUNK):
                yield chunk
