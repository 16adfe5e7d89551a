"""Strip the model syntax of Stable Diffusion front ends, keep the words.

Covers AUTOMATIC1111/Forge and ComfyUI (``(text:1.2)``, ``[text]``, ``\\(``,
``[from:to:when]``, ``[a|b]``, ``BREAK``, ``AND``, ``<lora:name:0.8>``,
``<lyco:…>``, ``<hypernet:…>``, ``embedding:name``), NovelAI braces
(``{{text}}``), dynamic-prompt alternatives (``{a|b}``), Danbooru count tags
(``1girl``) and Midjourney (``text::2``, ``--no …``, ``--ar 16:9``). LoRA and
embedding *names* are kept as words, because they often name the concept.

There is no library for this (each front end parses its own grammar), hence
these few regular expressions.
"""

from __future__ import annotations

import re

_NEGATIVE_SEPARATOR = "###"  # AI Horde's convention: "prompt ### negative prompt"

_NETWORK_TAG = re.compile(
    r"<\s*(?:lora|lyco|locon|loha|lokr|hypernet|embedding|ti)\s*:\s*([^:>]*)(?::[^>]*)?>",
    re.IGNORECASE,
)
_EMBEDDING_WORD = re.compile(r"\bembedding:([\w.\-]+)", re.IGNORECASE)
_WEIGHT = re.compile(r":\s*[-+]?\d*\.?\d+\s*(?=[)\]}>,]|$)")
_MJ_WEIGHT = re.compile(r"::\s*[-+]?\d*\.?\d*")
_ESCAPED_BRACKET = re.compile(r"\\([()\[\]{}])")
_ALTERNATION = re.compile(r"[\[{]([^\[\]{}]*\|[^\[\]{}]*)[\]}]")
_KEYWORDS = re.compile(r"\b(?:BREAK|AND|ADDROW|ADDCOL|ADDBASE|ADDCOMM)\b")
_COUNT_TAG = re.compile(r"\b(\d+\+?)(girls?|boys?|others?)\b", re.IGNORECASE)
_MJ_NO = re.compile(r"(?:^|\s)--no\s+(.*?)(?=\s--[a-z]|$)", re.IGNORECASE | re.DOTALL)
_MJ_PARAM = re.compile(r"(?:^|\s)--[a-z][\w-]*(?:\s+(?!--)[^\s,]+)?", re.IGNORECASE)
_NAME_SEPARATORS = re.compile(r"[_\-.]+")


def _network_name(match: re.Match[str]) -> str:
    return f" {_NAME_SEPARATORS.sub(' ', match.group(1))} "


def split_negative(prompt: str) -> tuple[str, str | None]:
    """Separate a negative prompt written inside the prompt (``###`` or ``--no``)."""
    negatives: list[str] = []
    if _NEGATIVE_SEPARATOR in prompt:
        prompt, negative = prompt.split(_NEGATIVE_SEPARATOR, 1)
        negatives.append(negative)
    found = _MJ_NO.search(prompt)
    if found:
        negatives.append(found.group(1))
        prompt = prompt[: found.start()] + " " + prompt[found.end() :]
    negative_text = ", ".join(n.strip() for n in negatives if n.strip())
    return prompt.strip(), negative_text or None


def strip_syntax(prompt: str) -> str:
    """The prompt's words without weights, brackets, keywords or network tags."""
    text = _NETWORK_TAG.sub(_network_name, prompt)
    text = _EMBEDDING_WORD.sub(lambda m: f" {_NAME_SEPARATORS.sub(' ', m.group(1))} ", text)
    text = _MJ_PARAM.sub(" ", text)
    text = _ESCAPED_BRACKET.sub(r" \1 ", text)
    text = _ALTERNATION.sub(lambda m: " " + m.group(1).replace("|", " , ") + " ", text)
    text = _MJ_WEIGHT.sub(" ", text)
    text = _WEIGHT.sub(" ", text)
    text = _KEYWORDS.sub(" , ", text)
    return _COUNT_TAG.sub(r"\1 \2", text)
