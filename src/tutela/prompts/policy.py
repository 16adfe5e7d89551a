"""What an operator decides: thresholds, what happens per decision, cool-downs.

A policy is data (a TOML file or one of the presets), so that it can be reviewed
and versioned like any other moderation rule.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Literal

from tutela.errors import ConfigError

Decision = Literal["allow", "review", "block"]
Action = Literal["allow", "review", "refuse", "rewrite"]
DECISIONS: tuple[Decision, ...] = ("allow", "review", "block")
ACTIONS: tuple[Action, ...] = ("allow", "review", "refuse", "rewrite")

# Added to the negative prompt when a prompt is rewritten (AI Horde forces a
# similar fixed list). Matched minor concepts add their own words too.
FORCED_NEGATIVE: tuple[str, ...] = (
    "child",
    "children",
    "kid",
    "minor",
    "underage",
    "teen",
    "teenager",
    "young girl",
    "young boy",
    "baby",
    "toddler",
    "schoolgirl",
    "schoolboy",
    "loli",
    "shota",
)


class PolicyError(ConfigError):
    kind = "policy"


@dataclass(frozen=True)
class Policy:
    """Thresholds and actions. Scores: each axis is in [0, 1]; the prompt's score is
    minor × sexual (1.0 for a strong-tier term)."""

    name: str = "default"
    block_at: float = 1.0
    review_at: float = 0.5
    actions: Mapping[Decision, Action] = field(
        default_factory=lambda: {"allow": "allow", "review": "review", "block": "refuse"}
    )
    # What a prompt with only one axis gets (a child playing football: minor only).
    minor_only: Decision = "allow"
    sexual_only: Decision = "allow"
    # Ages from 18 to this count as a weak minor signal ("youth-coded" adults).
    ambiguous_age_max: int = 21
    ambiguous_age_weight: float = 0.5
    # Adult words in the negative prompt steer a model away from adults.
    negative_adult_weight: float = 0.5
    # Drop a pack's words that are ordinary words in the prompt's (confident) language.
    route_languages: bool = True
    forced_negative: tuple[str, ...] = FORCED_NEGATIVE
    # Per-user escalating cool-downs (need a store and a user id).
    cooldown_after_blocks: int = 2
    cooldown_seconds: float = 60.0
    cooldown_factor: float = 4.0
    cooldown_max_seconds: float = 86_400.0
    cooldown_window_seconds: float = 86_400.0

    def __post_init__(self) -> None:
        if not 0.0 < self.review_at <= self.block_at <= 1.0:
            raise PolicyError("thresholds must satisfy 0 < review_at <= block_at <= 1")
        for decision, action in self.actions.items():
            if decision not in DECISIONS or action not in ACTIONS:
                raise PolicyError(
                    f"actions: {decision!r} → {action!r}; decisions are {DECISIONS}, "
                    f"actions are {ACTIONS}"
                )
        if set(self.actions) != set(DECISIONS):
            raise PolicyError(f"actions must say what happens for each of {DECISIONS}")
        if self.actions["block"] == "allow":
            raise PolicyError("a blocked prompt cannot be allowed; use refuse, rewrite or review")
        for name in ("minor_only", "sexual_only"):
            if getattr(self, name) not in DECISIONS:
                raise PolicyError(f"{name} must be one of {DECISIONS}")
        if not 18 <= self.ambiguous_age_max <= 30:
            raise PolicyError("ambiguous_age_max must be between 18 and 30")
        if self.cooldown_after_blocks < 1 or self.cooldown_factor < 1:
            raise PolicyError("cooldown_after_blocks and cooldown_factor must be at least 1")

    def action_for(self, decision: Decision) -> Action:
        return self.actions[decision]

    def to_json(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["actions"] = dict(self.actions)
        data["forced_negative"] = list(self.forced_negative)
        return data

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], base: Policy | None = None) -> Policy:
        """A policy from a mapping; ``base`` (or the preset named in ``base``) fills gaps."""
        data = dict(data)
        preset = data.pop("base", None)
        start = base or (preset_policy(str(preset)) if preset else Policy())
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise PolicyError(f"unknown policy settings: {', '.join(unknown)}")
        if "actions" in data:
            data["actions"] = {**start.actions, **dict(data["actions"])}
        if "forced_negative" in data:
            data["forced_negative"] = tuple(data["forced_negative"])
        try:
            return replace(start, **data)
        except TypeError as exc:
            raise PolicyError(str(exc)) from exc

    @classmethod
    def from_file(cls, path: Path) -> Policy:
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise PolicyError(f"cannot read policy: {exc}", str(path)) from exc
        data.setdefault("name", Path(path).stem)
        return cls.from_mapping(data)


PRESETS: dict[str, Policy] = {
    "default": Policy(),
    # Review-level prompts are refused too, and weaker combinations reach review.
    "strict": Policy(
        name="strict",
        review_at=0.25,
        actions={"allow": "allow", "review": "refuse", "block": "refuse"},
    ),
    # AI Horde's replacement mode: review-level prompts are rewritten, blocks refused.
    "rewrite": Policy(
        name="rewrite",
        actions={"allow": "allow", "review": "rewrite", "block": "refuse"},
    ),
}


def preset_policy(name: str) -> Policy:
    try:
        return PRESETS[name]
    except KeyError:
        raise PolicyError(f"no policy preset {name!r}; presets: {', '.join(PRESETS)}") from None


def resolve_policy(policy: Policy | str | Path | None) -> Policy:
    """A policy object, a preset name or a TOML file."""
    if policy is None:
        return PRESETS["default"]
    if isinstance(policy, Policy):
        return policy
    text = str(policy)
    if text in PRESETS:
        return PRESETS[text]
    if Path(text).suffix == ".toml" or Path(text).exists():
        return Policy.from_file(Path(text))
    return preset_policy(text)
