"""The ``vpdq`` bank signal type: a video's per-frame PDQ signature.

Values are read in any of the forms :func:`tutela.video.vpdq.parse_signature` knows
(python-threatexchange's string, tutela JSON, the ``vpdq`` tool's lines) and kept in
the canonical python-threatexchange form, so lists exchanged with HMA/ThreatExchange
round-trip unchanged. Entries hold the SHA-256 of that form (a signature is too large
for the entry index); the frames are stored once in ``video_signatures``.

The banks' generic matcher does not compare this type (``compare="none"``): videos are
matched by :mod:`tutela.video.matching`, which needs the whole signature at once.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from tutela.banks.signal_types import SignalType
from tutela.video import vpdq

DIGEST = re.compile(r"[0-9a-f]{64}")


def canonical(value: str) -> str:
    """The python-threatexchange string of a signature in any accepted form.

    A bare 64-hex-digit value is a reference to a stored signature and is kept as is.
    """
    clean = value.strip().lower()
    if DIGEST.fullmatch(clean):
        return clean
    return vpdq.to_threatexchange(vpdq.parse_signature(value))


def digest(canonical_value: str) -> str:
    return hashlib.sha256(canonical_value.encode()).hexdigest()


def store_signature(session: Any, value: str) -> str:
    """Keep the frames in ``video_signatures``; the entry holds their digest."""
    from tutela.video.models import VideoSignature

    if DIGEST.fullmatch(value):
        if session.get(VideoSignature, value) is None:
            raise ValueError(f"no stored vPDQ signature has the digest {value}")
        return value
    key = digest(value)
    if session.get(VideoSignature, key) is None:
        frames = vpdq.parse_signature(value)
        session.add(
            VideoSignature(digest=key, frame_count=len(frames), frames=vpdq.to_json(frames))
        )
        session.flush()
    return key


def load_signature(session: Any, key: str) -> str:
    from tutela.video.models import VideoSignature

    found = session.get(VideoSignature, key)
    if found is None:
        return key
    return vpdq.to_threatexchange(vpdq.parse_signature(found.frames))


def _examples() -> tuple[str, ...]:
    frames = [vpdq.frame(t, f"{(0x5A5A << t) & ((1 << 256) - 1):064x}", 100) for t in range(3)]
    return (vpdq.to_threatexchange(frames),)


def _tx_signal_type() -> Any:
    try:
        from threatexchange.extensions.vpdq.vpdq import VPDQSignal
    except ImportError:  # the extension imports the vpdq package, which is optional
        return None
    return VPDQSignal


SIGNAL_TYPES = [
    SignalType(
        "vpdq",
        "vPDQ: PDQ hashes of a video's frames with quality and time (matched by tutela.video)",
        "none",
        canonical,
        aliases=("VPDQ", "vPDQ", "video_vpdq"),
        bits=256,
        examples=_examples(),
        tx_signal_type=_tx_signal_type(),
        store=store_signature,
        load=load_signature,
    )
]
