"""What a generator reader sees and returns, and helpers every reader shares."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from tutela.provenance.model import Evidence, GeneratorInfo, ModelRef, PromptText

MAX_JSON_CHARS = 8 * 1024 * 1024


@dataclass
class Sources:
    """Metadata of one origin: the file's containers, or text recovered from alpha LSBs."""

    origin: str
    """``png-text``, ``exif``, ``stealth-alpha``... prefixed to every ``where``."""
    text: dict[str, str] = field(default_factory=dict)
    exif: dict[str, str] = field(default_factory=dict)
    user_comment: str | None = None
    xmp: dict[str, list[str]] = field(default_factory=dict)
    iptc: dict[str, list[str]] = field(default_factory=dict)
    format: str = ""


@dataclass
class Finding:
    generator: GeneratorInfo
    evidence: Evidence
    prompts: list[PromptText] = field(default_factory=list)


class Malformed(ValueError):
    """Metadata that names a generator but cannot be read; becomes an error entry."""

    def __init__(self, source: str, message: str) -> None:
        super().__init__(message)
        self.source = source


def load_json(text: str, what: str) -> Any:
    if len(text) > MAX_JSON_CHARS:
        raise Malformed(what, f"{what} JSON of {len(text):,} characters is over the limit")
    try:
        return json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise Malformed(what, f"{what} is not valid JSON: {exc}") from exc


def first(values: dict[str, list[str]], key: str) -> str | None:
    found = values.get(key)
    return found[0] if found else None


def as_int(value: Any) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def as_float(value: Any) -> float | None:
    try:
        return float(str(value).strip())
    except (TypeError, ValueError):
        return None


def as_text(value: Any, limit: int = 200_000) -> str | None:
    if value is None:
        return None
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    text = text.strip()
    return text[:limit] if text else None


def seed_of(value: Any) -> int | str | None:
    number = as_int(value)
    return number if number is not None else as_text(value, 100)


def flat_parameters(data: dict[str, Any], skip: set[str]) -> dict[str, Any]:
    """The remaining parameters as short JSON-able scalars (prompts never go here)."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key in skip:
            continue
        if isinstance(value, bool | int | float) or value is None:
            out[str(key)] = value
        else:
            text = as_text(value, 2000)
            if text is not None:
                out[str(key)] = text
    return out


def prompts_of(info: GeneratorInfo, extra: list[str] | None = None) -> list[PromptText]:
    found: list[PromptText] = []
    if info.prompt:
        found.append(PromptText(info.prompt, False, info.tool, info.where))
    if info.negative_prompt:
        found.append(PromptText(info.negative_prompt, True, info.tool, info.where))
    for text in extra or []:
        if text and text != info.prompt:
            found.append(PromptText(text, False, info.tool, info.where))
    return found


def finding(
    info: GeneratorInfo, detail: str | None = None, extra: list[str] | None = None
) -> Finding:
    """The standard evidence for generation parameters a tool wrote into the file."""
    facts = [f"model {info.model}" if info.model else "", f"seed {info.seed}" if info.seed else ""]
    summary = ", ".join(f for f in facts if f)
    text = detail or f"{info.tool} generation parameters"
    evidence = Evidence(
        source=info.where.split(":", 1)[0],
        kind="generator-metadata",
        detail=f"{text}{f' ({summary})' if summary else ''}; unsigned, can be forged or stripped",
        strength="embedded",
        where=info.where,
        points_to="ai",
        data={"tool": info.tool},
    )
    return Finding(info, evidence, prompts_of(info, extra))


def model_ref(
    name: Any,
    hash_value: Any = None,
    role: str = "checkpoint",
    hash_kind: str | None = None,
    where: str = "",
    weight: Any = None,
) -> ModelRef | None:
    name_text = as_text(name, 500)
    hash_text = as_text(hash_value, 200)
    if not name_text and not hash_text:
        return None
    if hash_text and hash_kind is None:
        hash_kind = guess_hash_kind(hash_text)
    return ModelRef(name_text, hash_text, hash_kind, role, as_float(weight), where)


def guess_hash_kind(value: str) -> str:
    """Name the hash family from its form: A1111's legacy 8-hex model hash, or a prefix of a
    SHA-256 (A1111 and Civitai print the first 10 or 12 hex digits; "AutoV2")."""
    if not all(c in "0123456789abcdefABCDEF" for c in value):
        return "other"
    if len(value) == 8:
        return "a1111-legacy"
    if len(value) == 64:
        return "sha256"
    return f"sha256-prefix-{len(value)}"
