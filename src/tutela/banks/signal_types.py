"""The signal types a bank entry can hold, and how each is validated and compared.

A signal type is small on purpose (after threatexchange's ``SignalType``): a name,
how to normalise and validate its string form, how two values compare (exactly,
by Hamming distance, or not at all), and which values an item offers for it.
Other features add types by listing a module in :data:`SIGNAL_TYPE_MODULES` that
exposes ``SIGNAL_TYPES: list[SignalType]`` (e.g. model hashes, vPDQ).
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal

from tutela.errors import TutelaError

SIGNAL_TYPE_MODULES: tuple[str, ...] = (
    "tutela.video.signal_types",
    "tutela.models.signal_types",
)
"""Modules exposing ``SIGNAL_TYPES: list[SignalType]`` beyond the built-in ones."""

Compare = Literal["exact", "hamming", "none"]


class InvalidSignal(TutelaError):
    """A signal value or type that cannot be used (reported as HTTP 400 / a skipped row)."""

    kind = "invalid-signal"


@dataclass(frozen=True)
class ItemFacts:
    """What matching knows about an item without decoding it again."""

    sha256: str
    sha1: str | None = None
    md5: str | None = None
    kind: str = "image"
    pdq: str | None = None
    pdq_quality: int | None = None
    extra: dict[str, list[str]] = field(default_factory=dict)
    """Further PDQ hashes of parts of the item by how they were made (``top-80``,
    ``unletterboxed``, ...); see :mod:`tutela.banks.analyzers`."""
    signals: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Stored signal data by name, for the signal types that declare ``item_signal``
    (e.g. the model hashes in the ``model`` signal)."""


@dataclass(frozen=True)
class SignalType:
    name: str
    description: str
    compare: Compare
    normalize: Callable[[str], str]
    """Return the canonical string form, or raise ``ValueError`` saying what is wrong."""
    item_values: Callable[[ItemFacts], list[str]] | None = None
    item_signal: str | None = None
    """The stored signal ``item_values`` reads from ``ItemFacts.signals``, if any."""
    aliases: tuple[str, ...] = ()
    """Names other tools use for this type (VICS ``HashName``, CSV headers, NCMEC)."""
    bits: int = 0
    """For Hamming types: the number of bits."""
    examples: tuple[str, ...] = ()
    tx_signal_type: Any = None
    """The matching threatexchange ``SignalType`` class, for exchanges."""
    store: Callable[[Any, str], str] | None = None
    """For values too large for the entry index (vPDQ signatures): ``store(session, value)``
    keeps the canonical value elsewhere and returns the key the entry holds instead."""
    load: Callable[[Any, str], str] | None = None
    """The inverse of ``store`` (export, display): the full value for a stored key."""


def hex_normalizer(name: str, digits: int) -> Callable[[str], str]:
    pattern = re.compile(rf"[0-9a-f]{{{digits}}}")

    def normalize(value: str) -> str:
        clean = value.strip().lower()
        if not pattern.fullmatch(clean):
            raise ValueError(
                f"a {name} value is {digits} hexadecimal digits, got {_preview(value)} "
                f"({len(clean)} characters)"
            )
        return clean

    return normalize


def _preview(value: str) -> str:
    return repr(value if len(value) <= 80 else value[:77] + "...")


def _opaque(value: str) -> str:
    clean = value.strip()
    if not clean:
        raise ValueError("empty value")
    return clean


def _item_attr(attr: str, kinds: frozenset[str] | None = None) -> Callable[[ItemFacts], list[str]]:
    def values(item: ItemFacts) -> list[str]:
        if kinds is not None and item.kind not in kinds:
            return []
        value = getattr(item, attr)
        return [value] if value else []

    return values


def _pdq_values(item: ItemFacts) -> list[str]:
    return [item.pdq] if item.pdq else []


def _builtin() -> list[SignalType]:
    from threatexchange.signal_type.md5 import VideoMD5Signal
    from threatexchange.signal_type.pdq.signal import PdqSignal

    return [
        SignalType(
            "md5",
            "MD5 of the file's bytes (any media)",
            "exact",
            hex_normalizer("md5", 32),
            _item_attr("md5"),
            aliases=("MD5",),
            examples=("d41d8cd98f00b204e9800998ecf8427e",),
        ),
        SignalType(
            "sha1",
            "SHA-1 of the file's bytes",
            "exact",
            hex_normalizer("sha1", 40),
            _item_attr("sha1"),
            aliases=("SHA1", "SHA-1"),
            examples=("da39a3ee5e6b4b0d3255bfef95601890afd80709",),
        ),
        SignalType(
            "sha256",
            "SHA-256 of the file's bytes",
            "exact",
            hex_normalizer("sha256", 64),
            _item_attr("sha256"),
            aliases=("SHA256", "SHA-256"),
            examples=("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",),
        ),
        SignalType(
            "pdq",
            "PDQ perceptual hash of an image (256 bits, Hamming distance)",
            "hamming",
            hex_normalizer("pdq", 64),
            _pdq_values,
            aliases=("PDQ",),
            bits=256,
            examples=tuple(PdqSignal.get_examples()[:3]),
            tx_signal_type=PdqSignal,
        ),
        SignalType(
            "video_md5",
            "MD5 of a video file's bytes",
            "exact",
            hex_normalizer("video_md5", 32),
            _item_attr("md5", frozenset({"video"})),
            examples=tuple(VideoMD5Signal.get_examples()[:1]),
            tx_signal_type=VideoMD5Signal,
        ),
        SignalType(
            "photodna",
            "PhotoDNA hash: stored and exported, never compared (licensed algorithm)",
            "none",
            _opaque,
            aliases=("PhotoDNA", "PDNA", "pdna"),
        ),
    ]


@cache
def registry() -> dict[str, SignalType]:
    """Every known signal type by name (built-in first, then extension modules)."""
    found = {st.name: st for st in _builtin()}
    for module_name in SIGNAL_TYPE_MODULES:
        for st in importlib.import_module(module_name).SIGNAL_TYPES:
            if st.name in found:
                raise ValueError(f"signal type {st.name!r} is registered twice")
            found[st.name] = st
    return found


@cache
def _aliases() -> dict[str, str]:
    out: dict[str, str] = {}
    for st in registry().values():
        out[st.name.lower()] = st.name
        for alias in st.aliases:
            out[alias.lower()] = st.name
    return out


def item_signal_names() -> frozenset[str]:
    """The stored signals that registered signal types read item values from."""
    return frozenset(st.item_signal for st in registry().values() if st.item_signal)


def resolve(name: str) -> SignalType:
    """The signal type called ``name`` (or one of its aliases, any case)."""
    canonical = _aliases().get(name.strip().lower())
    if canonical is None:
        raise InvalidSignal(
            f"unknown signal type {name!r}; known types: {', '.join(sorted(registry()))}"
        )
    return registry()[canonical]


def normalize(signal_type: str, value: str) -> tuple[str, str]:
    """(canonical type name, canonical value), or :class:`InvalidSignal` with the reason."""
    st = resolve(signal_type)
    try:
        return st.name, st.normalize(value)
    except ValueError as exc:
        raise InvalidSignal(f"invalid {st.name} value: {exc}") from exc


def compared_types(compare: Compare) -> list[str]:
    return [st.name for st in registry().values() if st.compare == compare]
