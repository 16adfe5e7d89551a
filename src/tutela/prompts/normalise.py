"""Character-level normalisation shared by every view of a prompt and by the lexicon.

The same functions are applied to the prompt *and* to each lexicon form, so a view
matches when both sides agree after the same transformation (the UTS #39 idea of a
"skeleton", applied to several transformations). Each function is pure, total on
any ``str`` and idempotent, which the hypothesis tests check.
"""

from __future__ import annotations

import json
import re
import sys
import unicodedata
from functools import cache
from importlib import resources

from anyascii import anyascii

# Characters that render as nothing or only modify what is next to them: zero-width
# spaces and joiners, bidi controls, soft hyphen, variation selectors, emoji skin
# tones and tag characters. Evaders insert them between letters.
_INVISIBLE_RANGES = (
    (0x00AD, 0x00AD),
    (0x034F, 0x034F),
    (0x061C, 0x061C),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x206F),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0),
    (0x1F3FB, 0x1F3FF),
    (0xE0000, 0xE007F),
    (0xE0100, 0xE01EF),
)

# Combining marks that are accents on Latin, Greek and Cyrillic letters. Dropping them
# is accent-insensitive matching; marks of other scripts (Devanagari vowel signs,
# Thai tone marks, Arabic harakat) carry meaning and stay.
_ACCENT_RANGES = ((0x0300, 0x036F), (0x1AB0, 0x1AFF), (0x1DC0, 0x1DFF), (0x20D0, 0x20FF))

# Leet and digit substitutions folded to one letter on *both* sides (so "1", "l",
# "|" and "!" all meet as "i"). Folding instead of guessing one reading keeps the
# mapping many-to-one and deterministic.
_FOLD = str.maketrans(
    {
        "0": "o",
        "1": "i",
        "l": "i",
        "|": "i",
        "!": "i",
        "¡": "i",
        "3": "e",
        "€": "e",
        "4": "a",
        "@": "a",
        "5": "s",
        "$": "s",
        "7": "t",
        "+": "t",
        "8": "b",
        "9": "g",
        "2": "z",
    }
)

_SPACE_RUN = re.compile(r"\s+")
# Everything that is neither a letter, a mark, a digit nor a symbol we match on
# (emoji are symbols, "So") separates words.
_SEPARATOR_CATEGORIES = frozenset(
    {"Pc", "Pd", "Ps", "Pe", "Pi", "Pf", "Po", "Sm", "Sc", "Sk", "Zs"}
)
_KEEP_IN_WORDS = frozenset("'’")


def _ranges_table(ranges: tuple[tuple[int, int], ...]) -> dict[int, None]:
    return {cp: None for lo, hi in ranges for cp in range(lo, hi + 1)}


@cache
def _clean_table() -> dict[int, int | None]:
    """Invisible characters removed; every Unicode decimal digit mapped to ASCII."""
    table: dict[int, int | None] = dict(_ranges_table(_INVISIBLE_RANGES))
    for cp in range(sys.maxunicode + 1):
        ch = chr(cp)
        if cp > 0x7F and unicodedata.category(ch) == "Nd":
            table[cp] = ord("0") + unicodedata.decimal(ch)
        elif unicodedata.category(ch) == "Cf" and cp not in (0x200C, 0x200D):
            table[cp] = None
    # One apostrophe (Ukrainian writes it several ways).
    for cp in (0x2019, 0x2018, 0x02BC, 0x0060, 0x00B4, 0x02B9):
        table[cp] = ord("'")
    # ZWJ/ZWNJ are format characters used for obfuscation; remove them too.
    table[0x200C] = None
    table[0x200D] = None
    return table


@cache
def _separator_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for cp in range(sys.maxunicode + 1):
        ch = chr(cp)
        if ch not in _KEEP_IN_WORDS and unicodedata.category(ch) in _SEPARATOR_CATEGORIES:
            table[cp] = " "
    return table


@cache
def _skeleton_table() -> dict[int, str | None]:
    """Map each character to the ASCII letter or digit it is confusable with.

    Data: the Unicode confusables list as packaged by ``confusable-homoglyphs``
    (MIT). That data lists confusable pairs, not UTS #39 prototypes, so we follow
    the pairs to the nearest ASCII letter or digit (preferring letters). Accents
    are dropped here as well; characters with no ASCII look-alike stay as they are.
    """
    data_file = resources.files("confusable_homoglyphs").joinpath("confusables.json")
    pairs: dict[str, list[dict[str, str]]] = json.loads(data_file.read_text(encoding="utf-8"))

    def ascii_target(start: str) -> str | None:
        # Prompts are casefolded first, so a lower-case letter whose capital is the
        # look-alike (Cyrillic "к" → "К" → "K") is reached through its capital too.
        frontier = list(dict.fromkeys([start, start.upper()]))
        seen = set(frontier)
        for _ in range(3):
            found: list[str] = []
            nxt: list[str] = []
            for ch in frontier:
                for entry in pairs.get(ch, ()):
                    target = entry["c"]
                    if len(target) != 1 or target in seen:
                        continue
                    seen.add(target)
                    if target.isascii() and target.isalnum():
                        found.append(target.lower())
                    else:
                        nxt.append(target)
            if found:
                letters = sorted(c for c in found if c.isalpha())
                return (letters or sorted(found))[0]
            frontier = nxt
        return None

    table: dict[int, str | None] = dict.fromkeys(
        (cp for lo, hi in _ACCENT_RANGES for cp in range(lo, hi + 1)), None
    )
    for ch in pairs:
        if len(ch) != 1 or ch.isascii():
            continue
        target = ascii_target(ch)
        if target is not None:
            table[ord(ch)] = target
    return table


def clean(text: str) -> str:
    """NFKC, casefold, invisible characters removed, digits to ASCII, spaces collapsed.

    NFKC folds full-width and mathematical letters to plain ones; casefold is the
    Unicode caseless form (``ß`` → ``ss``). A second NFKC settles characters that
    casefolding decomposes.
    """
    text = unicodedata.normalize("NFKC", text).casefold()
    text = unicodedata.normalize("NFKC", text).translate(_clean_table())
    return _SPACE_RUN.sub(" ", text).strip()


def separate(text: str) -> str:
    """Punctuation, brackets and connectors become spaces; runs of spaces collapse."""
    return _SPACE_RUN.sub(" ", text.translate(_separator_table())).strip()


def skeleton(text: str) -> str:
    """Homoglyphs to their ASCII look-alike, Latin/Greek/Cyrillic accents dropped."""
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFC", decomposed.translate(_skeleton_table())).casefold()


def fold(text: str) -> str:
    """Leet and digit substitutions folded to letters (applied to both sides)."""
    return text.translate(_FOLD)


def transliterate(text: str) -> str:
    """Any script to ASCII (``anyascii``, ISC licence; not GPL ``unidecode``), cleaned."""
    return clean(anyascii(text))


def latin_only(text: str) -> str:
    """Letters of scripts other than Latin become spaces.

    The transliterated view exists to match *romanised* writing ("devochka") against
    romanised lexicon forms; transliterating Arabic or Persian script itself would
    only produce vowel-less collisions between packs, and the native script is
    matched in the plain view anyway.
    """
    return "".join(" " if ord(c) > 0x24F and c.isalpha() else c for c in text)


def warm() -> None:
    """Build the character tables now (about a second) rather than on the first prompt."""
    _clean_table()
    _separator_table()
    _skeleton_table()
