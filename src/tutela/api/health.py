"""Liveness and readiness probes (no authentication: load balancers call them)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz")
def readyz(request: Request) -> JSONResponse:
    """The store answers (features add their own readiness checks via ``app.state.ready``)."""
    checks: dict[str, str] = {}
    try:
        with request.app.state.store.engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
        checks["store"] = "ok"
    except Exception as exc:  # report, never crash the probe
        checks["store"] = f"unavailable: {type(exc).__name__}"
    for name, check in getattr(request.app.state, "ready", {}).items():
        checks[name] = check()
    ok = all(v == "ok" for v in checks.values())
    return JSONResponse(
        {"status": "ok" if ok else "not-ready", "checks": checks}, status_code=200 if ok else 503
    )
