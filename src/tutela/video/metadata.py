"""What a video's container metadata says about the tool that made it.

Two readings of the tags FFmpeg reports (container and video stream):

* :func:`generator_mentions` – tags that name a known video generator
  (``data/generators.toml``), with how much a tag of that kind is worth;
* :func:`tag_text` – the tags as text fields for the generator-metadata readers
  (ComfyUI's VideoHelperSuite, for one, writes its graph as JSON in ``comment``).

Metadata is unsigned and easily stripped or forged: it shows what a file says, never
what made it.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources

TOOL_TAGS = frozenset(
    {
        "encoder",
        "software",
        "creation_tool",
        "creator_tool",
        "tool",
        "com.apple.quicktime.software",
        "©too",
        "©swr",
        "isft",
    }
)
"""Tags a tool writes about itself (an embedded declaration); other tags are free text."""

IGNORED_TAGS = frozenset(
    {"major_brand", "minor_version", "compatible_brands", "creation_time", "language", "duration"}
)


@dataclass(frozen=True)
class Mention:
    tag: str
    value: str
    generator: str
    tool_tag: bool
    """True when the tag is one a tool writes about itself (encoder, software...)."""


@cache
def _generators() -> list[tuple[str, list[re.Pattern[str]]]]:
    text = resources.files("tutela.video").joinpath("data/generators.toml").read_text("utf-8")
    table = tomllib.loads(text)
    return [
        (g["name"], [re.compile(p, re.IGNORECASE) for p in g["patterns"]])
        for g in table["generator"]
    ]


def generator_mentions(tags: dict[str, str]) -> list[Mention]:
    """Every tag whose value names a known video generator (one mention per generator)."""
    found: dict[str, Mention] = {}
    for tag, value in tags.items():
        key = tag.lower()
        if key in IGNORED_TAGS:
            continue
        for name, patterns in _generators():
            if any(p.search(value) for p in patterns):
                tool_tag = key in TOOL_TAGS
                known = found.get(name)
                if known is None or (tool_tag and not known.tool_tag):
                    found[name] = Mention(tag, value[:200], name, tool_tag)
    return list(found.values())


def tag_text(tags: dict[str, str]) -> dict[str, str]:
    """Tags as text fields; a tag holding a JSON object also contributes its keys."""
    out = dict(tags)
    for value in tags.values():
        if not value.lstrip().startswith("{"):
            continue
        try:
            data = json.loads(value)
        except (json.JSONDecodeError, RecursionError):
            continue
        if isinstance(data, dict):
            for key, inner in data.items():
                text = inner if isinstance(inner, str) else json.dumps(inner)
                out.setdefault(str(key), text)
    return out
