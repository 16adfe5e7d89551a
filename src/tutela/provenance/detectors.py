"""Learned AI-image detectors: a plugin contract, no bundled model.

No trustworthy detector ships inside a wheel, and published detectors lose much of
their accuracy on unseen generators, compression and resizing, which is what
hotline material looks like. So tutela ships the contract and an ONNX runner; the
operator supplies the model and a *model card* (JSON) that says what it is::

    {
      "name": "my-detector", "version": "2026-01", "licence": "...",
      "model": "detector.onnx",          # path, relative to the card
      "sha256": "<hex of the model file>",
      "runtime": "onnx",                 # or "entry-point:<name>" (group tutela.detectors)
      "input": {"size": [224, 224], "layout": "NCHW", "scale": 0.00392156862745098,
                "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]},
      "output": {"kind": "probability" | "logit", "index": 0},
      "threshold": 0.9,                  # operator-calibrated
      "intended_use": "...", "training_data": "...", "limitations": "...",
      "calibration": "false-positive rate at the threshold on the operator's data"
    }

A score at or above the threshold becomes weak ``likely-ai`` evidence; nothing a
detector says can make a file ``declared-ai`` or lower anyone's review priority.
Detectors are listed in ``$TUTELA_DETECTORS`` (card paths separated by ``:``) or
passed to ``tutela inspect --detector CARD``.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from PIL import Image

from tutela.errors import ConfigError
from tutela.provenance.model import Evidence

ENTRY_POINT_GROUP = "tutela.detectors"
REQUIRED_CARD_FIELDS = (
    "name",
    "version",
    "model",
    "sha256",
    "input",
    "output",
    "threshold",
    "intended_use",
    "limitations",
)


class DetectorError(ConfigError):
    kind = "detector"


@dataclass(frozen=True)
class ModelCard:
    name: str
    version: str
    model: Path
    sha256: str
    input: dict[str, Any]
    output: dict[str, Any]
    threshold: float
    intended_use: str
    limitations: str
    runtime: str = "onnx"
    licence: str | None = None
    training_data: str | None = None
    calibration: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> ModelCard:
        try:
            data = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise DetectorError(f"cannot read model card {path}: {exc}") from exc
        missing = [f for f in REQUIRED_CARD_FIELDS if f not in data]
        if missing:
            raise DetectorError(f"model card {path} lacks: {', '.join(missing)}")
        known = set(REQUIRED_CARD_FIELDS) | {
            "runtime",
            "licence",
            "training_data",
            "calibration",
        }
        return cls(
            name=str(data["name"]),
            version=str(data["version"]),
            model=(path.parent / data["model"]).resolve(),
            sha256=str(data["sha256"]).lower(),
            input=dict(data["input"]),
            output=dict(data["output"]),
            threshold=float(data["threshold"]),
            intended_use=str(data["intended_use"]),
            limitations=str(data["limitations"]),
            runtime=str(data.get("runtime", "onnx")),
            licence=data.get("licence"),
            training_data=data.get("training_data"),
            calibration=data.get("calibration"),
            extra={k: v for k, v in data.items() if k not in known},
        )


class Detector(Protocol):
    """What a plugin provides: its card, and a probability that an image is AI-generated."""

    card: ModelCard

    def score(self, image: Image.Image) -> float: ...


def preprocess(image: Image.Image, spec: dict[str, Any]) -> np.ndarray:
    """RGB image → a float32 batch of one, as the card's ``input`` section describes."""
    height, width = (int(v) for v in spec.get("size", [224, 224]))
    resized = image.convert("RGB").resize((width, height), Image.Resampling.BILINEAR)
    arr = np.asarray(resized, dtype=np.float32) * float(spec.get("scale", 1 / 255))
    mean = np.asarray(spec.get("mean", [0.0, 0.0, 0.0]), dtype=np.float32)
    std = np.asarray(spec.get("std", [1.0, 1.0, 1.0]), dtype=np.float32)
    arr = (arr - mean) / std
    if spec.get("layout", "NCHW") == "NCHW":
        arr = arr.transpose(2, 0, 1)
    return np.ascontiguousarray(arr[None, ...], dtype=np.float32)


class OnnxDetector:
    """Runs an operator-supplied ONNX classifier with onnxruntime (CPU)."""

    def __init__(self, card: ModelCard) -> None:
        try:
            import onnxruntime
        except ImportError as exc:
            raise DetectorError(
                "onnxruntime is not installed: pip install 'tutela[detectors]'"
            ) from exc
        self.card = card
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        self.session = onnxruntime.InferenceSession(
            str(card.model), options, providers=["CPUExecutionProvider"]
        )
        self.input_name = self.session.get_inputs()[0].name

    def score(self, image: Image.Image) -> float:
        batch = preprocess(image, self.card.input)
        output = np.asarray(self.session.run(None, {self.input_name: batch})[0]).reshape(-1)
        value = float(output[int(self.card.output.get("index", 0))])
        if self.card.output.get("kind", "probability") == "logit":
            value = 1.0 / (1.0 + math.exp(-value))
        return min(1.0, max(0.0, value))


def _check_model(card: ModelCard) -> None:
    if not card.model.is_file():
        raise DetectorError(f"detector {card.name}: model file {card.model} not found")
    digest = hashlib.sha256(card.model.read_bytes()).hexdigest()
    if digest != card.sha256:
        raise DetectorError(
            f"detector {card.name}: model sha256 {digest} does not match the card ({card.sha256})"
        )


def load_detector(card_path: Path) -> Detector:
    """Build the detector a model card describes, after checking the model file's digest."""
    card = ModelCard.load(card_path)
    _check_model(card)
    if card.runtime == "onnx":
        return OnnxDetector(card)
    if card.runtime.startswith("entry-point:"):
        wanted = card.runtime.split(":", 1)[1]
        for point in entry_points(group=ENTRY_POINT_GROUP):
            if point.name == wanted:
                detector: Detector = point.load()(card)
                return detector
        raise DetectorError(f"no plugin {wanted!r} in entry-point group {ENTRY_POINT_GROUP}")
    raise DetectorError(f"unknown runtime {card.runtime!r} in the card of {card.name}")


def configured_cards() -> list[Path]:
    value = os.environ.get("TUTELA_DETECTORS", "")
    return [Path(p) for p in value.split(os.pathsep) if p.strip()]


def detector_evidence(detector: Detector, image: Image.Image) -> Evidence:
    card = detector.card
    value = detector.score(image)
    above = value >= card.threshold
    return Evidence(
        f"detector:{card.name}",
        "detector-score",
        f"detector {card.name} {card.version} scores {value:.3f} "
        f"({'at or above' if above else 'below'} its threshold {card.threshold}); "
        f"a learned guess, limitations: {card.limitations[:200]}",
        "weak" if above else "info",
        f"detector {card.name} ({card.model.name})",
        "ai" if above else "neither",
        {
            "score": round(value, 6),
            "threshold": card.threshold,
            "detector": card.name,
            "version": card.version,
            "calibration": card.calibration,
        },
    )
