"""Lexicon packs: one data file per language, keyed by concept id.

A pack (``lexicons/<lang>.toml``) lists, for each concept it covers, the axis, the
weight, the strength and the ordinary words (``forms``, whole words; ``stems``,
word beginnings for inflected languages) that express it, plus the age
vocabulary of the language (numbers as words, the words that say "years old").
``concepts.toml`` describes each concept once, for the reasons shown to people.

Operators may add packs of their own (``load_lexicon(extra_dirs=[...])``); a pack
for a language already present extends it.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal, cast

from tutela.errors import ConfigError

Axis = Literal["minor", "sexual", "adult"]
Strength = Literal["weak", "standard", "strong"]
AXES: tuple[Axis, ...] = ("minor", "sexual", "adult")
STRENGTHS: tuple[Strength, ...] = ("weak", "standard", "strong")
DEFAULT_WEIGHT: dict[Strength, float] = {"weak": 0.5, "standard": 1.0, "strong": 1.0}

# A code for the language-neutral pack (emoji): ISO 639-2 "no linguistic content".
NEUTRAL = "zxx"


class LexiconError(ConfigError):
    kind = "lexicon"


@dataclass(frozen=True)
class Concept:
    """What a group of words means, independent of language."""

    id: str
    axis: Axis
    description: str


@dataclass(frozen=True)
class Entry:
    """One concept of one language pack: its words and how much they count."""

    concept: str
    axis: Axis
    language: str
    weight: float
    strength: Strength
    forms: tuple[str, ...]
    stems: tuple[str, ...] = ()
    false_friend_of: frozenset[str] = frozenset()
    transliterate: bool = True


@dataclass(frozen=True)
class AgeWords:
    """How one language writes an age: "aged 12", "12 years old", "twelve"."""

    language: str
    before_number: tuple[str, ...] = ()
    after_number: tuple[str, ...] = ()
    numbers: Mapping[str, int] = field(default_factory=dict)
    # Number words glue onto the "years old" word ("zwölfjährige", "двенадцатилетняя").
    fused: bool = False


@dataclass(frozen=True)
class Pack:
    language: str
    name: str
    entries: tuple[Entry, ...]
    ages: AgeWords
    source: str


@dataclass(frozen=True)
class Lexicon:
    concepts: Mapping[str, Concept]
    packs: Mapping[str, Pack]

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(sorted(self.packs))

    def entries(self) -> Iterable[Entry]:
        for pack in self.packs.values():
            yield from pack.entries


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise LexiconError(f"{where}: expected a list of non-empty strings")
    return tuple(v.strip() for v in value)


def _load_concepts(data: Mapping[str, Any], source: str) -> dict[str, Concept]:
    concepts: dict[str, Concept] = {}
    for cid, body in data.get("concepts", {}).items():
        axis = body.get("axis")
        if axis not in AXES:
            raise LexiconError(f"{source}: concept {cid}: axis must be one of {AXES}")
        concepts[cid] = Concept(cid, cast(Axis, axis), str(body.get("description", cid)))
    return concepts


def _parse_pack(data: Mapping[str, Any], source: str, concepts: Mapping[str, Concept]) -> Pack:
    language = data.get("language")
    if not isinstance(language, str) or not language:
        raise LexiconError(f"{source}: missing 'language'")
    entries: list[Entry] = []
    for cid, body in data.get("concepts", {}).items():
        where = f"{source}: concept {cid}"
        concept = concepts.get(cid)
        if concept is None:
            raise LexiconError(f"{where}: not described in concepts.toml")
        axis = body.get("axis", concept.axis)
        if axis != concept.axis:
            raise LexiconError(f"{where}: axis {axis!r} differs from concepts.toml")
        strength = body.get("strength", "standard")
        if strength not in STRENGTHS:
            raise LexiconError(f"{where}: strength must be one of {STRENGTHS}")
        weight = float(body.get("weight", DEFAULT_WEIGHT[strength]))
        if not 0.0 < weight <= 1.0:
            raise LexiconError(f"{where}: weight must be in (0, 1]")
        forms = _strings(body.get("forms"), f"{where}: forms")
        stems = _strings(body.get("stems"), f"{where}: stems")
        if not forms and not stems:
            raise LexiconError(f"{where}: no forms or stems")
        entries.append(
            Entry(
                concept=cid,
                axis=cast(Axis, axis),
                language=language,
                weight=weight,
                strength=cast(Strength, strength),
                forms=forms,
                stems=stems,
                false_friend_of=frozenset(_strings(body.get("false_friend_of"), where)),
                transliterate=bool(body.get("transliterate", True)),
            )
        )
    ages_data = data.get("ages", {})
    numbers = ages_data.get("numbers", {})
    if not all(isinstance(v, int) and 0 <= v < 150 for v in numbers.values()):
        raise LexiconError(f"{source}: ages.numbers must map words to ages 0-149")
    ages = AgeWords(
        language=language,
        before_number=_strings(ages_data.get("before_number"), f"{source}: ages.before_number"),
        after_number=_strings(ages_data.get("after_number"), f"{source}: ages.after_number"),
        numbers={k.strip(): v for k, v in numbers.items()},
        fused=bool(ages_data.get("fused_numbers", False)),
    )
    return Pack(language, str(data.get("name", language)), tuple(entries), ages, source)


def _merge(a: Pack, b: Pack) -> Pack:
    ages = AgeWords(
        a.language,
        a.ages.before_number + b.ages.before_number,
        a.ages.after_number + b.ages.after_number,
        {**a.ages.numbers, **b.ages.numbers},
        a.ages.fused or b.ages.fused,
    )
    return Pack(a.language, a.name, a.entries + b.entries, ages, f"{a.source}+{b.source}")


def _read_toml(text: str, source: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise LexiconError(f"{source}: {exc}") from exc


def load_lexicon(extra_dirs: Iterable[Path] = ()) -> Lexicon:
    """The packaged packs plus any ``*.toml`` packs in ``extra_dirs``."""
    root = resources.files("tutela.prompts").joinpath("lexicons")
    concepts = _load_concepts(
        _read_toml(root.joinpath("concepts.toml").read_text(encoding="utf-8"), "concepts.toml"),
        "concepts.toml",
    )
    sources: list[tuple[str, str]] = [
        (f"lexicons/{item.name}", item.read_text(encoding="utf-8"))
        for item in sorted(root.iterdir(), key=lambda i: i.name)
        if item.name.endswith(".toml") and item.name != "concepts.toml"
    ]
    for directory in extra_dirs:
        if not Path(directory).is_dir():
            raise LexiconError(f"{directory}: lexicon folder not found")
        sources.extend(
            (str(path), path.read_text(encoding="utf-8"))
            for path in sorted(Path(directory).glob("*.toml"))
        )
    packs: dict[str, Pack] = {}
    for source, text in sources:
        pack = _parse_pack(_read_toml(text, source), source, concepts)
        packs[pack.language] = (
            _merge(packs[pack.language], pack) if pack.language in packs else pack
        )
    return Lexicon(concepts, packs)


@cache
def default_lexicon() -> Lexicon:
    return load_lexicon()
