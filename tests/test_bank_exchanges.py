"""Exchanges through threatexchange's SignalExchangeAPI, with no network: the local-file
exchange, StopNCII's real client against a loopback server replaying a recorded
response, and NCMEC's real client reading recorded XML pages."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
import requests
from sqlalchemy import select

from tutela.banks import exchanges, service
from tutela.banks.matcher import Matcher
from tutela.banks.models import Bank, Entry
from tutela.banks.queries import query_from_values
from tutela.store import open_store
from tutela.store.db import Store

FIXTURES = Path(__file__).parent / "fixtures" / "exchanges"
PDQ = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"


def _bank(url: str, name: str, api: str, config: dict[str, Any]) -> Store:
    store = open_store(url)
    exchanges.check_config(api, config)
    with store.transaction() as session:
        service.create_bank(session, name, exchange_api=api, exchange_config=config)
    return store


def _entries(store: Store, bank: str) -> dict[tuple[str, str], str]:
    with store.session() as session:
        bank_id = service.get_bank(session, bank).id
        rows = session.scalars(select(Entry).where(Entry.bank_id == bank_id))
        return {(e.signal_type, e.value): e.status for e in rows}


def test_local_file_exchange_snapshots_and_withdrawals(store_url: str, tmp_path: Path) -> None:
    listing = tmp_path / "list.txt"
    listing.write_text(f"pdq {PDQ}\nvideo_md5 {'b' * 32}\n")
    store = _bank(store_url, "LOCAL", "local_file", {"filename": str(listing)})
    first = exchanges.fetch(store, "LOCAL")
    assert first.complete and first.entries_written == 2
    assert _entries(store, "LOCAL") == {("pdq", PDQ): "enabled", ("video_md5", "b" * 32): "enabled"}
    listing.write_text(f"pdq {PDQ}\n")
    second = exchanges.fetch(store, "LOCAL")
    assert second.deleted == 1
    assert _entries(store, "LOCAL")[("video_md5", "b" * 32)] == "disabled"
    listing.write_text(f"pdq {PDQ}\nvideo_md5 {'b' * 32}\n")
    exchanges.fetch(store, "LOCAL")
    assert set(_entries(store, "LOCAL").values()) == {"enabled"}  # listed again: back


def test_curator_decisions_survive_exchange_updates(store_url: str, tmp_path: Path) -> None:
    listing = tmp_path / "list.txt"
    listing.write_text(f"pdq {PDQ}\n")
    store = _bank(store_url, "LOCAL", "local_file", {"filename": str(listing)})
    exchanges.fetch(store, "LOCAL")
    with store.transaction() as session:
        service.set_status(session, f"pdq:{PDQ}", "disabled", "false positive (logo)")
    exchanges.fetch(store, "LOCAL")
    assert _entries(store, "LOCAL") == {("pdq", PDQ): "disabled"}


class _Replay(http.server.BaseHTTPRequestHandler):
    body = b""
    seen: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        type(self).seen.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def stopncii_server() -> Iterator[str]:
    _Replay.body = (FIXTURES / "stopncii_fetch.json").read_bytes()
    _Replay.seen = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Replay)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    thread.join(5)


def test_stopncii_with_credentials_from_config_and_json_checkpoint(
    store_url: str, tmp_path: Path, stopncii_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        "[exchanges.stop_ncii]\n"
        'fetch_function_key = "fk"\nsubscription_key = "sk"\n'
        f'base_url_override = "{stopncii_server}"\n'
    )
    monkeypatch.setenv("TUTELA_CONFIG", str(config))
    store = _bank(store_url, "STOPNCII", "stop_ncii", {})
    summary = exchanges.fetch(store, "STOPNCII")
    assert (
        summary.complete and summary.records == 3 and summary.entries_written == 2
    )  # URL: not media
    assert _entries(store, "STOPNCII") == {
        ("pdq", PDQ): "enabled",
        ("video_md5", "b1" * 16): "enabled",
    }
    with store.session() as session:
        bank = session.scalars(select(Bank).where(Bank.name == "STOPNCII")).one()
        assert bank.exchange_checkpoint is not None
        assert bank.exchange_checkpoint["update_time"] == 1700000100
        json.dumps(bank.exchange_checkpoint)  # stored as plain JSON
    # the next fetch resumes from the stored checkpoint
    exchanges.fetch(store, "STOPNCII")
    assert "startTimestamp=1700000100" in _Replay.seen[-1]
    matcher = Matcher(store)
    matcher.refresh()
    (result,) = matcher.match([query_from_values([("pdq", PDQ)])])
    assert result.matched and result.hits[0].metadata["exchange"] == "stop_ncii"


def test_missing_credentials_say_how_to_provide_them(
    store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TUTELA_CONFIG", str(tmp_path / "absent.toml"))
    monkeypatch.delenv("TX_NCMEC_CREDENTIALS", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    store = _bank(store_url, "NCMEC", "ncmec", {"environment": "NGO_Generative_AI"})
    with pytest.raises(exchanges.ExchangeError, match="TX_NCMEC_CREDENTIALS"):
        exchanges.fetch(store, "NCMEC")


def test_unknown_exchange_settings_are_refused() -> None:
    with pytest.raises(exchanges.ExchangeError):
        exchanges.check_config("ncmec", {"environment": "Nowhere"})
    with pytest.raises(exchanges.ExchangeError):
        exchanges.api_class("carrier_pigeon")


class _RecordedNCMEC(requests.adapters.BaseAdapter):
    """Answers NCMEC's entries endpoint with recorded XML pages, in order."""

    def __init__(self, pages: list[Path]) -> None:
        super().__init__()
        self.pages = pages
        self.urls: list[str] = []

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        self.urls.append(str(request.url))
        response = requests.Response()
        response.status_code = 200
        response._content = self.pages.pop(0).read_bytes()
        response.request = request
        response.url = str(request.url)
        return response

    def close(self) -> None:
        pass


