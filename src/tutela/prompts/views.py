"""Several normalised views of one prompt; the lexicon is matched in every view.

Each view undoes one family of obfuscation and is built from the same
:mod:`tutela.prompts.normalise` functions that build the lexicon keys:

=========  ==============================================================  =====================
view       text                                                            undoes
=========  ==============================================================  =====================
plain      NFKC, casefold, invisible characters removed, punctuation → ␠   case, full-width,
                                                                           zero-width, model syntax
skeleton   plain + homoglyphs to their ASCII look-alike, accents dropped   homoglyphs, accents
folded     skeleton + leet/digit folding                                   leetspeak
joined     folded with spaces and punctuation *between* tokens removed     s p a c i n g, p.u.n.c.t
squeezed   folded tokens with letters repeated 3+ times, squeezed          repeated letters
translit   any script to ASCII (anyascii) + folding                        romanised writing
=========  ==============================================================  =====================

The native script stays in ``plain``; ``translit`` is an *extra* view, because
transliteration destroys matching in the prompt's own script.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tutela.prompts import normalise, sdsyntax

VIEW_NAMES: tuple[str, ...] = ("plain", "skeleton", "folded", "joined", "squeezed", "translit")
_RUN3 = re.compile(r"(.)\1\1+")
_RUN2 = re.compile(r"(.)\1+")


def squeeze(text: str) -> str:
    """Runs of a repeated character reduced to one (used on both sides)."""
    return _RUN2.sub(r"\1", text)


@dataclass(frozen=True, slots=True)
class Joined:
    """Tokens concatenated, with where each token starts and ends in the result."""

    text: str
    token_of: tuple[int, ...]  # token index of each character
    starts: frozenset[int]
    ends: frozenset[int]  # index one past a token's last character
    single: tuple[bool, ...]  # token is one character long


def join_tokens(spaced: str) -> Joined:
    tokens = spaced.split(" ") if spaced else []
    token_of: list[int] = []
    starts: set[int] = set()
    ends: set[int] = set()
    pos = 0
    for index, token in enumerate(tokens):
        starts.add(pos)
        token_of.extend([index] * len(token))
        pos += len(token)
        ends.add(pos)
    return Joined(
        "".join(tokens),
        tuple(token_of),
        frozenset(starts),
        frozenset(ends),
        tuple(len(t) == 1 for t in tokens),
    )


@dataclass(frozen=True, slots=True)
class Views:
    base: str  # cleaned, model syntax stripped, punctuation still in place
    plain: str
    skeleton: str
    folded: str
    joined: Joined
    squeezed: str
    translit: str


def make_views(prompt: str) -> Views:
    """Every view of ``prompt`` (negative prompts are screened separately)."""
    base = normalise.clean(sdsyntax.strip_syntax(prompt))
    skeleton = normalise.skeleton(base)
    folded = normalise.separate(normalise.fold(skeleton))
    squeezed = " ".join(squeeze(t) for t in folded.split(" ") if _RUN3.search(t))
    translit = (
        folded
        if base.isascii()
        else normalise.separate(
            normalise.fold(normalise.transliterate(normalise.latin_only(skeleton)))
        )
    )
    return Views(
        base=base,
        plain=normalise.separate(base),
        skeleton=normalise.separate(skeleton),
        folded=folded,
        joined=join_tokens(folded),
        squeezed=squeezed,
        translit=translit,
    )
