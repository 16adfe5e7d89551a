"""The age parser on neutral sentences in every supported language."""

from __future__ import annotations

import pytest

from tutela.prompts import screen

NEUTRAL_AGES = [
    ("a 12 year old dog sleeping", 12),
    ("my 12-year-old bicycle", 12),
    ("a 12yo tree", 12),
    ("a 12 y/o oak", 12),
    ("aged 12, a bottle of wine", 12),
    ("a twelve year old house", 12),
    ("a twenty one year old car", 21),
    ("un árbol de 12 años", 12),
    ("uma árvore de 12 anos", 12),
    ("un arbre de douze ans", 12),
    ("ein zwölfjähriger Baum", 12),
    ("ein 12-jähriger Baum", 12),
    ("un albero di dodici anni", 12),
    ("een twaalfjarige boom", 12),
    ("dwunastoletni dąb", 12),
    ("двенадцатилетний дуб", 12),
    ("дереву 12 років", 12),
    ("12 yaşında bir ağaç", 12),
    ("شجرة عمرها 12 سنة", 12),
    ("درخت ۱۲ ساله", 12),
    ("12 साल का पेड़", 12),
    ("pohon berumur 12 tahun", 12),
    ("cây 12 tuổi", 12),
    ("ต้นไม้อายุ 12 ปี", 12),
    ("十二岁的树", 12),
    ("１２歳の木", 12),
    ("열두 살 나무", 12),
    ("a 40 year old castle", 40),
]


@pytest.mark.parametrize(("sentence", "age"), NEUTRAL_AGES)
def test_ages_are_read(sentence: str, age: int) -> None:
    assert age in screen(sentence).ages


@pytest.mark.parametrize(
    "sentence", ["12 apples on a table", "the year 2012", "a table for 12 people", "k1d"]
)
def test_numbers_without_age_words_are_not_ages(sentence: str) -> None:
    assert screen(sentence).ages == ()


def test_ranges_give_both_ends() -> None:
    assert screen("trees 10-14 years old").ages == (10, 14)


def test_age_bands_map_to_axes() -> None:
    assert screen("a 12 year old statue").axis("minor").fired
    ambiguous = screen("a 19 year old statue")
    assert {c.concept for c in ambiguous.concepts} == {"age.ambiguous"}
    assert not ambiguous.axis("minor").fired
    adult = screen("a 30 year old statue")
    assert {c.concept for c in adult.concepts} == {"age.adult"}


def test_ambiguous_band_is_configurable() -> None:
    from tutela.prompts import Policy

    narrow = Policy(ambiguous_age_max=18)
    assert {c.concept for c in screen("a 19 year old statue", policy=narrow).concepts} == {
        "age.adult"
    }
