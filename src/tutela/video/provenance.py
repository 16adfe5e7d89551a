"""Provenance of a video: the same evidence model and synthetic status as for images.

Evidence comes from three places:

* **C2PA** Content Credentials embedded in MP4/MOV, read and validated offline by the
  provenance package (``c2pa-python``), exactly as for images;
* **container metadata**: generator-metadata readers over the container's tags (e.g.
  ComfyUI graphs written into ``comment``) and tags naming a known video generator
  (:mod:`tutela.video.metadata`);
* **key frames**: the pixel readers (invisible watermarks, operator-supplied
  detectors) run on the key frames kept during decoding, each piece of evidence
  saying at which time it was found.

The status ladder is the images' (:func:`tutela.provenance.status.decide`): a signed
or embedded declaration is ``declared-ai``, weaker signs ``likely-ai``. A video with
no evidence is ``no-evidence`` — never "real".
"""

from __future__ import annotations

from dataclasses import replace

from tutela.media.blob import Blob
from tutela.provenance.generators import Sources, read_generators
from tutela.provenance.inspect import InspectOptions, inspect_blob
from tutela.provenance.model import Evidence, ProvenanceResult
from tutela.provenance.status import decide
from tutela.video.analyse import VideoAnalysis
from tutela.video.metadata import generator_mentions, tag_text

FRAME_SOURCES = ("watermark", "detector:")
"""Evidence from key frames that is kept: pixel-level readers only (the JPEG copies
carry no metadata of their own)."""


def metadata_evidence(tags: dict[str, str]) -> list[Evidence]:
    """Tags naming a known video generator."""
    found = []
    for mention in generator_mentions(tags):
        if mention.tool_tag:
            detail = (
                f"the container's {mention.tag!r} tag names {mention.generator} "
                f"({mention.value!r}); written by a tool, unsigned, can be forged or stripped"
            )
        else:
            detail = (
                f"the free-text {mention.tag!r} tag mentions {mention.generator} "
                f"({mention.value!r}); anyone can write this"
            )
        found.append(
            Evidence(
                "video-metadata",
                "generator-metadata",
                detail,
                "embedded" if mention.tool_tag else "weak",
                f"container tag {mention.tag}",
                "ai",
                {"tool": mention.generator, "tag": mention.tag},
            )
        )
    return found


def inspect_video(
    blob: Blob,
    fmt: str,
    where: str,
    analysis: VideoAnalysis | None,
    options: InspectOptions | None = None,
) -> ProvenanceResult:
    """Every provenance reader over one video (``analysis`` supplies tags and key frames)."""
    options = options or InspectOptions()
    result = inspect_blob(blob, fmt, where, replace(options, pixels=False))
    evidence = list(result.evidence)
    if analysis is not None:
        sources = Sources(origin="video-metadata", text=tag_text(analysis.info.tags), format=fmt)
        findings, issues = read_generators(sources)
        result.errors.extend(issues)
        for finding in findings:
            evidence.append(finding.evidence)
            result.generators.append(finding.generator)
            result.prompts.extend(finding.prompts)
        evidence.extend(metadata_evidence(analysis.info.tags))
        frame_options = replace(options, c2pa=False, pixels=True)
        for timestamp, jpeg in analysis.keyframe_images:
            frame = inspect_blob(
                Blob.from_bytes(jpeg), "jpeg", f"{where}@{timestamp}s", frame_options
            )
            for found in frame.evidence:
                if found.source.startswith(FRAME_SOURCES):
                    evidence.append(
                        replace(
                            found,
                            where=f"frame at {timestamp:g} s: {found.where}",
                            data={**found.data, "timestamp": timestamp},
                        )
                    )
            for mark in frame.watermarks:
                result.watermarks.append({**mark, "timestamp": timestamp})
    result.evidence = sorted(evidence, key=lambda e: -e.weight)
    result.status, result.confidence, result.summary = decide(result.evidence)
    return result
