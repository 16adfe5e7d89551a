"""The HTTP API end to end over real HTTP: uvicorn on a loopback port, httpx as client."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from tutela.api.app import create_app
from tutela.auth.tokens import create_token
from tutela.store import open_store
from tutela.testing.synth import encode, landscape, shapes

http = httpx.Client(timeout=120)
"""Generous: the first request after entries are added may compile the index's kernels."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, dict[str, str]]]:
    monkeypatch.setenv("TUTELA_MAX_UPLOAD_BYTES", str(2 * 1024 * 1024))
    url = f"sqlite:///{tmp_path / 'api.db'}"
    store = open_store(url)
    tokens = {}
    with store.transaction() as session:
        for role in ("match", "curate", "admin"):
            tokens[role] = create_token(session, role).token
    app = create_app(store=store)
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", tokens
    finally:
        srv.should_exit = True
        thread.join(10)


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_probes_need_no_token_and_readyz_reports_the_index(
    server: tuple[str, dict[str, str]],
) -> None:
    base, _ = server
    assert http.get(f"{base}/healthz").json() == {"status": "ok"}
    deadline = time.monotonic() + 20
    while (ready := http.get(f"{base}/readyz")).status_code != 200:
        assert time.monotonic() < deadline, ready.text
        time.sleep(0.1)
    checks = ready.json()["checks"]
    assert checks["store"] == "ok" and checks["index"] == "ok"


