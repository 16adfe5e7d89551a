"""Inspect one file for provenance evidence: the library entry point.

``inspect_path`` / ``inspect_bytes`` run every evidence reader over one file and
return a :class:`ProvenanceResult`; the scan analyser calls :func:`inspect_blob`
with the file it already holds. Nothing here raises for bad input: damaged
metadata becomes an entry in ``result.errors`` and the other readers still run.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from tutela.errors import MediaError
from tutela.media.blob import Blob
from tutela.media.image import decode_errors, open_image
from tutela.media.limits import DEFAULT_LIMITS, Limits
from tutela.media.sniff import SNIFF_BYTES, sniff
from tutela.provenance import stealth, watermark
from tutela.provenance.camera import camera_evidence, ijg_quality
from tutela.provenance.container import FileMetadata, read_container
from tutela.provenance.content_credentials import MIME, read_c2pa
from tutela.provenance.detectors import Detector, detector_evidence
from tutela.provenance.generators import Finding, Sources, novelai, read_generators
from tutela.provenance.model import Evidence, ProvenanceIssue, ProvenanceResult
from tutela.provenance.novelai_signature import NOVELAI_KEYS, verify
from tutela.provenance.status import decide
from tutela.provenance.xmp import read_xmp, xmp_evidence

PIXEL_FORMATS = {"png", "webp", "jpeg", "gif", "bmp", "tiff", "heif", "avif"}


def watermark_default() -> bool:
    """Watermark decoding is on unless ``TUTELA_WATERMARK=off`` (it costs ~0.1 s per megapixel)."""
    return os.environ.get("TUTELA_WATERMARK", "on").lower() not in ("off", "0", "no", "false")


@dataclass(frozen=True)
class InspectOptions:
    c2pa: bool = True
    pixels: bool = True
    """Decode pixels when needed: alpha-channel metadata and NovelAI signatures."""
    watermark: bool = field(default_factory=watermark_default)
    detectors: tuple[Detector, ...] = ()
    novelai_keys: dict[str, str] | None = None
    trust: dict[str, str] | None = None
    """c2pa ``trust`` settings; None loads the shipped (or refreshed) trust lists."""
    limits: Limits = DEFAULT_LIMITS


_trust_cache: dict[str, dict[str, str]] = {}


def _trust(options: InspectOptions) -> dict[str, str]:
    if options.trust is not None:
        return options.trust
    if "default" not in _trust_cache:
        from tutela.provenance.trust import c2pa_trust_settings

        _trust_cache["default"] = c2pa_trust_settings()
    return _trust_cache["default"]


def _file_sources(meta: FileMetadata, xmp: dict[str, list[str]]) -> Sources:
    origin = {"png": "png-text", "jpeg": "jpeg-comment"}.get(meta.format, "text")
    return Sources(
        origin=origin,
        text=meta.text,
        exif=meta.exif,
        user_comment=meta.user_comment,
        xmp=xmp,
        iptc=meta.iptc,
        format=meta.format,
    )


def _stealth_sources(payload: stealth.StealthPayload) -> Sources:
    text = payload.text
    if text.lstrip().startswith("{"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError:
            data = None
        if isinstance(data, dict):
            fields = {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in data.items()}
            return Sources(origin="stealth-alpha", text=fields)
    return Sources(origin="stealth-alpha", text={"parameters": text})


class _Pixels:
    """Decode the first frame once, on first use, within the pixel limits."""

    def __init__(self, blob: Blob, where: str, limits: Limits) -> None:
        self.blob, self.where, self.limits = blob, where, limits
        self._image: Image.Image | None = None

    def image(self) -> Image.Image:
        if self._image is None:
            im = open_image(self.blob, self.where, self.limits)
            with decode_errors(self.where):
                im.load()
            self._image = im
        return self._image

    def rgba(self) -> np.ndarray:
        return np.asarray(self.image().convert("RGBA"))

    def rgb(self) -> np.ndarray:
        im = self.image()
        return np.asarray(im if im.mode == "RGB" else im.convert("RGB"))


def _novelai_signature(sources: Sources, pixels: _Pixels, keys: dict[str, str]) -> Evidence | None:
    found = novelai.fields(sources)
    if found is None:
        return None
    values, where = found
    try:
        comment = json.loads(values["Comment"])
    except json.JSONDecodeError:
        return None
    if not isinstance(comment, dict) or "signed_hash" not in comment:
        return None
    check = verify(pixels.rgba() if pixels.image().mode == "RGBA" else pixels.rgb(), comment, keys)
    if check.state == "verified":
        return Evidence(
            "novelai-signature",
            "signature",
            f"NovelAI Ed25519 signature verifies against the published key ({check.key}): "
            "NovelAI produced these exact pixels and parameters",
            "verified",
            f"{where} signed_hash",
            "ai",
            {"state": check.state, "key": check.key},
        )
    return Evidence(
        "novelai-signature",
        "signature-mismatch",
        "NovelAI signed_hash present but it does not verify against the published key: the "
        "pixels or parameters changed after signing, or NovelAI did not sign it"
        + (f" ({check.message})" if check.message else ""),
        "info",
        f"{where} signed_hash",
        "neither",
        {"state": check.state},
    )


def _watermark_evidence(report: watermark.WatermarkReport) -> list[Evidence]:
    found = []
    for match in report.matches:
        if not (match.detected or match.partial):
            continue
        facts = match.to_json()
        inverted = (
            " (inverted bits: float-pipeline embedding read as uint8)" if match.inverted else ""
        )
        found.append(
            Evidence(
                "watermark",
                "watermark",
                f"invisible watermark {match.label}: {facts['matching_bits']}/{match.length} bits"
                f"{inverted}, false-alarm probability {match.false_alarm_probability:.1e} "
                "(anyone can embed it; absence means nothing)",
                "moderate" if match.detected else "info",
                f"pixels dwtDct U channel, {match.variant} decode",
                "ai" if match.detected else "neither",
                facts,
            )
        )
    return found


WATERMARK_MIN_JPEG_QUALITY = 90


def _watermark_cannot_survive(meta: FileMetadata) -> watermark.WatermarkReport | None:
    """Files no marking pipeline wrote, or whose encoding has erased any mark.

    The pipelines save through Pillow/libjpeg, so a JPEG whose quantisation tables are not
    the standard ones came from a camera or an editor; below quality 90 the mark is gone
    anyway (measured in the research notes). HEIF/AVIF/GIF are not pipeline outputs.
    """
    if meta.format in ("heif", "avif", "gif"):
        return watermark.WatermarkReport(
            "not-applicable", f"{meta.format} is not written by the marking pipelines", []
        )
    if meta.format == "jpeg" and meta.quantization:
        quality = ijg_quality(meta.quantization)
        if quality is None:
            reason = "JPEG tables are not libjpeg's (camera or editor): no marking pipeline"
        elif quality < WATERMARK_MIN_JPEG_QUALITY:
            reason = f"JPEG quality {quality} erases the mark"
        else:
            return None
        return watermark.WatermarkReport("not-applicable", reason, [])
    return None


def _read_pixels(
    result: ProvenanceResult,
    meta: FileMetadata,
    pixels: _Pixels,
    options: InspectOptions,
    evidence: list[Evidence],
    findings: list[Finding],
    file_sources: Sources,
) -> None:
    keys = options.novelai_keys or NOVELAI_KEYS
    sources = [file_sources]
    if meta.has_alpha and meta.format in ("png", "webp"):
        try:
            payload = stealth.extract(pixels.rgba())
        except stealth.StealthError as exc:
            result.errors.append(ProvenanceIssue("stealth-alpha", "malformed-metadata", str(exc)))
            payload = None
        if payload is not None:
            hidden = _stealth_sources(payload)
            hidden_findings, issues = read_generators(hidden)
            result.errors.extend(issues)
            findings.extend(hidden_findings)
            sources.append(hidden)
            if not hidden_findings:
                evidence.append(
                    Evidence(
                        "stealth-alpha",
                        "hidden-metadata",
                        f"text hidden in alpha-channel LSBs ({payload.magic}) in no format "
                        "tutela knows; a trick of AI tools",
                        "weak",
                        "alpha channel LSBs",
                        "ai",
                        {"magic": payload.magic, "chars": len(payload.text)},
                    )
                )
    if meta.format in ("png", "webp"):
        for src in sources:
            signature = _novelai_signature(src, pixels, keys)
            if signature is not None:
                evidence.append(signature)
    if options.watermark:
        # Decided from the header first, so photos are never decoded for nothing.
        report = (
            watermark.not_applicable(meta.width or 0, meta.height or 0)
            or _watermark_cannot_survive(meta)
            or watermark.decode(pixels.rgb())
        )
        result.watermarks = [report.to_json()]
        evidence.extend(_watermark_evidence(report))
    for detector in options.detectors:
        try:
            evidence.append(detector_evidence(detector, pixels.image()))
        except Exception as exc:  # a plugin's failure must not lose the file
            result.errors.append(
                ProvenanceIssue(
                    f"detector:{detector.card.name}",
                    "detector-failed",
                    f"{type(exc).__name__}: {exc}",
                )
            )


def inspect_blob(
    blob: Blob, fmt: str, where: str, options: InspectOptions | None = None
) -> ProvenanceResult:
    """Every provenance reader over one file whose format was sniffed as ``fmt``."""
    options = options or InspectOptions()
    result = ProvenanceResult("no-evidence", 0.0, "")
    if blob.size > options.limits.max_decode_bytes:
        result.errors.append(
            ProvenanceIssue("container", "too-large", "file above the decode limit; not inspected")
        )
        result.summary = "not inspected: file too large"
        return result
    if fmt == "unknown":
        result.errors.append(
            ProvenanceIssue("container", "unsupported-format", "not a media format tutela reads")
        )
        result.summary = "not inspected: unrecognised format"
        return result
    data = blob.data if blob.data is not None else b"".join(blob.chunks())
    meta = read_container(data, fmt) if fmt in PIXEL_FORMATS else FileMetadata(format=fmt)
    if fmt not in PIXEL_FORMATS:
        meta.c2pa_marker = b"c2pa" in data
    evidence: list[Evidence] = []
    xmp = read_xmp(meta)
    evidence.extend(xmp_evidence(xmp))
    file_sources = _file_sources(meta, xmp)
    findings, issues = read_generators(file_sources)
    result.errors.extend(issues)
    if options.c2pa and fmt in MIME and (meta.c2pa_marker or "dcterms:provenance" in xmp):
        outcome = read_c2pa(data, fmt, _trust(options))
        result.c2pa = outcome.report
        evidence.extend(outcome.evidence)
        result.errors.extend(outcome.issues)
    evidence.extend(camera_evidence(meta))
    if options.pixels and fmt in PIXEL_FORMATS and meta.width:
        try:
            _read_pixels(
                result,
                meta,
                _Pixels(blob, where, options.limits),
                options,
                evidence,
                findings,
                file_sources,
            )
        except MediaError as exc:
            result.errors.append(ProvenanceIssue("pixels", exc.kind, exc.message))
    result.errors[:0] = meta.issues
    for item in findings:
        evidence.append(item.evidence)
        result.generators.append(item.generator)
        result.prompts.extend(item.prompts)
    result.evidence = sorted(evidence, key=lambda e: -e.weight)
    result.status, result.confidence, result.summary = decide(result.evidence)
    return result


def inspect_bytes(
    data: bytes, where: str = "<bytes>", options: InspectOptions | None = None
) -> ProvenanceResult:
    return inspect_blob(Blob.from_bytes(data), sniff(data[:SNIFF_BYTES]).format, where, options)


def inspect_path(path: str | Path, options: InspectOptions | None = None) -> ProvenanceResult:
    """Inspect a file on disk; unreadable files raise :class:`tutela.errors.MediaError`."""
    options = options or InspectOptions()
    blob = Blob.from_path(str(path), load_limit=options.limits.max_decode_bytes)
    return inspect_blob(blob, sniff(blob.head(SNIFF_BYTES)).format, str(path), options)


def to_json(result: ProvenanceResult) -> dict[str, Any]:
    return result.to_json()
