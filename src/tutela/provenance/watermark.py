"""The ``dwtDct`` invisible watermark of open generators: decode, score, and embed.

Stable Diffusion 1.x/2.x scripts, SDXL (Stability's ``sgm`` and diffusers) and the
FLUX.1 reference code mark outputs with ``invisible-watermark``'s ``dwtDct``: Haar DWT
of the U channel (OpenCV YUV), 4×4 blocks of the LL band, and in each block the
largest non-DC coefficient quantised with step 36 so that ``|v| mod 36`` sits at 9
(bit 0) or 27 (bit 1). Payload bits repeat over the blocks in row-major order.

Implemented here, with OpenCV and PyWavelets, rather than imported from
``invisible-watermark`` because (1) that package imports torch at module level and
pins the non-headless ``opencv-python``; (2) decoding must try four input variants
(uint8/float32 × BGR/RGB, because pipelines embed differently) and count inverted
bits, which its API does not expose; (3) its per-block Python loop is ~50× slower
than the vectorised scoring below. ``embed`` reproduces its output exactly
(``faithful=True``), including its swapped detail bands, so fixtures match what real
pipelines wrote; tests check this against a digest of imwatermark 0.2.0's output.

The mark is fragile: JPEG below ~q90, resizing, cropping or 4:2:0 chroma subsampling
erase it, and anyone can embed it. A match is moderate evidence; absence is none.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

import numpy as np

SCALE = 36.0
BLOCK = 4
MIN_PIXELS = 256 * 256
"""imwatermark refuses smaller images, so no pipeline marks them."""
MAX_PIXELS = 2048 * 2048
"""Larger images are not decoded: the marking pipelines write at most ~2048² (SDXL with
hires fix); bigger files are camera photos or upscales, and resizing erases the mark."""
DETECT_FAP = 1e-4
"""Adjusted false-alarm probability at or below which a payload counts as detected."""
PARTIAL_FAP = 1e-2

Variant = Literal["uint8-bgr", "uint8-rgb", "float32-bgr", "float32-rgb"]
VARIANTS: tuple[Variant, ...] = ("uint8-bgr", "uint8-rgb", "float32-bgr", "float32-rgb")


def _bits_of_bytes(data: bytes) -> tuple[int, ...]:
    return tuple(int(b) for b in np.unpackbits(np.frombuffer(data, dtype=np.uint8)))


def _bits_of_int(value: int) -> tuple[int, ...]:
    # As the pipelines build it: ``bin(x)[2:]``, which drops leading zeros (FLUX: 46 bits).
    return tuple(int(c) for c in bin(value)[2:])


TUTELA_MAGIC = hashlib.sha256(b"tutela operator mark v1").digest()[:6]
"""48 pseudo-random bits: balanced, and far from the all-zero pattern flat images decode to."""


@dataclass(frozen=True)
class Payload:
    name: str
    label: str
    bits: tuple[int, ...]
    detect_bits: int
    """How many leading bits are fixed and used for detection (the rest carries data)."""
    source: str

    @property
    def length(self) -> int:
        return len(self.bits)


def crc8(data: bytes) -> int:
    """CRC-8 (polynomial 0x07): tells a misread operator number from a real one."""
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = ((crc << 1) ^ 0x07) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
    return crc


def tutela_payload(operator: int = 0) -> Payload:
    """tutela's own mark for operator outputs: 48 fixed bits, a 16-bit operator number and
    its CRC-8 (72 bits). Detection uses the fixed bits; the operator is reported only when
    its CRC checks, because single bits of a weak mark are often misread."""
    if not 0 <= operator < 2**16:
        raise ValueError("operator must fit in 16 bits")
    number = operator.to_bytes(2, "big")
    return Payload(
        "tutela",
        "tutela operator mark v1",
        _bits_of_bytes(TUTELA_MAGIC + number + bytes([crc8(number)])),
        48,
        "tutela.gate / tutela.provenance.watermark.embed",
    )


def operator_of(data_bits: str | None) -> int | None:
    """The operator number carried by a tutela mark's data bits, if its CRC checks."""
    if data_bits is None or len(data_bits) != 24:
        return None
    raw = int(data_bits, 2).to_bytes(3, "big")
    return int.from_bytes(raw[:2], "big") if crc8(raw[:2]) == raw[2] else None


