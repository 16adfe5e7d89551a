"""The public entry points: :func:`screen` and :func:`prompt_findings`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from tutela.prompts.policy import Policy, resolve_policy
from tutela.prompts.screen import NOTICE, Screener, Screening, default_screener
from tutela.store import Store


def screen(
    prompt: str,
    negative_prompt: str | None = None,
    policy: Policy | str | Path | None = None,
    *,
    user: str | None = None,
    store: Store | None = None,
    reveal_terms: bool = False,
    screener: Screener | None = None,
    now: datetime | None = None,
) -> Screening:
    """Screen a text-to-image prompt before generation.

    ``policy`` is a :class:`Policy`, a preset name (``default``, ``strict``,
    ``rewrite``) or a TOML file. With ``user`` and ``store``, blocks are counted
    per user and escalating cool-downs apply. ``reveal_terms`` adds the matched
    words to the result: for moderators, never for the person who wrote the prompt.
    """
    pol = resolve_policy(policy)
    result = (screener or default_screener()).screen(
        prompt, negative_prompt, pol, reveal_terms=reveal_terms
    )
    if user is not None and store is not None:
        from tutela.prompts.cooldowns import apply_cooldowns

        result = apply_cooldowns(store, user, result, pol, now)
    return result


@dataclass(frozen=True)
class PromptFindings:
    """What a prompt found in an image's metadata says, for provenance and the gate.

    Concept ids, axes and languages only: never the prompt's words.
    """

    decision: str
    score: float
    axes: tuple[str, ...]  # axes that fired
    concepts: tuple[str, ...]
    languages: tuple[str, ...]
    obfuscated: bool
    reasons: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "decision": self.decision,
            "score": self.score,
            "axes": list(self.axes),
            "concepts": list(self.concepts),
            "languages": list(self.languages),
            "obfuscated": self.obfuscated,
            "reasons": list(self.reasons),
            "notice": NOTICE,
        }


def prompt_findings(
    prompt: str,
    negative_prompt: str | None = None,
    policy: Policy | str | Path | None = None,
) -> PromptFindings:
    """Screen a prompt recovered from an image (PNG text chunks, C2PA, EXIF) and
    return findings safe to store beside the image's other signals."""
    result = screen(prompt, negative_prompt, policy)
    return PromptFindings(
        decision=result.decision,
        score=result.score,
        axes=tuple(a.axis for a in result.axes if a.fired and a.axis != "adult")
        + (("strong",) if any(c.strength == "strong" for c in result.concepts) else ()),
        concepts=tuple(c.concept for c in result.concepts),
        languages=tuple(sorted({lang for c in result.concepts for lang in c.languages})),
        obfuscated=any(c.obfuscated for c in result.concepts),
        reasons=result.reasons,
    )
