"""Find lexicon words in every view of a prompt with one Aho-Corasick pass per view.

``pyahocorasick`` (BSD) matches thousands of keys in microseconds; a regular
expression alternation of the same keys is about a thousand times slower (see
the benchmark's anchor). Word boundaries are checked on each hit, except for
words written in scripts without spaces (Chinese, Japanese, Thai) and emoji.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

import ahocorasick

from tutela.prompts import normalise
from tutela.prompts.lexicon import Entry, Lexicon
from tutela.prompts.views import Joined, Views, squeeze

AgeRole = Literal["number", "before", "after"]


@dataclass(frozen=True, slots=True)
class AgeWord:
    """A word of the age vocabulary: a number, or what says "years old"."""

    role: AgeRole
    language: str
    value: int = 0
    glued: bool = False  # may touch the letters of a number word (fused languages)


Target = Entry | AgeWord


@dataclass(frozen=True, slots=True)
class Hit:
    target: Target
    view: str
    start: int
    end: int  # exclusive
    text: str  # the matched text in that view (revealed only when asked)


# (target, the lexicon form it came from, word boundary needed on the left, on the right)
_Item = tuple[Target, str, bool, bool]
_Payload = tuple[int, tuple[_Item, ...]]


def _unspaced(ch: str) -> bool:
    """Characters of scripts written without spaces between words, and emoji."""
    cp = ord(ch)
    return (
        0x2E80 <= cp <= 0x9FFF  # CJK radicals, kana, CJK ideographs
        or 0xF900 <= cp <= 0xFAFF
        or 0x20000 <= cp <= 0x3FFFF
        or 0x0E00 <= cp <= 0x0EFF  # Thai, Lao
        or 0x1000 <= cp <= 0x109F  # Myanmar
        or 0x1780 <= cp <= 0x17FF  # Khmer
        or 0x1F000 <= cp <= 0x1FAFF  # emoji
        or 0x2600 <= cp <= 0x27BF  # symbols and dingbats
    )


def _hangul(ch: str) -> bool:
    cp = ord(ch)
    return 0xAC00 <= cp <= 0xD7AF or 0x1100 <= cp <= 0x11FF or 0x3130 <= cp <= 0x318F


def _word_char(ch: str) -> bool:
    """Letters, digits and combining marks (Devanagari vowel signs are marks)."""
    return ch.isalnum() or unicodedata.category(ch)[0] == "M"


class _Builder:
    def __init__(self) -> None:
        self.items: dict[str, list[_Item]] = {}

    def add(self, key: str, item: _Item) -> None:
        if key:
            self.items.setdefault(key, []).append(item)

    def automaton(self) -> ahocorasick.Automaton | None:
        if not self.items:
            return None
        auto = ahocorasick.Automaton()
        for key, items in self.items.items():
            auto.add_word(key, (len(key), tuple(items)))
        auto.make_automaton()
        return auto


def _plain_key(form: str) -> str:
    return normalise.separate(normalise.clean(form))


def _skeleton_key(form: str) -> str:
    return normalise.separate(normalise.skeleton(normalise.clean(form)))


def _folded_key(form: str) -> str:
    return normalise.separate(normalise.fold(normalise.skeleton(normalise.clean(form))))


def _translit_key(form: str) -> str:
    return normalise.separate(normalise.fold(normalise.transliterate(normalise.clean(form))))


# Romanised forms shorter than this collide with ordinary words ("아이" → "ai").
MIN_TRANSLIT_LENGTH = 4


class Matcher:
    """The lexicon compiled into one automaton per view."""

    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon
        builders = {name: _Builder() for name in ("plain", "skeleton", "folded", "joined")}
        builders["squeezed"] = _Builder()
        builders["translit"] = _Builder()
        for entry in lexicon.entries():
            for form, stem in [(f, False) for f in entry.forms] + [(s, True) for s in entry.stems]:
                self._add_entry_form(builders, entry, form, stem)
        for pack in lexicon.packs.values():
            ages = pack.ages
            words: list[tuple[AgeWord, str]] = [
                (AgeWord("number", pack.language, value, ages.fused), word)
                for word, value in ages.numbers.items()
            ]
            words += [(AgeWord("before", pack.language), w) for w in ages.before_number]
            words += [
                (AgeWord("after", pack.language, 0, ages.fused), w) for w in ages.after_number
            ]
            for target, word in words:
                for name, key_of in (("plain", _plain_key), ("skeleton", _skeleton_key)):
                    key = key_of(word)
                    if not key:
                        continue
                    if target.role == "after":
                        # "13yo", "13歳": a digit may touch the unit on the left; scripts
                        # that attach particles (Korean) or have no spaces stay open right.
                        last = key[-1]
                        right = not (_unspaced(last) or _hangul(last))
                        if _unspaced(key[0]):
                            target = AgeWord("after", pack.language, 0, True)
                        builders[name].add(key, (target, word, False, right))
                    else:
                        bounded = not _unspaced(key[0])
                        right = bounded and not (target.role == "number" and target.glued)
                        builders[name].add(key, (target, word, bounded, right))
        self._automata = {name: b.automaton() for name, b in builders.items()}

    @staticmethod
    def _add_entry_form(builders: dict[str, _Builder], entry: Entry, form: str, stem: bool) -> None:
        def item(key: str) -> _Item:
            left = not _unspaced(key[0])
            right = not stem and not _unspaced(key[-1])
            return (entry, form, left, right)

        for name, key_of in (
            ("plain", _plain_key),
            ("skeleton", _skeleton_key),
            ("folded", _folded_key),
        ):
            key = key_of(form)
            if key:
                builders[name].add(key, item(key))
        folded = _folded_key(form)
        if folded:
            joined = folded.replace(" ", "")
            builders["joined"].add(joined, item(joined))
            squeezed = squeeze(folded)
            builders["squeezed"].add(squeezed, item(squeezed))
        if entry.transliterate and not form.isascii() and any(c.isalpha() for c in form):
            key = _translit_key(form)
            if len(key.replace(" ", "")) >= MIN_TRANSLIT_LENGTH and key.isascii():
                builders["translit"].add(key, item(key))

    def _scan(self, name: str, text: str) -> Iterator[tuple[int, int, _Item]]:
        auto = self._automata[name]
        if auto is None or not text:
            return
        payload: _Payload
        for last, payload in auto.iter(text):
            length, items = payload
            start = last - length + 1
            for item in items:
                yield start, last + 1, item

    def _bounded(self, text: str, start: int, end: int, left: bool, right: bool) -> bool:
        if left and start > 0 and _word_char(text[start - 1]):
            return False
        return not (right and end < len(text) and _word_char(text[end]))

    def find(self, views: Views) -> list[Hit]:
        """Every lexicon hit in every view (a word may be found in several views)."""
        hits: list[Hit] = []
        for name, text in (
            ("plain", views.plain),
            ("skeleton", views.skeleton),
            ("folded", views.folded),
            ("squeezed", views.squeezed),
            ("translit", views.translit),
        ):
            for start, end, (target, _form, left, right) in self._scan(name, text):
                if isinstance(target, AgeWord) and target.role == "after" and start > 0:
                    # A unit may touch a number but not a letter (unless glued).
                    if text[start - 1].isalpha() and not target.glued:
                        continue
                    if right and end < len(text) and _word_char(text[end]):
                        continue
                elif not self._bounded(text, start, end, left, right):
                    continue
                hits.append(Hit(target, name, start, end, text[start:end]))
        hits.extend(self._find_joined(views.joined))
        return hits

    def _find_joined(self, joined: Joined) -> Iterator[Hit]:
        """Words split by spaces or punctuation: a hit must start and end on token
        edges and span at least two tokens; short words only when fully spelled out
        letter by letter, so two real words rarely join into a lexicon word."""
        text = joined.text
        for start, end, (target, _form, left, right) in self._scan("joined", text):
            first, last = joined.token_of[start], joined.token_of[end - 1]
            if first == last:
                continue
            if left and start not in joined.starts:
                continue
            if right and end not in joined.ends:
                continue
            if end - start <= 3 and not all(joined.single[first : last + 1]):
                continue
            yield Hit(target, "joined", start, end, text[start:end])
