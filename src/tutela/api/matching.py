"""Hashing and matching routes (role ``match``), the index readiness check, error mapping."""

from __future__ import annotations

import threading
import time
from typing import Any

from fastapi import (
    APIRouter,
    Depends,
    FastAPI,
    File,
    Form,
    HTTPException,
    Query,
    Request,
    UploadFile,
)
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from tutela.api.auth import require_role
from tutela.api.schemas import HashResponse, MatchRequest, MatchResponse
from tutela.api.uploads import max_upload_bytes, read_upload
from tutela.banks.matcher import Matcher, index_dir_from_env
from tutela.banks.matcher import Query as MatchQuery
from tutela.banks.queries import query_from_upload, query_from_values
from tutela.banks.service import UnknownBank, UnknownEntry
from tutela.banks.signal_types import InvalidSignal
from tutela.errors import TutelaError

router = APIRouter(prefix="/v1", tags=["matching"], dependencies=[Depends(require_role("match"))])

STALE_AFTER = 60.0
"""/readyz fails when the index has not caught up with the banks for this long."""


class LiveMatcher:
    """The process's matcher: refreshed (incrementally) before each request."""

    def __init__(self, matcher: Matcher) -> None:
        self.matcher = matcher
        self.lock = threading.Lock()
        self.loaded = False
        self.error = ""

    def fresh(self) -> Matcher:
        with self.lock:
            self.matcher.refresh()
            self.loaded = True
        return self.matcher

    def load_in_background(self) -> None:
        """Start loading the index so the server answers probes meanwhile."""

        def load() -> None:
            try:
                self.fresh()
            except Exception as exc:  # reported by readiness()
                self.error = f"{type(exc).__name__}: {exc}"

        threading.Thread(target=load, name="tutela-index-load", daemon=True).start()

    def readiness(self) -> str:
        if not self.loaded:
            return f"index not loaded: {self.error}" if self.error else "index loading"
        try:
            if self.matcher.is_fresh():
                return "ok"
        except Exception as exc:
            return f"index state unknown: {type(exc).__name__}"
        behind = time.time() - self.matcher.refreshed_at
        if behind > STALE_AFTER:
            return f"index stale: last refreshed {behind:.0f} s ago"
        return "ok"


def _live(request: Request) -> LiveMatcher:
    live: LiveMatcher = request.app.state.matcher
    return live


def _run(live: LiveMatcher, queries: list[MatchQuery]) -> list[dict[str, Any]]:
    matcher = live.fresh()
    thresholds = matcher.thresholds()
    return [r.to_json(thresholds) for r in matcher.match(queries)]


@router.get("/match", response_model=MatchResponse, summary="Match one hash value")
def match_one(
    request: Request,
    signal_type: str = Query(examples=["pdq"]),
    value: str = Query(),
) -> dict[str, Any]:
    """Every entry, per bank, within that bank's threshold of the value.

    A match prioritises human review; it is never a verdict.
    """
    query = query_from_values([(signal_type, value)])
    return _run(_live(request), [query])[0]


@router.post("/match", response_model=list[MatchResponse], summary="Match signals")
def match_signals(request: Request, body: list[MatchRequest]) -> list[dict[str, Any]]:
    """Match a list of inputs, each a list of ``{signal_type, value}`` (e.g. the
    ``signals`` that ``POST /v1/hash`` returns). One result per input, in order."""
    if not body:
        raise HTTPException(400, "send at least one input")
    if len(body) > 1000:
        raise HTTPException(400, "at most 1000 inputs per request")
    queries = []
    for i, item in enumerate(body):
        query = query_from_values([(s.signal_type, s.value) for s in item.signals], f"#{i}")
        query.pdq_quality = item.pdq_quality
        queries.append(query)
    return _run(_live(request), queries)


def _hash_json(query: MatchQuery | dict[str, Any], result: Any) -> dict[str, Any]:
    item = result.item
    out: dict[str, Any] = {"input": result.path, "signals": []}
    if item is not None:
        out.update(
            kind=item.kind,
            format=item.format,
            size=item.size,
            width=item.width,
            height=item.height,
            pdq_quality=item.pdq_quality,
        )
    if isinstance(query, dict):
        out["error"] = query["error"]
    else:
        out["signals"] = query.to_signals()
        if item is not None and item.error_kind:
            out["error"] = {"kind": item.error_kind, "message": item.error_message or ""}
    return out


@router.post("/hash", response_model=HashResponse, summary="Hash an upload")
async def hash_upload(
    file: UploadFile = File(description="An image or other media file."),
) -> dict[str, Any]:
    """MD5, SHA-1, SHA-256 and PDQ (with quality) of an upload, as ``{signal_type, value}``."""
    data = await read_upload(file)
    query, result = await run_in_threadpool(query_from_upload, data, file.filename or "upload")
    return _hash_json(query, result)


@router.post("/match/upload", response_model=MatchResponse, summary="Hash and match an upload")
async def match_upload(
    request: Request,
    file: UploadFile = File(description="An image or other media file."),
    dihedral: bool = Form(False, description="Also match rotated and flipped copies."),
) -> dict[str, Any]:
    """Hash an upload and match it (its PDQ, un-letterboxed PDQ and, with
    ``dihedral``, its rotations and flips)."""
    data = await read_upload(file)
    query, _ = await run_in_threadpool(query_from_upload, data, file.filename or "upload", dihedral)
    if isinstance(query, dict):
        raise HTTPException(400, f"{query['error']['kind']}: {query['error']['message']}")
    return (await run_in_threadpool(_run, _live(request), [query]))[0]


class BodyLimit:
    """Refuse bodies declared larger than the upload limit before reading them."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            for name, value in scope.get("headers", []):
                if name == b"content-length" and value.isdigit():
                    limit = max_upload_bytes() + 64 * 1024  # multipart framing
                    if int(value) > limit:
                        response = JSONResponse(
                            {"detail": f"request body of {int(value)} bytes exceeds the limit"},
                            status_code=413,
                        )
                        await response(scope, receive, send)
                        return
        await self.app(scope, receive, send)


def setup(app: FastAPI) -> None:
    live = LiveMatcher(Matcher(app.state.store, index_dir=index_dir_from_env()))
    app.state.matcher = live
    if not hasattr(app.state, "ready"):
        app.state.ready = {}
    app.state.ready["index"] = live.readiness
    live.load_in_background()
    app.add_middleware(BodyLimit)

    @app.exception_handler(TutelaError)
    async def tutela_error(_request: Request, exc: TutelaError) -> JSONResponse:
        status = 404 if isinstance(exc, UnknownBank | UnknownEntry) else 400
        if isinstance(exc, InvalidSignal):
            status = 400
        return JSONResponse({"detail": exc.message, "kind": exc.kind}, status_code=status)
