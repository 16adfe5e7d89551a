"""Verify NovelAI's Ed25519 ``signed_hash`` offline against its published key.

NovelAI signs the image's RGB bytes followed by ``json.dumps`` of the Comment object
without ``signed_hash`` (``nai_sig.py`` in NovelAI/novelai-image-metadata, MIT). A
verified signature is strong evidence that NovelAI's service produced these exact
pixels; any edit to pixels or parameters breaks it. ``cryptography`` (already a
dependency of c2pa-python) provides Ed25519, so no extra package is needed.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

NOVELAI_KEYS: dict[str, str] = {"novelai": "Y2JcQAOhLwzwSDUJPNgL04nS0Tbqm7cSRc4xk0vRMic="}
"""Published verify key(s), base64 (``verify_key_hex`` default in ``nai_sig.py``)."""


@dataclass(frozen=True)
class SignatureCheck:
    state: Literal["verified", "invalid", "unsigned", "error"]
    key: str | None = None
    message: str = ""


def signed_message(rgb: np.ndarray, comment: dict[str, Any]) -> bytes:
    unsigned = {k: v for k, v in comment.items() if k != "signed_hash"}
    return np.ascontiguousarray(rgb[:, :, :3]).tobytes() + json.dumps(unsigned).encode("utf-8")


def verify(
    rgb: np.ndarray, comment: dict[str, Any], keys: dict[str, str] | None = None
) -> SignatureCheck:
    """Check ``comment['signed_hash']`` over ``rgb`` (H×W×3 or ×4 uint8) with each known key."""
    signature_text = comment.get("signed_hash")
    if not isinstance(signature_text, str):
        return SignatureCheck("unsigned")
    try:
        signature = base64.b64decode(signature_text, validate=True)
    except (binascii.Error, ValueError) as exc:
        return SignatureCheck("error", message=f"signed_hash is not base64: {exc}")
    message = signed_message(rgb, comment)
    for name, key_b64 in (keys or NOVELAI_KEYS).items():
        public = Ed25519PublicKey.from_public_bytes(base64.b64decode(key_b64))
        try:
            public.verify(signature, message)
        except InvalidSignature:
            continue
        return SignatureCheck("verified", name)
    return SignatureCheck(
        "invalid", message="signature does not match these pixels and parameters under any key"
    )
