"""Gather every signal the rules use for a case's items, from whatever stages ran.

Content and provenance signals come from the ``signals`` table; bank matches from
the banks stage's ``matches`` table; prompt findings from the prompt screener run
on prompts the provenance signal extracted. A missing source yields no input.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from tutela.assess.inputs import BankHit, ItemSignals, PromptFinding
from tutela.store.models import Item, Location, Signal

SIGNALS = ("nudity", "faces", "nudenet", "provenance")


def case_item_rows(session: Session, case_id: int) -> dict[str, ItemSignals]:
    rows = session.execute(
        select(Item.sha256, Item.kind, Item.error_kind).where(
            Item.sha256.in_(select(Location.item_sha256).where(Location.case_id == case_id)),
            Item.kind != "archive",
        )
    )
    return {sha: ItemSignals(sha, kind, error_kind) for sha, kind, error_kind in rows}


def gather(session: Session, case_id: int) -> dict[str, ItemSignals]:
    items = case_item_rows(session, case_id)
    in_case = select(Location.item_sha256).where(Location.case_id == case_id)
    for sha, name, data in session.execute(
        select(Signal.item_sha256, Signal.name, Signal.data).where(
            Signal.item_sha256.in_(in_case), Signal.name.in_(SIGNALS)
        )
    ):
        item = items.get(sha)
        if item is None:
            continue
        if name == "nudity":
            item.nudity = float(data["score"])
            item.nudity_model = str(data.get("model", "opennsfw"))
        elif name == "faces":
            item.faces = data
        elif name == "nudenet":
            item.nudenet = data
        elif name == "provenance":
            item.provenance = data
    for sha, hit in bank_hits(session, case_id):
        if sha in items:
            items[sha].bank_hits.append(hit)
    screen = prompt_screener()
    for item in items.values():
        stored = (item.provenance or {}).get("prompt_findings")
        if stored:  # already screened when provenance was extracted
            item.prompt_findings.extend(finding(f) for f in stored if isinstance(f, dict))
        elif screen is not None:
            for text, negative in extracted_prompts(item.provenance):
                item.prompt_findings.append(screen(text, negative))
    return items


def bank_hits(session: Session, case_id: int) -> list[tuple[str, BankHit]]:
    """The banks stage's matches for this case (none if banks are not installed)."""
    try:
        models = importlib.import_module("tutela.banks.models")
    except ModuleNotFoundError:
        return []
    if not inspect(session.get_bind()).has_table("matches"):
        return []
    match, entry, bank = models.Match, models.Entry, models.Bank
    rows = session.execute(
        select(
            match.item_sha256,
            bank.name,
            bank.kind,
            match.signal_type,
            match.distance,
            match.suppressed,
            match.quarantined,
            entry.meta,
        )
        .join(entry, entry.id == match.entry_id)
        .join(bank, bank.id == match.bank_id)
        .where(match.case_id == case_id)
    )
    return [
        (
            sha,
            BankHit(name, kind, signal_type, distance, _category(meta), suppressed, quarantined),
        )
        for sha, name, kind, signal_type, distance, suppressed, quarantined, meta in rows
    ]


def _category(meta: dict[str, Any] | None) -> str | None:
    for key in ("category", "Category", "classification", "industry_classification"):
        value = (meta or {}).get(key)
        if value not in (None, ""):
            return str(value)
    return None


def extracted_prompts(provenance: dict[str, Any] | None) -> list[tuple[str, str | None]]:
    """(prompt, negative prompt) pairs the provenance signal recovered from the file.

    The provenance signal lists prompts and negative prompts as separate entries
    (``{text, negative: bool, tool, where}``); a negative prompt is paired with the
    prompt the same tool wrote at the same place and is never screened as a prompt.
    """
    positives: list[tuple[str, str, str]] = []
    negatives: dict[tuple[str, str], str] = {}
    for entry in (provenance or {}).get("prompts") or []:
        if isinstance(entry, str):
            entry = {"text": entry}
        if not isinstance(entry, dict):
            continue
        text = entry.get("text") or entry.get("prompt")
        if not isinstance(text, str) or not text.strip():
            continue
        place = (str(entry.get("tool", "")), str(entry.get("where", "")))
        if entry.get("negative") is True:
            negatives[place] = text
        else:
            positives.append((text, *place))
    return [(text, negatives.get((tool, where))) for text, tool, where in positives]


def finding(result: Any) -> PromptFinding:
    """The screener's result (or its stored JSON) as the rules' :class:`PromptFinding`."""
    get = result.get if isinstance(result, dict) else lambda k, d=None: getattr(result, k, d)
    decision = str(get("decision") or get("action") or "allow").lower()
    decision = {"refuse": "block", "deny": "block", "flag": "review"}.get(decision, decision)
    categories = tuple(str(c) for c in (*(get("axes") or ()), *(get("concepts") or ())))
    summary = "; ".join(str(r) for r in (get("reasons") or ())[:2])
    return PromptFinding(decision, summary, categories)


def prompt_screener() -> Callable[[str, str | None], PromptFinding] | None:
    """``tutela.prompts.prompt_findings`` adapted to the rules, if the screener is installed.

    It returns concept ids, axes and reasons only, never the prompt's words, so
    nothing an assessment stores repeats the prompt.
    """
    try:
        prompts = importlib.import_module("tutela.prompts")
    except ModuleNotFoundError:
        return None
    screen = getattr(prompts, "prompt_findings", None)
    if screen is None:
        return None

    def run(text: str, negative: str | None) -> PromptFinding:
        return finding(screen(text, negative))

    return run
