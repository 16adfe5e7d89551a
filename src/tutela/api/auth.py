"""API token authentication: the ``require_role`` dependency every protected route uses.

    from tutela.api.auth import require_role

    @router.post("/v1/prompts:screen", dependencies=[Depends(require_role("match"))])

Clients send ``Authorization: Bearer <token>`` (tokens come from ``tutela token
create --role ...``). Missing or unknown tokens get 401, a token whose role does
not grant the route gets 403. ``admin`` grants every role.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from tutela.auth.tokens import canonical_role, grants, verify_token

bearer = HTTPBearer(auto_error=False, description="A token from `tutela token create --role ...`.")


def require_role(role: str) -> Callable[..., Any]:
    """A dependency that admits requests whose token grants ``role``; returns the role held."""
    needed = canonical_role(role)

    def check(
        request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(bearer)
    ) -> str:
        if credentials is None or credentials.scheme.lower() != "bearer":
            raise HTTPException(
                401,
                "missing API token: send 'Authorization: Bearer <token>'",
                headers={"WWW-Authenticate": "Bearer"},
            )
        with request.app.state.store.transaction() as session:
            row = verify_token(session, credentials.credentials)
            held = row.role if row is not None else None
        if held is None:
            raise HTTPException(
                401, "unknown or revoked API token", headers={"WWW-Authenticate": "Bearer"}
            )
        if not grants(held, needed):
            raise HTTPException(403, f"this token's role ({held}) does not allow {needed}")
        return held

    return check
