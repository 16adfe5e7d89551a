"""Evidence → synthetic status and confidence: a fixed ladder, never a verdict.

* ``declared-ai``: the file itself declares AI generation: a C2PA or XMP
  DigitalSourceType of trained algorithmic media, a generator's parameters, a
  NovelAI signature. Signed declarations rank above unsigned ones.
* ``likely-ai``: weaker signals only: an open-generator watermark with a small
  false-alarm probability, an operator-supplied detector above its threshold, a
  "synthetic composite" declaration.
* ``camera-evidence``: no AI evidence, and camera EXIF or a capture declaration.
  Weak and forgeable: it is never evidence that a scene is real.
* ``no-evidence``: nothing either way. The normal state of any re-encoded or
  screenshotted file, AI-made or not.

``confidence`` is the weight of the strongest evidence behind the status (0 for
``no-evidence``): how much the file's own contents support the status, not the
probability that an image is or is not AI-made.
"""

from __future__ import annotations

from tutela.provenance.model import Evidence, Status

DECLARING_KINDS = {"ai-declaration", "generator-metadata", "signature"}
CAMERA_KINDS = {"camera-metadata", "capture-declaration"}
LIKELY_STRENGTHS = {"moderate", "weak"}


def decide(evidence: list[Evidence]) -> tuple[Status, float, str]:
    """(status, confidence, one-line summary) for a file's evidence."""
    ai = [e for e in evidence if e.points_to == "ai"]
    declared = [e for e in ai if e.kind in DECLARING_KINDS and e.strength not in ("weak", "info")]
    if declared:
        top = max(declared, key=lambda e: e.weight)
        sources = sorted({e.source for e in declared})
        return (
            "declared-ai",
            top.weight,
            f"declares AI generation ({', '.join(sources)}); strongest: {top.detail}",
        )
    likely = [e for e in ai if e.strength in LIKELY_STRENGTHS or e.kind not in DECLARING_KINDS]
    likely = [e for e in likely if e.strength != "info"]
    if likely:
        top = max(likely, key=lambda e: e.weight)
        return "likely-ai", top.weight, f"weaker signs of AI generation; strongest: {top.detail}"
    camera = [e for e in evidence if e.points_to == "camera" and e.kind in CAMERA_KINDS]
    if camera:
        top = max(camera, key=lambda e: e.weight)
        return (
            "camera-evidence",
            top.weight,
            f"no AI evidence; camera-like metadata (weak, forgeable): {top.detail}",
        )
    return (
        "no-evidence",
        0.0,
        "no provenance evidence either way; absence of metadata says nothing about origin",
    )
