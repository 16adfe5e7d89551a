"""Metamorphic tests: every obfuscation of a lexicon word gives the decision of the
plain word, for every concept of every language pack.

Inputs are short clinical compositions of lexicon words ("<minor word> <nudity
word>"), generated from the packs themselves: no prompt text is written here.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from anyascii import anyascii

from tutela.prompts import default_screener
from tutela.prompts.lexicon import NEUTRAL, Entry
from tutela.prompts.match import MIN_TRANSLIT_LENGTH

SCREENER = default_screener()
LEXICON = SCREENER.lexicon

_LEET = str.maketrans({"a": "4", "e": "3", "i": "1", "o": "0", "s": "5", "t": "7"})
_TO_CYRILLIC = str.maketrans(
    {"a": "а", "e": "е", "o": "о", "p": "р", "c": "с", "x": "х", "y": "у", "i": "і"}
)
_TO_LATIN = str.maketrans({"а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x"})
_FULLWIDTH = {c: chr(ord(c) + 0xFEE0) for c in map(chr, range(0x21, 0x7F))}


_RANK = {"allow": 0, "review": 1, "block": 2}


def _latin(form: str) -> bool:
    return form.isascii() and any(c.isalpha() for c in form)


def _cyrillic(form: str) -> bool:
    return any("\u0400" <= c <= "\u04ff" for c in form)


def _repeat(form: str) -> str | None:
    if not form.isalpha() or not _latin(form):
        return None
    for i, c in enumerate(form):
        if c in "aeiou":
            return form[:i] + c * 4 + form[i + 1 :]
    return None


def _translit(form: str) -> str | None:
    if form.isascii() or not any(c.isalpha() for c in form):
        return None
    romanised = anyascii(form).lower()
    return romanised if len(romanised.replace(" ", "")) >= MIN_TRANSLIT_LENGTH else None


# Known gaps, reported rather than hidden (see docs/prompts.md, "Limits"): Thai
# romanisations made by anyascii do not meet the packs' romanised keys, and two
# weak Romance descriptors are lost when spelled out letter by letter.
KNOWN_GAPS = {
    ("th", "transliterated"),
    ("es", "minor.youth_descriptor", "spaced"),
    ("es", "minor.youth_descriptor", "dotted"),
    ("fr", "minor.youth_descriptor", "spaced"),
    ("fr", "minor.youth_descriptor", "dotted"),
    # Vietnamese "nữ" (female) meets the French/Portuguese word for naked once
    # accents are dropped in the skeleton view.
    ("vi", "minor.teen", "alone"),
    ("vi", "minor.school_child", "alone"),
}


def _known(language: str, concept: str, name: str) -> bool:
    return (language, name) in KNOWN_GAPS or (language, concept, name) in KNOWN_GAPS


Obfuscation = Callable[[str], str | None]
OBFUSCATIONS: dict[str, Obfuscation] = {
    "upper": lambda f: f.upper() if f.upper() != f else None,
    "zero-width": lambda f: "\u200b".join(f),
    "spaced": lambda f: " ".join(f.replace(" ", "")) if len(f.replace(" ", "")) > 1 else None,
    "dotted": lambda f: ".".join(f.replace(" ", "")) if len(f.replace(" ", "")) > 1 else None,
    "sd-weight": lambda f: f"(({f}:1.3))",
    "full-width": lambda f: "".join(_FULLWIDTH.get(c, c) for c in f) if _latin(f) else None,
    "leet": lambda f: f.translate(_LEET) if _latin(f) and f.translate(_LEET) != f else None,
    "homoglyph": lambda f: (
        f.translate(_TO_CYRILLIC)
        if _latin(f) and f.translate(_TO_CYRILLIC) != f
        else f.translate(_TO_LATIN)
        if _cyrillic(f) and f.translate(_TO_LATIN) != f
        else None
    ),
    "repeated": _repeat,
    "transliterated": _translit,
}


def _counterpart(language: str, axis: str) -> str:
    """A standard word of the other axis in the same language (English for emoji)."""
    pack = LEXICON.packs[language if language != NEUTRAL else "en"]
    wanted = "sexual.nudity" if axis == "minor" else "minor.child"
    entry = next(e for e in pack.entries if e.concept == wanted)
    return (entry.forms or entry.stems)[0]


def _cases(language: str) -> list[tuple[Entry, str]]:
    return [
        (entry, form)
        for entry in LEXICON.packs[language].entries
        if entry.axis in ("minor", "sexual")
        for form in entry.forms + entry.stems
    ]


def test_every_language_pack_is_exercised() -> None:
    assert len([lang for lang in LEXICON.languages if lang != NEUTRAL]) >= 20


@pytest.mark.parametrize("language", LEXICON.languages)
def test_obfuscations_keep_the_decision(language: str) -> None:
    failures: list[str] = []
    checked = 0
    for entry, form in _cases(language):
        other = _counterpart(language, entry.axis)
        plain = SCREENER.screen(f"{form} {other}").decision
        expected = "block" if entry.strength != "weak" else None
        if expected and plain != expected:
            failures.append(f"{entry.concept}: plain composition gave {plain}")
            continue
        for name, obfuscate in OBFUSCATIONS.items():
            variant = obfuscate(form)
            if variant is None:
                continue
            checked += 1
            decision = SCREENER.screen(f"{variant} {other}").decision
            # Standard and strong words: exactly the same decision. Weak words may
            # escalate (letters spelled out are read together with their neighbours in
            # the joined view) but never weaken.
            changed = (
                decision != plain if entry.strength != "weak" else _RANK[decision] < _RANK[plain]
            )
            if changed and not _known(language, entry.concept, name):
                failures.append(
                    f"{language} {entry.concept} [{name}]: {decision} instead of {plain}"
                )
    assert checked > 0
    assert not failures, f"{len(failures)} of {checked} obfuscations changed the decision:\n" + (
        "\n".join(failures[:40])
    )


@pytest.mark.parametrize("language", LEXICON.languages)
def test_each_word_alone_is_not_blocked_unless_strong(language: str) -> None:
    """One axis alone never blocks: a minor word alone, a nudity word alone."""
    for entry, form in _cases(language):
        decision = SCREENER.screen(form).decision
        if (language, entry.concept, "alone") in KNOWN_GAPS:
            continue
        assert (decision == "block") == (entry.strength == "strong"), (entry.concept, decision)
