"""The decision model: lexicon hits and ages → two axes → a decision and reasons.

* **minor axis**: age nouns, developmental stages, school context, diminutives,
  youth emoji and parsed ages. Standard words fire it; weak words (young, girl,
  school) count half and are cancelled by adult words (woman, 30 years old).
* **sexual axis**: nudity, explicit acts, erotic framing; weak words (lingerie,
  swimwear) count half.
* **strong tier**: publicly documented exploitation terms block on their own.

Score = minor × sexual (1.0 for a strong term): **block** when both axes fire,
**review** from the policy's ``review_at``. Each concept counts once, whatever
the number of words, languages or views it was found in. Matched words are kept
out of the result unless ``reveal_terms`` is asked for (moderators only).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

from tutela.errors import TutelaError
from tutela.prompts import sdsyntax
from tutela.prompts.ages import AgeMention, parse_ages
from tutela.prompts.langid import LanguageGuess, identify
from tutela.prompts.lexicon import NEUTRAL, Axis, Entry, Lexicon, Strength, default_lexicon
from tutela.prompts.match import AgeWord, Hit, Matcher
from tutela.prompts.policy import Action, Decision, Policy, resolve_policy
from tutela.prompts.views import VIEW_NAMES, make_views

NOTICE = "Machine signal to prioritise human review; it is not a verdict."
MAX_PROMPT_CHARS = 100_000
Source = Literal["prompt", "negative_prompt"]


class PromptError(TutelaError):
    kind = "prompt-invalid"


@dataclass(frozen=True)
class ConceptFinding:
    """One concept found in the prompt (or negative prompt), without its words."""

    concept: str
    axis: Axis
    strength: Strength
    weight: float
    description: str
    languages: tuple[str, ...]
    views: tuple[str, ...]
    source: Source = "prompt"
    terms: tuple[str, ...] = ()  # the matched text, only when revealed

    @property
    def obfuscated(self) -> bool:
        """Found only after undoing an obfuscation (not in the plain view)."""
        return "plain" not in self.views

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "concept": self.concept,
            "axis": self.axis,
            "strength": self.strength,
            "weight": self.weight,
            "description": self.description,
            "languages": list(self.languages),
            "views": list(self.views),
            "obfuscated": self.obfuscated,
            "source": self.source,
        }
        if self.terms:
            data["terms"] = list(self.terms)
        return data


@dataclass(frozen=True)
class AxisScore:
    axis: Axis
    score: float
    fired: bool


@dataclass(frozen=True)
class Rewrite:
    """What to send to the generator instead (not for display to the user)."""

    prompt: str
    negative_prompt: str


@dataclass(frozen=True)
class Cooldown:
    user: str
    until: str  # ISO 8601, UTC
    blocks: int  # blocks in the policy's window
    active: bool  # this request arrived during the cool-down

    def to_json(self) -> dict[str, Any]:
        return {"until": self.until, "blocks": self.blocks, "active": self.active}


@dataclass(frozen=True)
class Screening:
    decision: Decision
    action: Action
    score: float
    axes: tuple[AxisScore, ...]
    concepts: tuple[ConceptFinding, ...]
    ages: tuple[int, ...]
    reasons: tuple[str, ...]
    policy: str
    language: LanguageGuess | None = None
    rewrite: Rewrite | None = None
    cooldown: Cooldown | None = None
    notice: str = NOTICE

    def axis(self, name: Axis) -> AxisScore:
        return next(a for a in self.axes if a.axis == name)

    def to_json(self) -> dict[str, Any]:
        """The documented JSON shape (matched words appear only if they were revealed)."""
        return {
            "decision": self.decision,
            "action": self.action,
            "score": self.score,
            "axes": [{"axis": a.axis, "score": a.score, "fired": a.fired} for a in self.axes],
            "concepts": [c.to_json() for c in self.concepts],
            "ages": list(self.ages),
            "language": None
            if self.language is None
            else {
                "language": self.language.language,
                "confidence": self.language.confidence,
                "sure": self.language.sure,
            },
            "reasons": list(self.reasons),
            "rewrite": None
            if self.rewrite is None
            else {"prompt": self.rewrite.prompt, "negative_prompt": self.rewrite.negative_prompt},
            "cooldown": None if self.cooldown is None else self.cooldown.to_json(),
            "policy": self.policy,
            "notice": self.notice,
        }


@dataclass
class _Analysis:
    """Hits of one text (prompt or negative prompt) after routing."""

    plain: str
    hits: list[Hit]
    ages: list[tuple[AgeMention, Hit]]
    language: LanguageGuess | None = None
    spans: list[tuple[int, int]] = field(default_factory=list)  # minor spans, plain view


class Screener:
    """A compiled lexicon; thread-safe and reusable (build once, screen many)."""

    def __init__(self, lexicon: Lexicon | None = None) -> None:
        self.lexicon = lexicon or default_lexicon()
        self.matcher = Matcher(self.lexicon)
        self.languages = tuple(lang for lang in self.lexicon.languages if lang != NEUTRAL)

    # -- analysis -------------------------------------------------------------------------

    def _analyse(self, text: str, policy: Policy) -> _Analysis:
        if len(text) > MAX_PROMPT_CHARS:
            raise PromptError(f"prompt longer than {MAX_PROMPT_CHARS:,} characters")
        views = make_views(text)
        hits = self.matcher.find(views)
        language: LanguageGuess | None = None
        if policy.route_languages and any(
            isinstance(h.target, Entry) and h.target.false_friend_of for h in hits
        ):
            language = identify(views.plain, self.languages)
            if language.sure:
                # Only words written plainly are ordinary words of the prompt's language;
                # an obfuscated one ("k i n d") was disguised on purpose and still counts.
                plain = {id(h.target) for h in hits if h.view == "plain"}
                hits = [
                    h
                    for h in hits
                    if not (id(h.target) in plain and _false_friend(h, language.language))
                ]
        ages: list[tuple[AgeMention, Hit]] = []
        for view, view_text in (("plain", views.plain), ("skeleton", views.skeleton)):
            view_hits = [h for h in hits if h.view == view and isinstance(h.target, AgeWord)]
            ages += parse_ages(view_text, view_hits)
        return _Analysis(views.plain, hits, ages, language)

    def _findings(
        self,
        analysis: _Analysis,
        policy: Policy,
        source: Source,
        reveal_terms: bool,
    ) -> list[ConceptFinding]:
        groups: dict[str, list[tuple[Entry | None, str, str, str]]] = {}
        weights: dict[str, tuple[float, Strength]] = {}
        for hit in analysis.hits:
            if isinstance(hit.target, Entry):
                entry = hit.target
                groups.setdefault(entry.concept, []).append(
                    (entry, entry.language, hit.view, hit.text)
                )
                best = weights.get(entry.concept)
                rank = _STRENGTH_RANK[entry.strength]
                if best is None or (rank, entry.weight) > (_STRENGTH_RANK[best[1]], best[0]):
                    weights[entry.concept] = (entry.weight, entry.strength)
        for mention, hit in analysis.ages:
            cid, weight, strength = _age_concept(mention.age, policy)
            groups.setdefault(cid, []).append((None, mention.language, hit.view, str(mention.age)))
            best = weights.get(cid)
            if best is None or weight > best[0]:
                weights[cid] = (weight, strength)
        findings = []
        for cid, items in groups.items():
            concept = self.lexicon.concepts[cid]
            weight, strength = weights[cid]
            findings.append(
                ConceptFinding(
                    concept=cid,
                    axis=concept.axis,
                    strength=strength,
                    weight=weight,
                    description=concept.description,
                    languages=tuple(sorted({lang for _, lang, _, _ in items})),
                    views=tuple(v for v in VIEW_NAMES if any(v == i[2] for i in items)),
                    source=source,
                    terms=tuple(sorted({t for *_, t in items})) if reveal_terms else (),
                )
            )
        return sorted(findings, key=lambda f: (_AXIS_ORDER[f.axis], f.concept))

    # -- decision ----------------------------------------------------------------------

    def screen(
        self,
        prompt: str,
        negative_prompt: str | None = None,
        policy: Policy | str | Path | None = None,
        *,
        reveal_terms: bool = False,
    ) -> Screening:
        """Screen one prompt (and its negative prompt, separately)."""
        pol = resolve_policy(policy)
        if not isinstance(prompt, str) or (
            negative_prompt is not None and not isinstance(negative_prompt, str)
        ):
            raise PromptError("prompt and negative_prompt must be text")
        positive, embedded_negative = sdsyntax.split_negative(prompt)
        negatives = [n for n in (negative_prompt, embedded_negative) if n]
        analysis = self._analyse(positive, pol)
        findings = self._findings(analysis, pol, "prompt", reveal_terms)
        negative_findings: list[ConceptFinding] = []
        if negatives:
            negative_analysis = self._analyse(", ".join(negatives), pol)
            negative_findings = self._findings(
                negative_analysis, pol, "negative_prompt", reveal_terms
            )
        return self._decide(prompt, analysis, findings, negative_findings, negatives, pol)

    def _decide(
        self,
        prompt: str,
        analysis: _Analysis,
        findings: list[ConceptFinding],
        negative_findings: list[ConceptFinding],
        negatives: list[str],
        policy: Policy,
    ) -> Screening:
        reasons: list[str] = []
        minor_findings = [f for f in findings if f.axis == "minor"]
        sexual_findings = [f for f in findings if f.axis == "sexual"]
        adult_findings = [f for f in findings if f.axis == "adult"]
        negative_adult = [f for f in negative_findings if f.axis == "adult"]
        if negative_adult:
            findings = [
                *findings,
                ConceptFinding(
                    concept="negative.adult_excluded",
                    axis="minor",
                    strength="weak",
                    weight=policy.negative_adult_weight,
                    description=self.lexicon.concepts["negative.adult_excluded"].description,
                    languages=tuple(sorted({lang for f in negative_adult for lang in f.languages})),
                    views=tuple(v for v in VIEW_NAMES if any(v in f.views for f in negative_adult)),
                    source="negative_prompt",
                ),
            ]
            minor_findings = [f for f in findings if f.axis == "minor"]
        strong = [f for f in minor_findings if f.strength == "strong"]
        minor_standard = float(sum(f.weight for f in minor_findings if f.strength != "weak"))
        minor_weak = float(sum(f.weight for f in minor_findings if f.strength == "weak"))
        adult = float(sum(f.weight for f in adult_findings))
        minor = min(1.0, minor_standard + max(0.0, minor_weak - adult))
        sexual = min(1.0, sum(f.weight for f in sexual_findings))
        score = 1.0 if strong else round(minor * sexual, 3)

        decision: Decision
        if strong:
            decision = "block"
            reasons.append("strong tier: " + _describe(strong) + "; blocks on its own")
        elif score >= policy.block_at:
            decision = "block"
        elif score >= policy.review_at:
            decision = "review"
        elif minor >= 1.0 and sexual == 0.0:
            decision = policy.minor_only
        elif sexual >= 1.0 and minor == 0.0:
            decision = policy.sexual_only
        else:
            decision = "allow"

        if minor_findings:
            reasons.append(f"minor axis {minor:.2f}: " + _describe(minor_findings))
        if sexual_findings:
            reasons.append(f"sexual axis {sexual:.2f}: " + _describe(sexual_findings))
        if adult and minor_weak:
            reasons.append(f"adult context ({_describe(adult_findings)}) lowers weak minor signals")
        hidden = [f for f in (*findings, *negative_findings) if f.obfuscated]
        if hidden:
            reasons.append("found only after undoing obfuscation: " + _describe(hidden, views=True))
        if not strong:
            reasons.append(_decision_reason(decision, score, minor, sexual, policy))

        action = policy.action_for(decision)
        rewrite: Rewrite | None = None
        if action == "rewrite":
            if strong:
                action = "refuse"
                reasons.append("strong-tier terms are never rewritten: refused")
            elif any(f.obfuscated for f in minor_findings if f.source == "prompt"):
                action = "refuse"
                reasons.append("obfuscated minor terms cannot be rewritten away: refused")
            else:
                rewrite = self._rewrite(analysis, minor_findings, negatives, policy)
        language = analysis.language
        if language is None and decision != "allow":
            language = identify(analysis.plain, self.languages)
        return Screening(
            decision=decision,
            action=action,
            score=score,
            axes=(
                AxisScore("minor", round(minor, 3), minor >= 1.0),
                AxisScore("sexual", round(sexual, 3), sexual >= 1.0),
                AxisScore("adult", round(min(1.0, adult), 3), adult >= 1.0),
            ),
            concepts=tuple([*findings, *negative_findings]),
            ages=tuple(sorted({m.age for m, _ in analysis.ages})),
            reasons=tuple(reasons),
            policy=policy.name,
            language=language,
            rewrite=rewrite,
        )

    def _rewrite(
        self,
        analysis: _Analysis,
        minor_findings: Sequence[ConceptFinding],
        negatives: list[str],
        policy: Policy,
    ) -> Rewrite:
        """Minor words cut out of the (normalised) prompt and forced into the negative
        prompt. Works on the plain view, so weights and case are lost (as in AI Horde)."""
        spans: list[tuple[int, int]] = []
        for hit in analysis.hits:
            if hit.view == "plain" and isinstance(hit.target, Entry) and hit.target.axis == "minor":
                spans.append((hit.start, hit.end))
        for mention, hit in analysis.ages:
            if hit.view == "plain" and mention.age <= policy.ambiguous_age_max:
                spans.append((hit.start, hit.end))
                spans.extend(_age_number_spans(analysis.plain, hit))
        text = analysis.plain
        keep = [True] * len(text)
        for start, end in spans:
            for i in range(start, end):
                keep[i] = False
        rewritten = " ".join("".join(c for c, k in zip(text, keep, strict=True) if k).split())
        extra: list[str] = []
        concepts = {f.concept for f in minor_findings}
        for entry in self.lexicon.entries():
            if entry.concept in concepts and entry.strength != "weak" and entry.forms:
                extra.append(entry.forms[0])
        forced = list(dict.fromkeys([*policy.forced_negative, *extra]))
        negative = ", ".join([*(n.strip() for n in negatives if n.strip()), *forced])
        return Rewrite(rewritten, negative)


_STRENGTH_RANK: dict[Strength, int] = {"weak": 0, "standard": 1, "strong": 2}
_AXIS_ORDER: dict[Axis, int] = {"minor": 0, "sexual": 1, "adult": 2}


def _false_friend(hit: Hit, language: str | None) -> bool:
    target = hit.target
    return (
        isinstance(target, Entry)
        and language is not None
        and target.language != language
        and language in target.false_friend_of
    )


def _age_concept(age: int, policy: Policy) -> tuple[str, float, Strength]:
    if age < 18:
        return "age.under_18", 1.0, "standard"
    if age <= policy.ambiguous_age_max:
        return "age.ambiguous", policy.ambiguous_age_weight, "weak"
    return "age.adult", 1.0, "standard"


def _age_number_spans(text: str, unit: Hit) -> list[tuple[int, int]]:
    """The number next to an age word, for cutting "12 years old" out entirely."""
    import re

    spans = []
    if isinstance(unit.target, AgeWord) and unit.target.role == "after":
        before = re.search(r"(\S+)\s?$", text[: unit.start])
        if before:
            spans.append((before.start(1), before.end(1)))
    else:
        after = re.match(r"\s?(\S+)", text[unit.end :])
        if after:
            spans.append((unit.end + after.start(1), unit.end + after.end(1)))
    return spans


def _describe(findings: Iterable[ConceptFinding], views: bool = False) -> str:
    parts = []
    for f in findings:
        where = ", ".join(f.languages)
        if views:
            parts.append(f"{f.concept} ({', '.join(v for v in f.views)})")
        else:
            neg = ", negative prompt" if f.source == "negative_prompt" else ""
            parts.append(f"{f.description} [{f.concept}, {where}{neg}]")
    return "; ".join(parts)


def _decision_reason(
    decision: Decision, score: float, minor: float, sexual: float, policy: Policy
) -> str:
    if decision == "block":
        return f"both axes fire (score {score:.2f} ≥ {policy.block_at:.2f}): block"
    if decision == "review" and score >= policy.review_at:
        return f"score {score:.2f} ≥ review threshold {policy.review_at:.2f}: review"
    if minor >= 1.0 and sexual == 0.0:
        return f"minor signals without sexual content: {decision} (policy minor_only)"
    if sexual >= 1.0 and minor == 0.0:
        return f"sexual content without minor signals: {decision} (policy sexual_only)"
    return f"score {score:.2f} below review threshold {policy.review_at:.2f}: allow"


@cache
def default_screener() -> Screener:
    """The packaged lexicon, compiled once per process."""
    return Screener()
