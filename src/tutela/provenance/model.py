"""What provenance inspection returns: typed, JSON-stable records.

Every consumer (``tutela inspect``, the scan analyser, triage, the prompt screener,
model forensics, the review UI) reads these types, so their JSON form is a contract:
fields are only ever added, never renamed (``docs/provenance.md``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Status = Literal["declared-ai", "likely-ai", "no-evidence", "camera-evidence"]
STATUSES: tuple[Status, ...] = ("declared-ai", "likely-ai", "camera-evidence", "no-evidence")
"""Ordered from the strongest claim of AI generation to none."""

Strength = Literal["verified", "signed", "embedded", "moderate", "weak", "info"]
Points = Literal["ai", "camera", "neither"]

STRENGTH_WEIGHT: dict[str, float] = {
    "verified": 0.99,  # cryptographically verified and the signer is trusted / known
    "signed": 0.9,  # signature intact, signer not on a trust list (a claim by whoever signed)
    "embedded": 0.85,  # unsigned declaration written into the file by a tool
    "moderate": 0.6,  # pixel-level evidence with a small false-alarm probability
    "weak": 0.3,  # easily forged or common (camera EXIF, quantisation tables)
    "info": 0.0,  # context only
}

NOTICE = (
    "Machine signal to prioritise human review, never a verdict. No status means an image "
    "is real: metadata is easily stripped or forged."
)
VERSION = "1"


@dataclass
class Evidence:
    """One fact found in the file, where it was found, and how much it is worth."""

    source: str
    """Which reader found it: c2pa, xmp, iptc, exif, png-text, stealth-alpha, novelai-signature,
    watermark, camera, jpeg-quantisation, detector:<name>."""
    kind: str
    """What it is: ai-declaration, generator-metadata, signature, watermark, camera-metadata,
    capture-declaration, non-ai-declaration, remote-manifest, detector-score, ..."""
    detail: str
    """One readable sentence for an analyst."""
    strength: Strength
    where: str
    """Container location: chunk, tag, manifest label, decode variant."""
    points_to: Points = "neither"
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def weight(self) -> float:
        return STRENGTH_WEIGHT[self.strength]


@dataclass
class ModelRef:
    """A model named in generation metadata; model forensics links images to files with it."""

    name: str | None
    hash: str | None = None
    hash_kind: str | None = None
    """a1111-model-hash (10 hex, legacy or AutoV2 prefix), autov2, autov3, sha256, blake3..."""
    role: str = "checkpoint"
    """checkpoint, unet, lora, lycoris, embedding, vae, clip, controlnet, upscaler, other."""
    weight: float | None = None
    where: str = ""


@dataclass
class PromptText:
    """A prompt found in metadata: kept as plain text for the prompt screener, never rendered."""

    text: str
    negative: bool
    tool: str
    where: str


@dataclass
class GeneratorInfo:
    """Generation parameters a tool wrote into the file."""

    tool: str
    where: str
    version: str | None = None
    model: str | None = None
    model_hash: str | None = None
    seed: int | str | None = None
    steps: int | None = None
    sampler: str | None = None
    scheduler: str | None = None
    cfg_scale: float | None = None
    width: int | None = None
    height: int | None = None
    prompt: str | None = None
    negative_prompt: str | None = None
    models: list[ModelRef] = field(default_factory=list)
    parameters: dict[str, Any] = field(default_factory=dict)
    """Everything else the tool recorded, keys as the tool wrote them (values as text)."""


@dataclass
class ProvenanceIssue:
    """Metadata that could not be read: recorded, never raised."""

    source: str
    kind: str
    message: str


@dataclass
class ProvenanceResult:
    status: Status
    confidence: float
    summary: str
    evidence: list[Evidence] = field(default_factory=list)
    generators: list[GeneratorInfo] = field(default_factory=list)
    prompts: list[PromptText] = field(default_factory=list)
    errors: list[ProvenanceIssue] = field(default_factory=list)
    c2pa: dict[str, Any] | None = None
    watermarks: list[dict[str, Any]] = field(default_factory=list)

    @property
    def models(self) -> list[ModelRef]:
        return [m for g in self.generators for m in g.models]

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "status": self.status,
            "confidence": round(self.confidence, 4),
            "summary": self.summary,
            "evidence": [{**asdict(e), "weight": e.weight} for e in self.evidence],
            "generators": [asdict(g) for g in self.generators],
            "models": [asdict(m) for m in self.models],
            "prompts": [asdict(p) for p in self.prompts],
            "c2pa": self.c2pa,
            "watermarks": self.watermarks,
            "errors": [asdict(e) for e in self.errors],
            "notice": NOTICE,
            "version": VERSION,
        }
        return out
