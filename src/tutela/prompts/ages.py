"""The age parser: "12 years old", "aged twelve", "12yo", "十二歳", "12 ans".

Ages are read from the lexicon's age words (number words, the words before and
after a number) found by the matcher, plus digit runs (every script's digits were
mapped to ASCII by :func:`tutela.prompts.normalise.clean`). A number counts as an
age only next to an age word, so "12 apples" is no age but "12 yo" is; two
numbers before an age word ("10 12 years", from "10-12 years") give a range.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from tutela.prompts.match import AgeWord, Hit

_DIGITS = re.compile(r"(?<![0-9])[0-9]{1,3}(?![0-9])")
MAX_AGE = 120


@dataclass(frozen=True, slots=True)
class AgeMention:
    age: int
    language: str  # of the age word that made the number an age


@dataclass(frozen=True, slots=True)
class _Number:
    start: int
    end: int
    value: int
    digits: bool


def _numbers(text: str, hits: Iterable[Hit]) -> list[_Number]:
    found = [_Number(m.start(), m.end(), int(m.group()), True) for m in _DIGITS.finditer(text)]
    for hit in hits:
        target = hit.target
        if isinstance(target, AgeWord) and target.role == "number":
            found.append(_Number(hit.start, hit.end, target.value, False))
    return found


def _ending_at(numbers: list[_Number], pos: int, text: str) -> _Number | None:
    """The longest number ending at ``pos`` or one space before it."""
    best: _Number | None = None
    for n in numbers:
        if (n.end == pos or (n.end == pos - 1 and text[pos - 1] == " ")) and (
            best is None or n.start < best.start
        ):
            best = n
    return best


def _starting_at(numbers: list[_Number], pos: int, text: str) -> _Number | None:
    """The longest number starting at ``pos`` or one space after it."""
    best: _Number | None = None
    for n in numbers:
        if (n.start == pos or (n.start == pos + 1 and text[pos] == " ")) and (
            best is None or n.end > best.end
        ):
            best = n
    return best


def parse_ages(text: str, hits: Iterable[Hit]) -> list[tuple[AgeMention, Hit]]:
    """Ages stated in one view's ``text``, given the matcher's hits in that view,
    each with the age word that made it an age."""
    hits = list(hits)
    words = [h for h in hits if isinstance(h.target, AgeWord) and h.target.role != "number"]
    if not words:
        return []
    numbers = _numbers(text, hits)
    ages: list[tuple[AgeMention, Hit]] = []
    for hit in words:
        assert isinstance(hit.target, AgeWord)
        language = hit.target.language
        if hit.target.role == "after":
            number = _ending_at(numbers, hit.start, text)
            if number is not None:
                ages.append((AgeMention(number.value, language), hit))
                earlier = _ending_at(numbers, number.start, text)  # a range "10-12"
                if (
                    earlier is not None
                    and earlier.digits
                    and number.digits
                    and earlier.value < number.value
                ):
                    ages.append((AgeMention(earlier.value, language), hit))
        else:
            number = _starting_at(numbers, hit.end, text)
            if number is not None:
                ages.append((AgeMention(number.value, language), hit))
    return [(a, h) for a, h in ages if 0 <= a.age <= MAX_AGE]