PAYLOADS: tuple[Payload, ...] = (
    Payload(
        "sd1",
        "Stable Diffusion 1.x (StableDiffusionV1)",
        _bits_of_bytes(b"StableDiffusionV1"),
        136,
        "CompVis stable-diffusion scripts/txt2img.py",
    ),
    Payload(
        "sd2",
        "Stable Diffusion 2.x (SDV2)",
        _bits_of_bytes(b"SDV2"),
        32,
        "Stability-AI/stablediffusion scripts",
    ),
    Payload(
        "sdxl",
        "SDXL (48-bit 0xB3EC907BB19E)",
        _bits_of_int(0xB3EC907BB19E),
        48,
        "Stability-AI/generative-models WatermarkEmbedder; diffusers StableDiffusionXLWatermarker",
    ),
    Payload(
        "flux",
        "FLUX.1 reference (46-bit 0x2AFE879CF52E)",
        _bits_of_int(0x2AFE879CF52E),
        46,
        "black-forest-labs/flux src/flux/util.py",
    ),
    tutela_payload(),
)
TESTS_PER_DECODE = len(VARIANTS) * 2 * len(PAYLOADS)
"""Hypotheses tested per image (variants × polarity × payloads): the Bonferroni factor."""


@cache
def _binomial_tail(n: int, k: int) -> float:
    """P(X ≥ k) for X ~ Binomial(n, 1/2), exactly."""
    return float(sum(math.comb(n, i) for i in range(k, n + 1)) / 2**n)


def false_alarm(matches: int, length: int) -> tuple[float, float]:
    """(per-test p-value of at least this agreement either way, Bonferroni-adjusted)."""
    best = max(matches, length - matches)
    p = min(1.0, 2 * _binomial_tail(length, best))
    return p, min(1.0, p * TESTS_PER_DECODE)


def _input(rgb: np.ndarray, variant: Variant) -> np.ndarray:
    dtype, order = variant.split("-")
    arr = rgb[:, :, ::-1] if order == "bgr" else rgb
    return np.ascontiguousarray(arr, dtype=np.float32 if dtype == "float32" else np.uint8)


def _blocks(ll: np.ndarray) -> np.ndarray:
    rows, cols = ll.shape[0] // BLOCK, ll.shape[1] // BLOCK
    cut = ll[: rows * BLOCK, : cols * BLOCK]
    return cut.reshape(rows, BLOCK, cols, BLOCK).transpose(0, 2, 1, 3).reshape(-1, BLOCK * BLOCK)


def block_scores(rgb: np.ndarray, variant: Variant) -> tuple[np.ndarray, float]:
    """Per-block decoded bit (row-major) and the U channel's spread, for one input variant.

    A "bgr" variant means the pipeline handed OpenCV a correctly ordered BGR array, i.e.
    RGB2YUV of our RGB pixels; an "rgb" variant handed it RGB as if it were BGR.
    """
    import cv2

    dtype, order = variant.split("-")
    arr = rgb.astype(np.float32) if dtype == "float32" else rgb
    code = cv2.COLOR_RGB2YUV if order == "bgr" else cv2.COLOR_BGR2YUV
    rows, cols = rgb.shape[0] // 4 * 4, rgb.shape[1] // 4 * 4
    u = cv2.cvtColor(arr, code)[:rows, :cols, 1].astype(np.float32)
    # The Haar LL band is half the sum of each 2×2 cell (what pywt.dwt2 computes, much faster).
    ll = (u[0::2, 0::2] + u[0::2, 1::2] + u[1::2, 0::2] + u[1::2, 1::2]) / 2
    blocks = np.abs(_blocks(ll)[:, 1:])
    largest = blocks[np.arange(blocks.shape[0]), blocks.argmax(axis=1)]
    return (np.mod(largest, SCALE) > SCALE / 2).astype(np.float32), float(u[::4, ::4].std())


