"""What an analyser sees of one item: its content, where it was found, and lazy decodes.

Decoded pixels are cached here so that several analysers share one decode.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from PIL import Image

from tutela.errors import MediaError
from tutela.media.blob import Blob
from tutela.media.image import decode_rgb, open_image
from tutela.media.limits import Limits
from tutela.media.sniff import Sniffed
from tutela.signals.registry import StreamTap


@dataclass
class MediaContext:
    blob: Blob
    where: str
    sniffed: Sniffed
    limits: Limits
    sha256: str
    item_updates: dict[str, Any] = field(default_factory=dict)
    """Analysers of non-image media may set ``width``/``height``/``format`` for the item, and
    ``error_kind``/``error_message`` when they are its primary decoder (video) and it failed."""
    options: Mapping[str, str] = field(default_factory=dict)
    """Feature settings from the run (``PipelineSpec.extra``), e.g. ``video.fps``."""
    warnings: list[MediaError] = field(default_factory=list)
    """Non-fatal problems an analyser reports while still returning data (e.g. a limit hit)."""
    _cache: dict[Any, Any] = field(default_factory=dict, repr=False)

    def tap(self, name: str) -> StreamTap | None:
        """The stream tap of analyser ``name`` after the hashing pass, if it has one."""
        found: StreamTap | None = self._cache.get(("tap", name))
        return found

    def header(self) -> Image.Image:
        """The image opened but not decoded (metadata, size, mode)."""
        return open_image(self.blob, self.where, self.limits)

    def rgb(self, max_side: int | None = None) -> Image.Image:
        """RGB pixels (first frame), downscaled to ``max_side`` if given; cached."""
        key = ("rgb", max_side)
        if key not in self._cache:
            self._cache[key] = decode_rgb(
                self.blob, self.sniffed.format, self.where, self.limits, max_side
            )
        image: Image.Image = self._cache[key]
        return image

    def cached(self, key: Any) -> Any:
        return self._cache.get(key)

    def remember(self, key: Any, value: Any) -> None:
        self._cache[key] = value
