"""``POST /v1/prompts:screen`` for ``tutela serve``.

Needs an API token with the ``screen`` role; revealing matched words needs ``admin``
(operators' end users must never learn which words tripped the filter).
"""

from __future__ import annotations

import os
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from pydantic import BaseModel, Field

from tutela.api.auth import require_role
from tutela.prompts import NOTICE, PRESETS, PromptError, resolve_policy, screen
from tutela.prompts.screen import MAX_PROMPT_CHARS, default_screener

SCREEN_ROLE = "screen"
REVEAL_ROLE = "admin"

router = APIRouter(tags=["prompts"])


class ScreenRequest(BaseModel):
    prompt: str = Field(max_length=MAX_PROMPT_CHARS, description="The text-to-image prompt.")
    negative_prompt: str | None = Field(
        default=None, max_length=MAX_PROMPT_CHARS, description="Screened separately."
    )
    user: str | None = Field(
        default=None,
        max_length=200,
        description="Your user id: blocks are counted per user and escalating cool-downs apply.",
    )
    policy: str | None = Field(
        default=None, description="Policy preset name; the server's policy when omitted."
    )
    reveal_terms: bool = Field(
        default=False, description="Include matched words (needs the review role)."
    )


@router.post(
    "/v1/prompts:screen",
    summary="Screen a prompt before generation",
    description=(
        "Returns a decision (allow, review, block), the policy's action (allow, review, "
        "refuse, rewrite), a score, the matched concepts with axis and language, and "
        f"reasons. Matched words are never returned unless asked for. {NOTICE}"
    ),
)
def screen_prompt(
    body: ScreenRequest,
    request: Request,
    held: Annotated[str, Depends(require_role(SCREEN_ROLE))],
) -> dict[str, Any]:
    if body.reveal_terms and held != REVEAL_ROLE:
        raise HTTPException(status_code=403, detail="revealing matched words needs an admin token")
    if body.policy is not None and body.policy not in PRESETS:
        # Never resolve a client-supplied name as a file on the server.
        raise HTTPException(
            status_code=422, detail=f"unknown policy preset; presets: {', '.join(PRESETS)}"
        )
    policy = PRESETS[body.policy] if body.policy else request.app.state.prompt_policy
    try:
        result = screen(
            body.prompt,
            body.negative_prompt,
            policy,
            user=body.user,
            store=request.app.state.store if body.user else None,
            reveal_terms=body.reveal_terms,
        )
    except PromptError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from exc
    return result.to_json()


def setup(app: FastAPI) -> None:
    """Compile the lexicon at start-up, not on the first request; report readiness.

    The operator's policy: ``TUTELA_PROMPT_POLICY`` (a preset name or a TOML file).
    """
    app.state.prompt_policy = resolve_policy(os.environ.get("TUTELA_PROMPT_POLICY"))
    default_screener()
    ready = getattr(app.state, "ready", None)
    if ready is None:
        ready = app.state.ready = {}
    ready["prompts"] = lambda: "ok"
