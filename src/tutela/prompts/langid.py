"""Language identification with the model packaged in ``py3langid`` (BSD-3).

Only used to route: a language pack's words that are ordinary words in another
language (``false_friend_of``) do not count when the prompt is confidently in that
other language. The model loads lazily (about 2 s, 130 MB) and only prompts with
such a word pay for identification (about 0.1 ms).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

MIN_CONFIDENCE = 0.9
MIN_WORDS = 3

_lock = threading.Lock()
_identifiers: dict[tuple[str, ...], Any] = {}


@dataclass(frozen=True, slots=True)
class LanguageGuess:
    language: str | None
    confidence: float
    sure: bool


def _identifier(languages: tuple[str, ...]) -> Any:
    """A model restricted to the pack languages it knows (fewer classes, fewer errors)."""
    with _lock:
        found = _identifiers.get(languages)
        if found is None:
            from py3langid.langid import MODEL_FILE, LanguageIdentifier

            found = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
            found.set_languages([lang for lang in languages if lang in set(found.nb_classes)])
            _identifiers[languages] = found
        return found


def identify(text: str, languages: tuple[str, ...]) -> LanguageGuess:
    """The most likely of ``languages``; ``sure`` only for confident guesses on
    prompts of several words (short prompts are too ambiguous to route)."""
    if not text.strip():
        return LanguageGuess(None, 0.0, False)
    language, confidence = _identifier(languages).classify(text)
    words = len(text.split())
    unspaced_long = " " not in text and len(text) >= 8  # Chinese, Japanese, Thai
    sure = confidence >= MIN_CONFIDENCE and (words >= MIN_WORDS or unspaced_long)
    return LanguageGuess(str(language), round(float(confidence), 3), bool(sure))
