"""Policy actions, cool-downs in the store, the CLI and the HTTP endpoint, end to end."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tutela.api.app import create_app
from tutela.auth.tokens import create_token
from tutela.prompts import Policy, PolicyError, screen
from tutela.prompts.cooldowns import active_cooldown, clear_cooldown
from tutela.store import open_store

BLOCKED = "kid nude"  # clinical composition of two lexicon words


def test_terms_are_never_echoed_unless_asked() -> None:
    hidden = json.dumps(screen("k1d nude").to_json())
    assert "k1d" not in hidden and "nude" not in hidden.replace("nudity", "")
    revealed = screen("k1d nude", reveal_terms=True).to_json()
    assert any("terms" in c for c in revealed["concepts"])


def test_policy_actions_and_rewrite() -> None:
    review = screen("little girl, bikini", policy="rewrite")
    assert (review.decision, review.action) == ("review", "rewrite")
    assert review.rewrite is not None and "little" not in review.rewrite.prompt
    assert "child" in review.rewrite.negative_prompt
    obfuscated = screen("l1ttle g1rl, bikini", policy="rewrite")
    assert obfuscated.action == "refuse"  # obfuscated minor words cannot be rewritten away
    assert screen("little girl, bikini", policy="strict").action == "refuse"
    assert (
        screen(
            "pthc",
            policy=Policy(actions={"allow": "allow", "review": "review", "block": "rewrite"}),
        ).action
        == "refuse"
    )


def test_policy_files_and_validation(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text('base = "strict"\nreview_at = 0.3\n[actions]\nblock = "review"\n')
    policy = Policy.from_file(path)
    assert (policy.name, policy.review_at, policy.actions["block"]) == ("mine", 0.3, "review")
    with pytest.raises(PolicyError):
        Policy(review_at=0.9, block_at=0.5)
    with pytest.raises(PolicyError):
        Policy.from_mapping({"no_such_setting": 1})


def test_negative_prompt_is_screened_separately() -> None:
    plain = screen("girl, nude")
    steered = screen("girl, nude", negative_prompt="adult, woman")
    assert plain.decision == "review" and steered.decision == "block"
    assert any(c.source == "negative_prompt" for c in steered.concepts)
    assert screen("a cat", negative_prompt="child, nude").decision == "allow"


def test_cooldowns_escalate_and_clear(store_url: str) -> None:
    store = open_store(store_url)
    policy = Policy(cooldown_after_blocks=2, cooldown_seconds=60, cooldown_factor=4)
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    first = screen(BLOCKED, policy=policy, user="u1", store=store, now=t0)
    assert first.cooldown is None
    second = screen(BLOCKED, policy=policy, user="u1", store=store, now=t0 + timedelta(seconds=1))
    assert second.cooldown is not None and second.cooldown.blocks == 2
    during = screen("a cat", policy=policy, user="u1", store=store, now=t0 + timedelta(seconds=30))
    assert (during.decision, during.action) == ("allow", "refuse")
    third = screen(BLOCKED, policy=policy, user="u1", store=store, now=t0 + timedelta(seconds=120))
    assert third.cooldown is not None
    until = datetime.fromisoformat(third.cooldown.until)
    assert until - (t0 + timedelta(seconds=120)) == timedelta(seconds=240)
    assert screen("a cat", user="u2", store=store, now=t0).action == "allow"
    assert active_cooldown(store, "u1", t0 + timedelta(seconds=130)) is not None
    assert clear_cooldown(store, "u1")
    assert active_cooldown(store, "u1", t0 + timedelta(seconds=130)) is None
    store.close()


def _cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tutela", "prompt", "check", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_cli_single_and_batch(tmp_path: Path) -> None:
    single = _cli(BLOCKED, "--json")
    assert single.returncode == 3
    assert json.loads(single.stdout)["decision"] == "block"
    assert _cli("a cup of coffee").returncode == 0
    batch = tmp_path / "prompts.jsonl"
    batch.write_text(
        '{"prompt": "a cat", "id": "a"}\nnot json\n{"prompt": 3}\n{"prompt": "kid nude"}\n'
    )
    done = _cli("--file", str(batch), "--no-progress")
    assert done.returncode == 0
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r.get("decision") for r in rows] == ["allow", None, None, "block"]
    assert (
        rows[1]["error"]["kind"] == "invalid-json" and rows[2]["error"]["kind"] == "prompt-invalid"
    )
    assert "screened" in done.stderr


def test_http_endpoint(tmp_path: Path) -> None:
    app = create_app(f"sqlite:///{tmp_path / 'api.db'}")
    with app.state.store.transaction() as session:
        screen_token = create_token(session, "screen").token
        curate_token = create_token(session, "curate").token
        admin_token = create_token(session, "admin").token
    auth = {"authorization": f"Bearer {screen_token}"}
    with TestClient(app) as client:
        assert client.post("/v1/prompts:screen", json={"prompt": "a cat"}).status_code == 401
        wrong = {"authorization": f"Bearer {curate_token}"}
        assert (
            client.post("/v1/prompts:screen", json={"prompt": "a cat"}, headers=wrong).status_code
            == 403
        )
        ok = client.post(
            "/v1/prompts:screen", json={"prompt": "a family at the beach"}, headers=auth
        )
        assert ok.status_code == 200 and ok.json()["decision"] == "allow"
        blocked = client.post(
            "/v1/prompts:screen", json={"prompt": BLOCKED, "user": "u9"}, headers=auth
        )
        assert blocked.json()["decision"] == "block" and "terms" not in json.dumps(blocked.json())
        assert (
            client.post(
                "/v1/prompts:screen", json={"prompt": "x", "policy": "/etc/passwd"}, headers=auth
            ).status_code
            == 422
        )
        assert client.post("/v1/prompts:screen", json={}, headers=auth).status_code == 422
        assert client.get("/readyz").json()["checks"]["prompts"] == "ok"
        reveal = client.post(
            "/v1/prompts:screen", json={"prompt": "a cat", "reveal_terms": True}, headers=auth
        )
        assert reveal.status_code == 403
        admin = {"authorization": f"Bearer {admin_token}"}
        revealed = client.post(
            "/v1/prompts:screen", json={"prompt": BLOCKED, "reveal_terms": True}, headers=admin
        )
        assert revealed.status_code == 200 and "terms" in json.dumps(revealed.json())
