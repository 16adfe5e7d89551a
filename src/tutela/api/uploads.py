"""Reading uploads with a size limit (413 beyond it, before the whole body is held)."""

from __future__ import annotations

import os

from fastapi import HTTPException, UploadFile

DEFAULT_MAX_UPLOAD = 50 * 1024 * 1024


def max_upload_bytes() -> int:
    return int(os.environ.get("TUTELA_MAX_UPLOAD_BYTES") or DEFAULT_MAX_UPLOAD)


async def read_upload(upload: UploadFile) -> bytes:
    limit = max_upload_bytes()
    if upload.size is not None and upload.size > limit:
        raise HTTPException(413, f"upload is {upload.size} bytes; the limit is {limit}")
    data = await upload.read(limit + 1)
    if len(data) > limit:
        raise HTTPException(413, f"upload is larger than the limit of {limit} bytes")
    if not data:
        raise HTTPException(400, "the upload is empty")
    return data
