"""The normalisers are total, idempotent and undo the obfuscations they are for."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tutela.prompts import normalise, sdsyntax
from tutela.prompts.views import make_views, squeeze

TEXT = st.text(max_size=80)


@given(TEXT)
def test_clean_is_idempotent(text: str) -> None:
    once = normalise.clean(text)
    assert normalise.clean(once) == once


@given(TEXT)
def test_separate_skeleton_fold_are_idempotent(text: str) -> None:
    base = normalise.clean(text)
    for fn in (normalise.separate, normalise.skeleton, normalise.fold, squeeze):
        once = fn(base)
        assert fn(once) == once


@given(TEXT)
def test_views_never_crash_and_joined_keeps_every_character(text: str) -> None:
    views = make_views(text)
    assert views.joined.text == views.folded.replace(" ", "")
    assert len(views.joined.token_of) == len(views.joined.text)


@given(TEXT)
def test_sd_strip_is_total(text: str) -> None:
    sdsyntax.strip_syntax(text)
    sdsyntax.split_negative(text)


def test_obfuscations_meet_the_plain_word() -> None:
    plain = normalise.separate(normalise.clean("kitten"))
    assert normalise.clean("ＫＩＴＴＥＮ") == plain  # full-width
    assert normalise.clean("k\u200bit\u200dten") == plain  # zero-width
    assert normalise.clean("𝐤𝐢𝐭𝐭𝐞𝐧") == plain  # mathematical bold
    assert normalise.skeleton(normalise.clean("kіttеn")) == plain  # Cyrillic і and е
    assert normalise.fold("k1773n") == normalise.fold("kitten")  # leet, folded both sides


def test_digits_of_every_script_become_ascii() -> None:
    assert normalise.clean("١٢ ۱۲ १२ ๑๒ １２") == "12 12 12 12 12"


def test_sd_syntax_keeps_words_drops_weights() -> None:
    text = sdsyntax.strip_syntax(
        "(sunset:1.3), [cat:dog:0.4] BREAK <lora:oil_paint-v2:0.8> embedding:Foo"
    )
    words = normalise.separate(normalise.clean(text)).split()
    assert words == ["sunset", "cat", "dog", "oil", "paint", "v2", "foo"]
    positive, negative = sdsyntax.split_negative("castle --no fog, rain --ar 16:9")
    assert (positive.split(), negative) == (["castle", "--ar", "16:9"], "fog, rain")
    assert sdsyntax.split_negative("castle ### blurry") == ("castle", "blurry")
    assert "1 girl" in sdsyntax.strip_syntax("1girl, solo")
