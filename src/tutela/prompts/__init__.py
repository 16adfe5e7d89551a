"""Prompt screening: stop a request for sexualised depictions of minors before anything
is generated.

``screen(prompt, negative_prompt=None, policy=...)`` returns a :class:`Screening`:
a decision (allow, review, block), what the policy says to do (allow, review,
refuse, rewrite), a score, the matched concepts with axis and language, and
reasons; matched words only when ``reveal_terms=True``. Machine signals prioritise
human review; they are never verdicts.
"""

from __future__ import annotations

from tutela.prompts.api import PromptFindings, prompt_findings, screen
from tutela.prompts.policy import PRESETS, Policy, PolicyError, resolve_policy
from tutela.prompts.screen import (
    NOTICE,
    ConceptFinding,
    PromptError,
    Screener,
    Screening,
    default_screener,
)

__all__ = [
    "NOTICE",
    "PRESETS",
    "ConceptFinding",
    "Policy",
    "PolicyError",
    "PromptError",
    "PromptFindings",
    "Screener",
    "Screening",
    "default_screener",
    "prompt_findings",
    "resolve_policy",
    "screen",
]