def test_ncmec_entries_tombstones_and_resume(
    store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from threatexchange.exchanges.clients.ncmec.hash_api import NCMECHashAPI

    adapter = _RecordedNCMEC([FIXTURES / "ncmec_entries_1.xml", FIXTURES / "ncmec_entries_2.xml"])

    def session(self: NCMECHashAPI) -> requests.Session:
        s = requests.Session()
        s.mount("https://", adapter)
        return s

    monkeypatch.setattr(NCMECHashAPI, "_get_session", session)
    monkeypatch.setenv("TX_NCMEC_CREDENTIALS", "user:secret")
    monkeypatch.setenv("TUTELA_CONFIG", str(tmp_path / "absent.toml"))
    store = _bank(store_url, "NCMEC_GENAI", "ncmec", {"environment": "NGO_Generative_AI"})
    first = exchanges.fetch(store, "NCMEC_GENAI")
    assert first.complete and first.records == 3
    assert "generative-ai-csam/v2/entries" in adapter.urls[0]
    entries = _entries(store, "NCMEC_GENAI")
    assert entries == {
        ("md5", "face" * 8): "enabled",
        ("sha1", "a2" * 20): "enabled",
        ("pdq", PDQ): "enabled",
        ("photodna", "1,2,3"): "enabled",
        ("pdq", "0" * 52 + "f" * 12): "enabled",
        ("video_md5", "b1" * 16): "enabled",
    }
    with store.session() as session:
        pdq_entry = session.scalars(select(Entry).where(Entry.value == PDQ)).one()
        assert pdq_entry.meta["record"]["member_entries"] == {"42": ["A1"]}
        assert pdq_entry.source_key == "42-image1"
    # an hour passes (rewind the stored JSON checkpoint instead of waiting)
    with store.transaction() as session:
        bank = session.scalars(select(Bank).where(Bank.name == "NCMEC_GENAI")).one()
        assert bank.exchange_checkpoint is not None
        resume_at = bank.exchange_checkpoint["get_entries_max_ts"] - 3600
        bank.exchange_checkpoint = {**bank.exchange_checkpoint, "get_entries_max_ts": resume_at}
    second = exchanges.fetch(store, "NCMEC_GENAI")
    assert second.deleted == 1
    assert _entries(store, "NCMEC_GENAI")[("pdq", "0" * 52 + "f" * 12)] == "disabled"
    from threatexchange.exchanges.clients.ncmec.hash_api import _date_format

    stamp = requests.utils.quote(_date_format(resume_at), safe="")
    assert f"from={stamp}" in adapter.urls[1]  # resumed from the checkpoint
