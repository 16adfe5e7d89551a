"""Create, verify and revoke API tokens.

A token is ``tut_<prefix>_<secret>``: 256 bits from :mod:`secrets`, shown once at
creation; only its SHA-256 is stored (the secret is random and long, so a fast
hash is enough — there is nothing to brute-force as with passwords). Roles:
``match`` (hash and match), ``curate`` (manage banks and entries), ``admin``
(everything).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tutela.auth.models import ApiToken
from tutela.errors import TutelaError
from tutela.store.models import utcnow

ROLES = ("match", "curate", "screen", "admin")
ROLE_ALIASES = {"hash": "match"}
"""``hash`` is accepted for ``match``: hashing and matching share a role."""


class TokenError(TutelaError):
    kind = "token"


def canonical_role(role: str) -> str:
    role = ROLE_ALIASES.get(role, role)
    if role not in ROLES:
        raise TokenError(f"unknown role {role!r}; roles: {', '.join(ROLES)} (and 'hash' = match)")
    return role


def grants(held: str, needed: str) -> bool:
    """Whether a token with role ``held`` may do what needs ``needed``."""
    return held == "admin" or held == canonical_role(needed)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass
class NewToken:
    id: int
    name: str
    role: str
    token: str
    """The only time the secret is available."""


def create_token(session: Session, role: str, name: str = "") -> NewToken:
    role = canonical_role(role)
    prefix = secrets.token_hex(4)
    token = f"tut_{prefix}_{secrets.token_urlsafe(32)}"
    row = ApiToken(name=name or f"{role}-{prefix}", role=role, prefix=prefix, digest=_digest(token))
    session.add(row)
    session.flush()
    return NewToken(row.id, row.name, role, token)


def verify_token(session: Session, token: str) -> ApiToken | None:
    """The live token row for ``token``, or None (unknown, malformed or revoked)."""
    parts = token.split("_")
    if len(parts) < 3 or parts[0] != "tut":
        return None
    digest = _digest(token)
    for row in session.scalars(select(ApiToken).where(ApiToken.prefix == parts[1])):
        if hmac.compare_digest(row.digest, digest) and row.revoked_at is None:
            now = utcnow()
            last = row.last_used_at
            if last is None or (now - last.replace(tzinfo=now.tzinfo)).total_seconds() > 60:
                row.last_used_at = now  # at most one write a minute per token
            return row
    return None


def revoke_token(session: Session, token_id: int) -> ApiToken:
    row = session.get(ApiToken, token_id)
    if row is None:
        raise TokenError(f"no token with id {token_id}")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
    return row


def list_tokens(session: Session) -> list[dict[str, object]]:
    def iso(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    return [
        {
            "id": t.id,
            "name": t.name,
            "role": t.role,
            "prefix": t.prefix,
            "created_at": iso(t.created_at),
            "last_used_at": iso(t.last_used_at),
            "revoked_at": iso(t.revoked_at),
        }
        for t in session.scalars(select(ApiToken).order_by(ApiToken.id))
    ]
