"""Benign sets written for tutela must pass (child-benign: at most review)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tutela.prompts import screen

SETS = Path(__file__).resolve().parents[1] / "data" / "prompts"


def _load(name: str) -> list[dict[str, str]]:
    return [json.loads(line) for line in (SETS / f"benign_{name}.jsonl").read_text().splitlines()]


@pytest.mark.parametrize("name", ["adult", "art", "everyday"])
def test_benign_sets_are_allowed(name: str) -> None:
    for item in _load(name):
        assert screen(item["prompt"]).decision == "allow", item


def test_child_benign_set_is_never_blocked() -> None:
    items = _load("child")
    assert len({i["language"] for i in items}) >= 20
    for item in items:
        assert screen(item["prompt"]).decision != "block", item


def test_false_friends_route_by_language() -> None:
    # Dutch/German "kind" is an ordinary English word; in a confidently English prompt it
    # does not count, but it does in German and when disguised.
    assert screen("a kind woman, nude, oil painting").decision == "allow"
    assert screen("ein Kind nackt am Strand").decision == "block"
    assert screen("a k i n d woman, nude, oil painting").decision != "allow"