def bits_from_scores(scores: np.ndarray, length: int) -> np.ndarray:
    """Average the block scores per payload position (block i carries bit i mod length)."""
    usable = scores.size // length * length
    if usable == 0:
        return np.zeros(length, dtype=np.uint8)
    sums = np.bincount(np.arange(scores.size) % length, weights=scores, minlength=length)
    counts = np.bincount(np.arange(scores.size) % length, minlength=length)
    averages = sums / np.maximum(counts, 1)
    return (averages * 255 > 127).astype(np.uint8)


@dataclass
class PayloadMatch:
    payload: str
    label: str
    variant: str
    matches: int
    length: int
    inverted: bool
    p_value: float
    false_alarm_probability: float
    detected: bool
    partial: bool
    data_bits: str | None = None

    @property
    def bit_accuracy(self) -> float:
        best = self.length - self.matches if self.inverted else self.matches
        return best / self.length

    def to_json(self) -> dict[str, Any]:
        return {
            "payload": self.payload,
            "label": self.label,
            "variant": self.variant,
            "matching_bits": self.length - self.matches if self.inverted else self.matches,
            "bits": self.length,
            "bit_accuracy": round(self.bit_accuracy, 4),
            "inverted": self.inverted,
            "p_value": self.p_value,
            "false_alarm_probability": self.false_alarm_probability,
            "detected": self.detected,
            "partial": self.partial,
            "data_bits": self.data_bits,
            "operator": operator_of(self.data_bits) if self.payload == "tutela" else None,
        }


@dataclass
class WatermarkReport:
    state: Literal["decoded", "undecidable", "not-applicable"]
    reason: str
    matches: list[PayloadMatch]

    def to_json(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "reason": self.reason,
            "tests": TESTS_PER_DECODE,
            "payloads": [m.to_json() for m in self.matches],
        }


def not_applicable(width: int, height: int) -> WatermarkReport | None:
    """The report for sizes no marking pipeline produces (decided without decoding)."""
    if width * height < MIN_PIXELS:
        return WatermarkReport("not-applicable", "smaller than 256×256: never marked", [])
    if width * height > MAX_PIXELS:
        return WatermarkReport(
            "not-applicable", "larger than any marking pipeline writes (2048²); not decoded", []
        )
    return None


def decode(
    rgb: np.ndarray,
    payloads: tuple[Payload, ...] = PAYLOADS,
    variants: tuple[Variant, ...] = VARIANTS,
) -> WatermarkReport:
    """Try every payload under every input variant; keep each payload's strongest reading."""
    height, width = rgb.shape[:2]
    skipped = not_applicable(width, height)
    if skipped is not None:
        return skipped
    per_variant: dict[str, np.ndarray] = {}
    deviations = []
    for variant in variants:
        scores, deviation = block_scores(rgb, variant)
        deviations.append(deviation)
        mean = float(scores.mean()) if scores.size else 0.0
        if 0.02 < mean < 0.98:
            per_variant[variant] = scores
    if not per_variant or max(deviations) < 0.5:
        return WatermarkReport(
            "undecidable", "no chroma variation: the decoder reads the same bit everywhere", []
        )
    found = []
    for payload in payloads:
        best: PayloadMatch | None = None
        target = np.array(payload.bits, dtype=np.uint8)
        for name, scores in per_variant.items():
            bits = bits_from_scores(scores, payload.length)
            fixed = payload.detect_bits
            matches = int((bits[:fixed] == target[:fixed]).sum())
            p, fap = false_alarm(matches, fixed)
            inverted = matches < fixed - matches
            data = None
            if fixed < payload.length:
                tail = bits[fixed:] ^ (1 if inverted else 0)
                data = "".join(str(int(b)) for b in tail)
            candidate = PayloadMatch(
                payload.name,
                payload.label,
                name,
                matches,
                fixed,
                inverted,
                p,
                fap,
                fap <= DETECT_FAP,
                DETECT_FAP < fap <= PARTIAL_FAP,
                data,
            )
            # On a tie prefer the straight reading: it names the pipeline's own variant.
            if best is None or (candidate.p_value, candidate.inverted) < (
                best.p_value,
                best.inverted,
            ):
                best = candidate
        if best is not None:
            found.append(best)
    return WatermarkReport(
        "decoded", f"{len(per_variant)} of {len(variants)} variants decodable", found
    )