def test_readyz_reports_a_stale_index_until_it_catches_up(
    server: tuple[str, dict[str, str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tutela.api import matching
    from tutela.banks import service
    from tutela.banks.records import EntryRecord

    base, tokens = server
    monkeypatch.setattr(matching, "STALE_AFTER", 0.0)
    match = _auth(tokens["match"])
    http.get(f"{base}/v1/match", params={"signal_type": "md5", "value": "0" * 32}, headers=match)
    assert http.get(f"{base}/readyz").status_code == 200
    # another process (a CLI import) adds entries behind the server's back
    store = open_store(f"sqlite:///{tmp_path / 'api.db'}")
    with store.transaction() as session:
        service.create_bank(session, "LATE")
    service.import_records(store, "LATE", [EntryRecord("pdq", "a" * 64)])
    stale = http.get(f"{base}/readyz")
    assert stale.status_code == 503 and "stale" in stale.json()["checks"]["index"]
    found = http.get(
        f"{base}/v1/match", params={"signal_type": "pdq", "value": "a" * 64}, headers=match
    )
    assert found.json()["matched"] is True  # the request caught the index up
    assert http.get(f"{base}/readyz").status_code == 200


def test_every_other_route_needs_a_token_with_the_right_role(
    server: tuple[str, dict[str, str]],
) -> None:
    base, tokens = server
    assert http.get(f"{base}/v1/banks").status_code == 401
    assert http.get(f"{base}/v1/banks", headers=_auth("tut_nope_nope")).status_code == 401
    assert http.get(f"{base}/v1/banks", headers=_auth(tokens["match"])).status_code == 403
    assert http.get(f"{base}/v1/banks", headers=_auth(tokens["curate"])).status_code == 200
    assert http.get(f"{base}/v1/banks", headers=_auth(tokens["admin"])).status_code == 200
    pdq = "f" * 64
    query = {"signal_type": "pdq", "value": pdq}
    assert http.get(f"{base}/v1/match", params=query).status_code == 401
    assert (
        http.get(f"{base}/v1/match", params=query, headers=_auth(tokens["curate"])).status_code
        == 403
    )
    assert (
        http.get(f"{base}/v1/match", params=query, headers=_auth(tokens["match"])).status_code
        == 200
    )
    spec = http.get(f"{base}/openapi.json").json()
    assert "never verdicts" in spec["info"]["description"]
    assert "/v1/match/upload" in spec["paths"]


def test_bank_curation_hash_and_match_round_trip(server: tuple[str, dict[str, str]]) -> None:
    base, tokens = server
    curate, match = _auth(tokens["curate"]), _auth(tokens["match"])
    created = http.post(
        f"{base}/v1/banks", json={"name": "KNOWN", "pdq_threshold": 31}, headers=curate
    )
    assert created.status_code == 201, created.text
    http.post(f"{base}/v1/banks", json={"name": "FP", "kind": "negative"}, headers=curate)
    image = encode(landscape(7), "PNG")
    added = http.post(
        f"{base}/v1/banks/KNOWN/images", files={"file": ("banked.png", image)}, headers=curate
    ).json()
    assert added["added"] == 4 and added["rejected"] == 0

    hashed = http.post(f"{base}/v1/hash", files={"file": ("q.png", image)}, headers=match).json()
    types = [s["signal_type"] for s in hashed["signals"]]
    assert {"md5", "sha1", "sha256", "pdq"} <= set(types)
    # the hash output pipes straight into matching
    results = http.post(
        f"{base}/v1/match", json=[{"signals": hashed["signals"]}], headers=match
    ).json()
    assert results[0]["matched"] is True
    bank = results[0]["banks"][0]
    assert bank["bank"] == "KNOWN" and bank["pdq_threshold"] == 31
    assert {m["signal_type"] for m in bank["matches"]} == {"md5", "sha1", "sha256", "pdq"}

    # a recompressed copy matches by PDQ only
    copy = encode(landscape(7), "JPEG", quality=60)
    up = http.post(f"{base}/v1/match/upload", files={"file": ("c.jpg", copy)}, headers=match).json()
    assert up["matched"] is True
    assert [m["signal_type"] for m in up["banks"][0]["matches"]] == ["pdq"]
    assert up["banks"][0]["matches"][0]["distance"] <= 31

    # an unrelated image does not match
    other = http.post(
        f"{base}/v1/match/upload",
        files={"file": ("o.png", encode(shapes(3), "PNG"))},
        headers=match,
    ).json()
    assert other["matched"] is False and other["banks"] == []

    # a negative entry for the same PDQ suppresses the positive match
    pdq = next(s["value"] for s in hashed["signals"] if s["signal_type"] == "pdq")
    neg = http.post(
        f"{base}/v1/banks/FP/entries",
        json={"entries": [{"signal_type": "pdq", "value": pdq, "metadata": {"why": "logo"}}]},
        headers=curate,
    ).json()
    assert neg["added"] == 1
    again = http.get(
        f"{base}/v1/match", params={"signal_type": "pdq", "value": pdq}, headers=match
    ).json()
    assert again["matched"] is False and again["suppressed"] is True
    statuses = {b["bank"]: [m["status"] for m in b["matches"]] for b in again["banks"]}
    assert statuses == {"FP": ["match"], "KNOWN": ["suppressed"]}

    # disabling the negative entry (incrementally, no rebuild) restores the match
    entries = http.get(f"{base}/v1/banks/FP/entries", headers=curate).json()
    disabled = http.post(
        f"{base}/v1/entries/{entries[0]['id']}/disable", json={"reason": "reviewed"}, headers=curate
    ).json()
    assert disabled["status"] == "disabled"
    final = http.get(
        f"{base}/v1/match", params={"signal_type": "pdq", "value": pdq}, headers=match
    ).json()
    assert final["matched"] is True


def test_invalid_input_is_400_never_500(server: tuple[str, dict[str, str]]) -> None:
    base, tokens = server
    match, curate = _auth(tokens["match"]), _auth(tokens["curate"])
    bad = http.get(f"{base}/v1/match", params={"signal_type": "pdq", "value": "abc"}, headers=match)
    assert bad.status_code == 400 and "64 hexadecimal digits" in bad.json()["detail"]
    unknown = http.get(
        f"{base}/v1/match", params={"signal_type": "nope", "value": "1"}, headers=match
    )
    assert unknown.status_code == 400 and "unknown signal type" in unknown.json()["detail"]
    body = [{"signals": [{"signal_type": "md5", "value": "zz"}]}]
    assert http.post(f"{base}/v1/match", json=body, headers=match).status_code == 400
    assert http.post(f"{base}/v1/match", json=[{"signals": []}], headers=match).status_code == 422
    missing = http.get(f"{base}/v1/banks/NOPE", headers=curate)
    assert missing.status_code == 404
    junk = http.post(
        f"{base}/v1/match/upload",
        files={"file": ("x.jpg", b"\xff\xd8\xffnot a jpeg")},
        headers=match,
    )
    # a damaged file still matches by its bytes; the result says why PDQ is missing
    assert junk.status_code == 200
    assert any("corrupt" in note for note in junk.json()["notes"])
    empty = http.post(f"{base}/v1/hash", files={"file": ("e.jpg", b"")}, headers=match)
    assert empty.status_code == 400
    big = http.post(
        f"{base}/v1/hash", files={"file": ("big.bin", b"\0" * (3 * 1024 * 1024))}, headers=match
    )
    assert big.status_code == 413
    dup = http.post(f"{base}/v1/banks", json={"name": "A"}, headers=curate)
    assert dup.status_code == 201
    assert http.post(f"{base}/v1/banks", json={"name": "A"}, headers=curate).status_code == 400
    assert (
        http.post(
            f"{base}/v1/banks", json={"name": "B", "pdq_threshold": 500}, headers=curate
        ).status_code
        == 400
    )
