"""xAI Grok: EXIF ``ImageDescription``/``UserComment`` holding ``Signature: <base64>`` and a UUID
``Artist``. The signing key is not published, so the signature is reported, not verified."""

from __future__ import annotations

import re

from tutela.provenance.generators.common import Finding, Sources, finding
from tutela.provenance.model import GeneratorInfo

SIGNATURE = re.compile(r"^\s*Signature:\s*([A-Za-z0-9+/=_-]{16,})\s*$")
UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def read(src: Sources) -> list[Finding]:
    for tag, value in (
        ("ImageDescription", src.exif.get("ImageDescription")),
        ("UserComment", src.user_comment),
    ):
        match = SIGNATURE.match(value or "")
        if match is None:
            continue
        artist = src.exif.get("Artist", "")
        info = GeneratorInfo(
            tool="Grok (xAI)",
            where=f"exif:{tag}",
            parameters={
                "signature_bytes": len(match.group(1)) * 3 // 4,
                "artist_uuid": artist if UUID.match(artist) else None,
                "signature_verified": False,
            },
        )
        detail = "xAI Grok EXIF signature block (key unpublished, so not verifiable)"
        return [finding(info, detail)]
    return []
