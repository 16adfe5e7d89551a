"""Problems specific to model artefacts; each has a stable ``kind`` for summaries."""

from __future__ import annotations

from tutela.errors import MediaError


class HeaderTooLarge(MediaError):
    """A header declares more bytes than any real model needs (or than the file holds)."""

    kind = "header-too-large"


class NotUtf8(MediaError):
    """Text that must be UTF-8 is not; it was read with replacement characters."""

    kind = "non-utf8"


class DangerousPickle(MediaError):
    """A pickle imports something that can run code when loaded. Never load it."""

    kind = "dangerous-pickle"


class SuspiciousPickle(MediaError):
    """A pickle imports something outside the known-benign tensor rebuild functions."""

    kind = "suspicious-pickle"


class PickleUnscannable(MediaError):
    """A pickle could not be fully scanned (too large, malformed); treat it as unsafe."""

    kind = "pickle-unscannable"