def encode_array(arr: np.ndarray, payload: Payload, faithful: bool = True) -> np.ndarray:
    """imwatermark's ``EmbedMaxDct.encode`` on an array handed to OpenCV as BGR (any dtype)."""
    import cv2
    import pywt

    yuv = cv2.cvtColor(arr, cv2.COLOR_BGR2YUV)
    rows, cols = arr.shape[0] // 4 * 4, arr.shape[1] // 4 * 4
    ll, (horizontal, vertical, diagonal) = pywt.dwt2(yuv[:rows, :cols, 1], "haar")
    blocks = _blocks(ll)
    n = blocks.shape[0]
    bits = np.array(payload.bits, dtype=np.float64)[np.arange(n) % payload.length]
    position = np.abs(blocks[:, 1:]).argmax(axis=1) + 1
    value = blocks[np.arange(n), position]
    magnitude = (np.abs(value) // SCALE + 0.25 + 0.5 * bits) * SCALE
    blocks[np.arange(n), position] = np.where(value >= 0, magnitude, -magnitude)
    b_rows, b_cols = ll.shape[0] // BLOCK, ll.shape[1] // BLOCK
    ll[: b_rows * BLOCK, : b_cols * BLOCK] = (
        blocks.reshape(b_rows, b_cols, BLOCK, BLOCK)
        .transpose(0, 2, 1, 3)
        .reshape(b_rows * BLOCK, b_cols * BLOCK)
    )
    details = (vertical, horizontal, diagonal) if faithful else (horizontal, vertical, diagonal)
    with np.errstate(invalid="ignore"):
        yuv[:rows, :cols, 1] = pywt.idwt2((ll, details), "haar")
    encoded: np.ndarray = cv2.cvtColor(yuv, cv2.COLOR_YUV2BGR)
    return encoded


def embed(
    rgb: np.ndarray,
    payload: Payload,
    variant: Variant = "uint8-bgr",
    faithful: bool = True,
) -> np.ndarray:
    """Mark an H×W×3 uint8 RGB image the way a pipeline using ``variant`` does.

    ``faithful`` reproduces imwatermark exactly, including its swapped horizontal and
    vertical detail bands (what real SD/SDXL/FLUX outputs carry); tutela's own mark
    uses ``faithful=False``, which changes only the LL band and so distorts less.
    Float variants quantise back to uint8 by truncation for BGR (Stability ``sgm``,
    FLUX) and by rounding for RGB (diffusers), as those pipelines do.
    """
    height, width = rgb.shape[:2]
    if height * width < MIN_PIXELS:
        raise ValueError("image too small, should be at least 256×256 pixels")
    out = encode_array(_input(rgb, variant), payload, faithful)
    if out.dtype != np.uint8:
        clipped = np.clip(out, 0, 255)
        out = (np.round(clipped) if variant == "float32-rgb" else clipped).astype(np.uint8)
    result = out[:, :, ::-1] if variant.endswith("bgr") else out
    return np.ascontiguousarray(result)
