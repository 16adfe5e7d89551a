"""One-line, human-readable summaries of content signals (for tables, not for rules)."""

from __future__ import annotations

from typing import Any


def describe(name: str, value: dict[str, Any]) -> str | None:
    """A short summary of a known content signal, or None for other signals."""
    if name == "nudity":
        return f"nudity {value['score']:.2f}"
    if name == "faces":
        faces = len(value.get("faces", []))
        if value.get("status") != "faces":
            return f"{faces} face(s); apparent age unknown"
        return (
            f"{value['usable_faces']} usable face(s); "
            f"P(age<18) {value['p_under_18']:.2f}, P(age<13) {value['p_under_13']:.2f}"
        )
    if name == "nudenet":
        labels = ", ".join(r["label"].lower() for r in value.get("regions", [])[:3])
        return f"nudenet {value['score']:.2f}" + (f" ({labels})" if labels else "")
    return None
