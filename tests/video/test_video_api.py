"""Video over the HTTP API: hash an upload to vPDQ, match the signals, see where."""

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
from tutela.testing.video import VideoSet


@pytest.fixture
def api(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    store = open_store(f"sqlite:///{tmp_path / 'api.db'}")
    with store.transaction() as session:
        headers = {
            role: {"Authorization": f"Bearer {create_token(session, role).token}"}
            for role in ("match", "curate")
        }
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    server = uvicorn.Server(
        uvicorn.Config(create_app(store=store), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", headers
    finally:
        server.should_exit = True
        thread.join(10)


def test_video_upload_hash_and_match_over_http(
    api: tuple[str, dict[str, str]], videos: VideoSet
) -> None:
    base, headers = api
    httpx.post(f"{base}/v1/banks", json={"name": "KNOWN"}, headers=headers["curate"])
    added = httpx.post(
        f"{base}/v1/banks/KNOWN/images",
        files={"file": ("known.mp4", videos.original.read_bytes())},
        headers=headers["curate"],
        timeout=120,
    ).json()
    assert added["added"] == 5 and added["rejected"] == 0, added  # 3 exact, video_md5, vpdq

    hashed = httpx.post(
        f"{base}/v1/hash",
        files={"file": ("clip.avi", videos.trimmed.read_bytes())},
        headers=headers["match"],
        timeout=120,
    ).json()
    assert hashed["kind"] == "video"
    signals = hashed["signals"]
    assert "vpdq" in {s["signal_type"] for s in signals}
    (result,) = httpx.post(
        f"{base}/v1/match", json=[{"signals": signals}], headers=headers["match"], timeout=120
    ).json()
    assert result["matched"] is True
    (hit,) = result["video"]["matches"]
    assert hit["kind"] == "vpdq" and hit["segments"] == [{"start": 0.0, "end": 2.0}]
    assert [f["matched_timestamp"] for f in hit["frames"]] == [2.0, 3.0, 4.0]
