"""Midjourney: PNG ``Description`` (prompt, ``--`` flags, ``Job ID``), ``Author``, and XMP
``DigImageGUID`` (the DigitalSourceType itself is read by the XMP module)."""

from __future__ import annotations

import re

from tutela.provenance.generators.common import Finding, Sources, finding, first
from tutela.provenance.model import GeneratorInfo

JOB_ID = re.compile(r"Job ID:\s*([0-9a-fA-F-]{36})")
VERSION = re.compile(r"--(?:v|version)\s+([\w.]+)")


def read(src: Sources) -> list[Finding]:
    description = src.text.get("Description", "")
    job = JOB_ID.search(description)
    guid = first(src.xmp, "Iptc4xmpExt:DigImageGUID")
    creator = " ".join(src.xmp.get("xmp:CreatorTool", [])).lower()
    if job is None and "midjourney" not in creator:
        return []
    prompt = description[: job.start()].strip() if job else description.strip()
    version = VERSION.search(prompt)
    info = GeneratorInfo(
        tool="Midjourney",
        where=f"{src.origin}:Description" if job else "xmp:xmp:CreatorTool",
        version=version.group(1) if version else None,
        prompt=prompt or None,
        parameters={
            "job_id": job.group(1) if job else guid,
            "author": src.text.get("Author"),
            "creation_time": src.text.get("Creation Time"),
        },
    )
    return [finding(info, "Midjourney job description")]
