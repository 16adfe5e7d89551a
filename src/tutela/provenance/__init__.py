"""Is it AI-generated? Evidence a file carries about its own origin.

C2PA Content Credentials, IPTC/XMP declarations, generator metadata (A1111, ComfyUI,
NovelAI, InvokeAI, Fooocus, SwarmUI, ...), alpha-channel "stealth" metadata, NovelAI
signatures, open-generator invisible watermarks, camera metadata and optional
operator-supplied detectors, combined into a synthetic status with its evidence.

Machine signals prioritise human review; no status means an image is real.
"""

from __future__ import annotations

from tutela.provenance.inspect import InspectOptions, inspect_blob, inspect_bytes, inspect_path
from tutela.provenance.model import (
    NOTICE,
    STATUSES,
    Evidence,
    GeneratorInfo,
    ModelRef,
    PromptText,
    ProvenanceIssue,
    ProvenanceResult,
    Status,
)

__all__ = [
    "NOTICE",
    "STATUSES",
    "Evidence",
    "GeneratorInfo",
    "InspectOptions",
    "ModelRef",
    "PromptText",
    "ProvenanceIssue",
    "ProvenanceResult",
    "Status",
    "inspect_blob",
    "inspect_bytes",
    "inspect_path",
]
