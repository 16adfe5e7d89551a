"""Triage configuration: the shipped rules file, overridden by the operator's.

The defaults live in ``rules.toml`` beside this module (data, not code). An
operator file holds only the keys it changes; unknown sections or keys are an
error, so a misspelt setting fails loudly instead of doing nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from tutela.errors import ConfigError

DEFAULT_RULES = Path(__file__).with_name("rules.toml")
RULES_ENV = "TUTELA_RULES"


@dataclass(frozen=True)
class TriageConfig:
    values: dict[str, Any]
    source: str

    @property
    def cluster_threshold(self) -> int:
        return int(self.values["clusters"]["pdq_threshold"])

    @property
    def priority(self) -> dict[str, float]:
        return {k: float(v) for k, v in self.values["priority"].items()}

    def rule(self, name: str) -> dict[str, Any]:
        section: dict[str, Any] = self.values["rules"][name]
        return section

    @property
    def digest(self) -> str:
        """Identifies the effective settings (stored with every assessment)."""
        canonical = json.dumps(self.values, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]


@lru_cache(maxsize=1)
def _defaults() -> dict[str, Any]:
    with DEFAULT_RULES.open("rb") as fh:
        return tomllib.load(fh)


def _merge(base: dict[str, Any], override: dict[str, Any], where: str) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if key not in base:
            known = ", ".join(sorted(base))
            raise ConfigError(f"unknown setting {where}{key!r}; known here: {known}")
        if isinstance(base[key], dict):
            if not isinstance(value, dict):
                raise ConfigError(f"{where}{key} must be a table")
            merged[key] = _merge(base[key], value, f"{where}{key}.")
        elif isinstance(base[key], bool):
            if not isinstance(value, bool):
                raise ConfigError(f"{where}{key} must be true or false, got {value!r}")
            merged[key] = value
        else:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ConfigError(f"{where}{key} must be a number, got {value!r}")
            merged[key] = value
    return merged


def load_config(path: str | os.PathLike[str] | None = None) -> TriageConfig:
    """The shipped rules, overridden by ``path`` (or ``$TUTELA_RULES``) if given."""
    chosen = path or os.environ.get(RULES_ENV)
    if not chosen:
        return TriageConfig(_defaults(), str(DEFAULT_RULES))
    file = Path(chosen)
    try:
        with file.open("rb") as fh:
            override = tomllib.load(fh)
    except FileNotFoundError as exc:
        raise ConfigError(f"rules file not found: {file}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"rules file {file} is not valid TOML: {exc}") from exc
    values = _merge(_defaults(), override, "")
    for name in ("high", "medium"):
        if not 0 <= values["priority"][name] <= 100:
            raise ConfigError(f"priority.{name} must be within 0–100")
    if not 0 <= values["clusters"]["pdq_threshold"] <= 256:
        raise ConfigError("clusters.pdq_threshold must be within 0–256")
    synthetic = values["rules"]["synthetic"]
    for key in ("declared_ai_max_reduction", "likely_ai_max_reduction"):
        if not 0 <= synthetic[key] <= 1:
            raise ConfigError(f"rules.synthetic.{key} is a fraction: 0 (no reduction) to 1")
    return TriageConfig(values, str(file))
